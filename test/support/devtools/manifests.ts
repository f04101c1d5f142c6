/** Objects for the local test and benchmark fleets. */
import { API, type Deployment } from '../../../src/kube/resources.js';

/** The one container of an {@link appDeployment}, running `image`. */
export function appContainer(image: string) {
  return { name: 'app', image, ports: [{ name: 'http', containerPort: 8080 }] };
}

/** A one-replica Deployment `name` labelled `app: <name>`, running `image`. */
export function appDeployment(namespace: string, name: string, image: string): Deployment {
  const labels = { app: name };
  return {
    ...API.deployment,
    metadata: { name, namespace, labels },
    spec: {
      replicas: 1,
      selector: { matchLabels: labels },
      template: { metadata: { labels }, spec: { containers: [appContainer(image)] } },
    },
  };
}
