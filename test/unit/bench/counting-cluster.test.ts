import { CountingCluster, READ_VERBS, WRITE_VERBS, sumByVerbs } from '../../../bench/counting-cluster.js';
import { MemoryCluster } from '../../../src/kube/memory/memory-cluster.js';
import { API, objectKey } from '../../../src/kube/resources.js';

describe('CountingCluster', () => {
  it('counts each call by API verb and kind, and passes it on', async () => {
    const memory = new MemoryCluster();
    const cluster = new CountingCluster(memory);
    const key = objectKey(API.configMap, 'ns', 'a');
    await cluster.create({ ...API.configMap, metadata: { name: 'a', namespace: 'ns' }, data: { k: 'v' } });
    await cluster.get(key);
    await cluster.list({ ...API.configMap, namespace: 'ns' });
    await cluster.patch(key, { data: { k: 'w' } });
    await cluster
      .patchStatus(objectKey(API.canary, 'ns', 'c'), { phase: 'Progressing' })
      .catch(() => undefined);
    await cluster.delete(key);
    const unwatch = cluster.watch({ ...API.configMap }, () => undefined);
    unwatch();
    expect(cluster.requests).toEqual({
      'POST ConfigMap': 1,
      'GET ConfigMap': 1,
      'LIST ConfigMap': 1,
      'PATCH ConfigMap': 1,
      'PATCH Canary/status': 1,
      'DELETE ConfigMap': 1,
      'WATCH ConfigMap': 1,
    });
    expect(memory.snapshot()).toEqual([]);
    expect(sumByVerbs(cluster.requests, READ_VERBS)).toBe(2);
    expect(sumByVerbs(cluster.requests, WRITE_VERBS)).toBe(4);
    cluster.reset();
    expect(cluster.requests).toEqual({});
  });

  it('answers creates of discarded kinds without storing them', async () => {
    const memory = new MemoryCluster();
    const cluster = new CountingCluster(memory, { discardCreatesOf: ['Event'] });
    const event = { ...API.event, metadata: { name: 'e', namespace: 'ns' } };
    await expect(cluster.create(event)).resolves.toEqual(event);
    expect(cluster.requests).toEqual({ 'POST Event': 1 });
    expect(memory.snapshot()).toEqual([]);
  });
});
