/**
 * secretReader: the caches hold Secrets without values, so the reader reads a Secret whole only
 * when its cached checksum says it changed.
 */
import { jest } from '@jest/globals';
import { secretReader } from '../../../src/cli/wiring.js';
import { MemoryCluster } from '../../../src/kube/memory/memory-cluster.js';
import { API, objectKey, type Secret } from '../../../src/kube/resources.js';

const KEY = objectKey(API.secret, 'team', 'prom-auth');
const b64 = (s: string) => Buffer.from(s).toString('base64');

describe('secretReader', () => {
  it('reads the values once per content, and again only after the Secret changed', async () => {
    const cluster = new MemoryCluster();
    await cluster.create<Secret>({
      ...API.secret,
      metadata: { name: 'prom-auth', namespace: 'team' },
      data: { token: b64('one') },
    });
    const getFull = jest.spyOn(cluster, 'getFull');
    const read = secretReader(cluster);

    expect(await read('team', 'prom-auth')).toEqual({ token: 'one' });
    expect(await read('team', 'prom-auth')).toEqual({ token: 'one' });
    expect(getFull).toHaveBeenCalledTimes(1);

    await cluster.patch(KEY, { metadata: { labels: { rotated: 'no' } } });
    expect(await read('team', 'prom-auth')).toEqual({ token: 'one' });
    expect(getFull).toHaveBeenCalledTimes(1);

    await cluster.patch(KEY, { data: { token: b64('two') } });
    expect(await read('team', 'prom-auth')).toEqual({ token: 'two' });
    expect(getFull).toHaveBeenCalledTimes(2);

    await cluster.delete(KEY);
    expect(await read('team', 'prom-auth')).toBeUndefined();
    expect(await read('team', 'absent')).toBeUndefined();
    expect(getFull).toHaveBeenCalledTimes(2);
  });
});
