/** Deployments for the tests that need a workload the Deployment controller (and kwok) runs. */
import { API, type Container, type Deployment } from '../../src/kube/resources.js';

/** What may differ between {@link oneReplicaDeployment}s beyond name and containers. */
export interface OneReplicaDeploymentOptions {
  /** Labels the Deployment object itself `app: NAME` as well as its pods (default: the pods only). */
  labelled?: boolean;
}

/** A one-replica Deployment `name` in `namespace` whose pods are labelled (and selected by) `app: NAME`. */
export function oneReplicaDeployment(
  namespace: string,
  name: string,
  containers: Container[],
  o: OneReplicaDeploymentOptions = {},
): Deployment {
  const labels = { app: name };
  return {
    ...API.deployment,
    metadata: { name, namespace, ...(o.labelled ? { labels } : {}) },
    spec: {
      replicas: 1,
      selector: { matchLabels: labels },
      template: { metadata: { labels }, spec: { containers } },
    },
  };
}
