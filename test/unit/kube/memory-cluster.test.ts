/** MemoryCluster held to the Cluster contract that the real adapter must also pass. */
import type { KubeObject } from '../../../src/kube/cluster.js';
import { MemoryCluster } from '../../../src/kube/memory/memory-cluster.js';
import { describeAutoscalerContract } from '../../contract/autoscaler-contract.js';
import { describeClusterContract } from '../../contract/cluster-contract.js';

describeClusterContract(
  'MemoryCluster',
  async () => ({ cluster: new MemoryCluster(), namespace: 'contract', cleanup: async () => undefined }),
  // Nothing is slow in memory: a broken promise should fail on its assertion, not on the test timeout.
  { eventuallyTimeoutMs: 1_000 },
);

describeAutoscalerContract('MemoryCluster', async () => ({
  cluster: new MemoryCluster(),
  namespace: 'contract',
  cleanup: async () => undefined,
}));

describe('MemoryCluster no-op writes', () => {
  const key = { apiVersion: 'fledge.dev/v1alpha1', kind: 'Canary', namespace: 'test', name: 'podinfo' };
  type Stored = KubeObject & { spec: { suspend: boolean } };
  const canary: Stored = {
    ...key,
    metadata: { name: 'podinfo', namespace: 'test' },
    spec: { suspend: false },
  };

  it('keeps the resourceVersion when a status write only reorders keys, as the API server does', async () => {
    const cluster = new MemoryCluster();
    await cluster.create(canary);
    const written = await cluster.patchStatus(key, { conditions: [{ type: 'Reconciled', status: 'True' }] });
    const again = await cluster.patchStatus(key, { conditions: [{ status: 'True', type: 'Reconciled' }] });
    expect(again.metadata.resourceVersion).toBe(written.metadata.resourceVersion);
  });

  it('moves the resourceVersion, not the generation, on a status change, and keeps the spec', async () => {
    const cluster = new MemoryCluster();
    const created = await cluster.create(canary);
    const first = await cluster.patchStatus<Stored>(key, { phase: 'Initializing' });
    const second = await cluster.patchStatus<Stored>(key, { phase: 'Initialized' });
    expect(second.metadata.resourceVersion).not.toBe(first.metadata.resourceVersion);
    expect(second.metadata.generation).toBe(created.metadata.generation);
    expect(second).toMatchObject({ spec: { suspend: false }, status: { phase: 'Initialized' } });
    // What a reader got is its own: changing it changes nothing stored.
    second.spec.suspend = true;
    expect((await cluster.get<Stored>(key))?.spec.suspend).toBe(false);
  });
});
