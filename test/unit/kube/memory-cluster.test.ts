/** MemoryCluster held to the Cluster contract that the real adapter must also pass. */
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
