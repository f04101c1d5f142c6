/** Objects for the local test and benchmark fleets. */
import type { Deployment } from '../../../src/kube/resources.js';
import { oneReplicaDeployment } from '../deployments.js';

/** The one container of an {@link appDeployment}, running `image`. */
export function appContainer(image: string) {
  return { name: 'app', image, ports: [{ name: 'http', containerPort: 8080 }] };
}

/** A one-replica Deployment `name` labelled `app: <name>`, running `image`. */
export function appDeployment(namespace: string, name: string, image: string): Deployment {
  return oneReplicaDeployment(namespace, name, [appContainer(image)], { labelled: true });
}
