/**
 * The test namespaces: each integration and e2e file (or scenario) works in a namespace of its own,
 * created first and deleted last, so that files sharing one control plane do not see each other.
 */
import type { Cluster, KubeObject, ObjectKey } from '../../src/kube/cluster.js';

/** The key of namespace `name` (cluster-scoped: its own `namespace` is empty). */
export function namespaceKey(name: string): ObjectKey {
  return { apiVersion: 'v1', kind: 'Namespace', namespace: '', name };
}

/** Creates namespace `name`, with `labels` when given (e.g. `istio-injection: enabled`). */
export async function createNamespace(
  cluster: Pick<Cluster, 'create'>,
  name: string,
  labels?: Record<string, string>,
): Promise<KubeObject> {
  return cluster.create<KubeObject>({
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name, ...(labels ? { labels } : {}) },
  });
}

/** Deletes namespace `name`; a failure (NotFound included) rejects. */
export async function deleteNamespace(cluster: Pick<Cluster, 'delete'>, name: string): Promise<void> {
  await cluster.delete(namespaceKey(name));
}

/**
 * Deletes namespace `name` and ignores every failure: for cleanup after the tests, where an error
 * (the namespace never made, the control plane already gone) must not hide the tests' own result.
 */
export async function deleteNamespaceBestEffort(
  cluster: Pick<Cluster, 'delete'>,
  name: string,
): Promise<void> {
  await cluster.delete(namespaceKey(name)).catch(() => undefined);
}
