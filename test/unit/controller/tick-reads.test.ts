import type { KubeObject, ObjectKey } from '../../../src/kube/cluster.js';
import { MemoryCluster } from '../../../src/kube/memory/memory-cluster.js';
import { API, objectKey } from '../../../src/kube/resources.js';
import { TickReads } from '../../../src/kube/tick-reads.js';
import { NS, harnessPerTest } from './harness.js';

const harness = harnessPerTest();

/** Counts the cluster's GETs by kind while `run` runs. */
async function getsDuring(
  cluster: MemoryCluster,
  run: () => Promise<unknown>,
): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  const realGet = cluster.get.bind(cluster);
  cluster.get = (async (key: ObjectKey) => {
    counts[key.kind] = (counts[key.kind] ?? 0) + 1;
    return realGet(key);
  }) as typeof realGet;
  try {
    await run();
  } finally {
    cluster.get = realGet;
  }
  return counts;
}

describe('TickReads', () => {
  const key = objectKey(API.service, NS, 'podinfo');
  const service = { ...API.service, metadata: { name: 'podinfo', namespace: NS }, spec: { ports: [] } };
  const asIs = (object: KubeObject) => object;

  it('reads an object once, a missing one too, until it is forgotten', async () => {
    const cluster = new MemoryCluster();
    const reads = new TickReads();
    const counts = await getsDuring(cluster, async () => {
      expect(await reads.get(cluster, key, asIs)).toBeUndefined();
      expect(await reads.get(cluster, key, asIs)).toBeUndefined();
    });
    expect(counts).toEqual({ Service: 1 });
    await cluster.create(service);
    // Written meanwhile by this tick: the writer forgets it, and the next step sees the write.
    reads.forget(key);
    const again = await getsDuring(cluster, async () => {
      expect((await reads.get(cluster, key, asIs))?.metadata.name).toBe('podinfo');
      expect((await reads.get(cluster, key, asIs))?.metadata.name).toBe('podinfo');
    });
    expect(again).toEqual({ Service: 1 });
  });

  it('keeps nothing of an object its check refuses', async () => {
    const cluster = new MemoryCluster();
    await cluster.create(service);
    const reads = new TickReads();
    const refuse = () => {
      throw new Error('malformed');
    };
    await expect(reads.get(cluster, key, refuse)).rejects.toThrow('malformed');
    expect((await reads.get(cluster, key, asIs))?.metadata.name).toBe('podinfo');
  });
});

describe('one tick of an Istio canary', () => {
  it('reads the VirtualService, each DestinationRule and each Deployment as few times as it acts', async () => {
    const h = await harness();
    await h.startRollout('podinfo');
    await h.tick('podinfo');
    // The tick alone, without the simulated deployment controller's reads that `h.tick` lets run.
    const counts = await getsDuring(h.cluster, () => h.reconciler.reconcileOnce(NS, 'podinfo'));
    // Observing reads each once (shared by ownership check, reconcile, observe and getRoutes);
    // acting on the decision reads afresh: setRoutes the VirtualService, scaling up the target.
    expect(counts).toMatchObject({ VirtualService: 2, DestinationRule: 2, Deployment: 3, Service: 3 });
    expect((await h.canary('podinfo')).status?.phase).toBe('Progressing');
  });

  it('sees in getRoutes the VirtualService its reconcile recreated', async () => {
    const h = await harness();
    await h.startRollout('podinfo');
    const vsKey = objectKey(API.virtualService, NS, 'podinfo');
    // Deleted by someone else: the ownership check reads nothing, reconcile creates it again, and
    // getRoutes must read the new one rather than the absence the first step saw.
    await h.cluster.delete(vsKey);
    const result = await h.tick('podinfo');
    expect(result.error).toBeUndefined();
    expect(await h.cluster.get(vsKey)).toBeDefined();
  });
});
