import type { KubeObject, ObjectKey } from '../../../src/kube/cluster.js';
import { NotFoundError } from '../../../src/kube/cluster.js';
import {
  createNamespace,
  deleteNamespace,
  deleteNamespaceBestEffort,
  namespaceKey,
} from '../../support/namespaces.js';

/** Records what reaches the cluster; `failDelete` makes every delete fail with it. */
function recordingCluster(failDelete?: Error) {
  const created: KubeObject[] = [];
  const deleted: ObjectKey[] = [];
  return {
    created,
    deleted,
    create: async <T extends KubeObject>(object: T): Promise<T> => {
      created.push(object);
      return object;
    },
    delete: async (key: ObjectKey): Promise<void> => {
      deleted.push(key);
      if (failDelete) throw failDelete;
    },
  };
}

it('keys a namespace as the cluster-scoped object it is', () => {
  expect(namespaceKey('team-a')).toEqual({
    apiVersion: 'v1',
    kind: 'Namespace',
    namespace: '',
    name: 'team-a',
  });
});

it('creates a namespace with labels only when they are given', async () => {
  const cluster = recordingCluster();
  await createNamespace(cluster, 'plain');
  await createNamespace(cluster, 'meshed', { 'istio-injection': 'enabled' });
  expect(cluster.created).toEqual([
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'plain' } },
    {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'meshed', labels: { 'istio-injection': 'enabled' } },
    },
  ]);
});

it('deleteNamespace rejects with the failure, NotFound included', async () => {
  const missing = new NotFoundError('Namespace gone not found');
  const cluster = recordingCluster(missing);
  await expect(deleteNamespace(cluster, 'gone')).rejects.toBe(missing);
  expect(cluster.deleted).toEqual([namespaceKey('gone')]);
});

it('deleteNamespaceBestEffort asks for the delete and ignores any failure', async () => {
  const cluster = recordingCluster(new Error('connection refused'));
  await expect(deleteNamespaceBestEffort(cluster, 'left')).resolves.toBeUndefined();
  expect(cluster.deleted).toEqual([namespaceKey('left')]);
});
