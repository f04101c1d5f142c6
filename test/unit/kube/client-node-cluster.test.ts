/**
 * ClientNodeCluster over real HTTP against a scripted fake API server: requests on the wire
 * (auth, merge-patch content type, preconditions), cache-served reads, read-your-writes, informer
 * recovery (dropped watch, 410 Gone, silent watch, failing lists) and error mapping.
 * The same adapter runs against a real kube-apiserver in test/integration/kube.
 */
import { Writable } from 'node:stream';
import { pino } from 'pino';
import {
  AlreadyExistsError,
  ConflictError,
  InvalidError,
  KubeApiError,
  NotFoundError,
  type ConfigSummary,
  type WatchEvent,
} from '../../../src/kube/cluster.js';
import {
  ClientNodeCluster,
  type ClientNodeClusterOptions,
} from '../../../src/kube/client/client-node-cluster.js';
import { contentChecksum } from '../../../src/kube/cache-shape.js';
import { API, objectKey, type ConfigMap } from '../../../src/kube/resources.js';
import { FakeApiServer } from './client-fake-api-server.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { eventually } from '../../support/eventually.js';

/** Unit tests wait at most 4 s, inside jest's 5 s, so a failure shows the last assertion. */
const soon = <T>(check: () => Promise<T> | T): Promise<T> =>
  eventually(check, { timeoutMs: 4_000, pollMs: 10 });

const NS = 'team';
const key = (name: string) => objectKey(API.configMap, NS, name);
const collection = { ...API.configMap, namespace: NS };

describe('ClientNodeCluster against a fake API server', () => {
  let fake: FakeApiServer;
  let cluster: ClientNodeCluster;
  let logLines: Record<string, unknown>[];

  const make = (options: Partial<ClientNodeClusterOptions> = {}) => {
    logLines = [];
    const destination = new Writable({
      write(chunk: Buffer, _enc, done) {
        logLines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
        done();
      },
    });
    cluster = new ClientNodeCluster({
      kubeConfig: fake.kubeConfig(),
      logger: pino({ level: 'warn' }, destination),
      informers: { backoff: { initialMs: 10, maxMs: 50 }, stableAfterMs: 60_000 },
      ...options,
    });
    return cluster;
  };
  const lists = () => fake.count('GET', (r) => r.path.endsWith('/configmaps') && r.query['watch'] !== 'true');
  const watches = () => fake.count('GET', (r) => r.query['watch'] === 'true');
  // The caches keep a ConfigMap's checksum, not its data: reads are compared by checksum.
  const data = async (name: string) => (await cluster.get<ConfigSummary>(key(name)))?.contentChecksum;
  const checksumOf = (content: Record<string, string>) =>
    contentChecksum({ ...API.configMap, metadata: { name: '' }, data: content } as ConfigMap);

  beforeEach(async () => {
    fake = new FakeApiServer();
    await fake.start();
  });
  afterEach(async () => {
    cluster?.stop();
    await fake.stop();
  });

  it('serves a second get from the cache: no further request reaches the server', async () => {
    fake.put(NS, 'a', { v: '1' });
    make();
    expect(await data('a')).toEqual(checksumOf({ v: '1' }));
    const before = fake.requests.length;
    expect(await data('a')).toEqual(checksumOf({ v: '1' }));
    expect(await cluster.get(key('missing'))).toBeUndefined();
    expect(await cluster.list(collection)).toHaveLength(1);
    expect(fake.requests.length).toBe(before);
    expect(cluster.requests).toEqual({ 'discovery v1': 1, 'list configmaps': 1, 'watch configmaps': 1 });
    expect(fake.requests.every((r) => r.authorization === 'Bearer test-token')).toBe(true);
    // Objects from a list carry apiVersion and kind, as single reads do.
    expect(await cluster.get(key('a'))).toMatchObject({ apiVersion: 'v1', kind: 'ConfigMap' });
  });

  it('follows changes made by others through the watch', async () => {
    fake.put(NS, 'a', { v: '1' });
    make();
    await data('a');
    fake.put(NS, 'a', { v: '2' });
    fake.put(NS, 'b', { v: 'b' });
    await soon(async () => expect(await data('a')).toEqual(checksumOf({ v: '2' })));
    await soon(async () => expect(await data('b')).toEqual(checksumOf({ v: 'b' })));
    fake.remove(NS, 'b');
    await soon(async () => expect(await data('b')).toBeUndefined());
  });

  it('reads its own writes before the watch delivers them', async () => {
    fake.put(NS, 'a', { v: '1' });
    make();
    await data('a');
    fake.hold();
    const created = await cluster.create<ConfigMap>({
      ...API.configMap,
      metadata: { name: 'b', namespace: NS },
      data: { v: 'new' },
    });
    expect(created.metadata.uid).toEqual(expect.any(String));
    expect(await data('b')).toEqual(checksumOf({ v: 'new' }));
    await cluster.patch(key('a'), { data: { v: '2' } });
    expect(await data('a')).toEqual(checksumOf({ v: '2' }));
    expect((await cluster.list(collection)).map((o) => o.metadata.name).sort()).toEqual(['a', 'b']);
    await cluster.delete(key('b'));
    expect(await data('b')).toBeUndefined();
    fake.release();
    await soon(() => expect(cluster.informerStats()[0]?.pendingWrites).toBe(0));
    expect(await data('a')).toEqual(checksumOf({ v: '2' }));
    expect(await data('b')).toBeUndefined();
  });

  it('sends merge patches with the precondition in the body, and delete preconditions as DeleteOptions', async () => {
    const created = fake.put(NS, 'a', { v: '1' });
    make();
    await cluster.patch(
      key('a'),
      { data: { v: '2' }, status: { ignored: true } },
      { resourceVersion: created.metadata.resourceVersion },
    );
    const patch = fake.requests.find((r) => r.method === 'PATCH');
    expect(patch?.contentType).toBe('application/merge-patch+json');
    expect(patch?.body).toEqual({
      data: { v: '2' },
      metadata: { resourceVersion: created.metadata.resourceVersion },
    });
    await expect(
      cluster.patch(key('a'), { data: { v: '3' } }, { resourceVersion: created.metadata.resourceVersion }),
    ).rejects.toBeInstanceOf(ConflictError);
    await expect(
      cluster.delete(key('a'), { resourceVersion: created.metadata.resourceVersion }),
    ).rejects.toBeInstanceOf(ConflictError);
    const del = fake.requests.find((r) => r.method === 'DELETE');
    expect(del?.body).toEqual({
      apiVersion: 'v1',
      kind: 'DeleteOptions',
      preconditions: { resourceVersion: created.metadata.resourceVersion },
    });
    expect(cluster.requests['patch configmaps']).toBe(2);
    expect(cluster.requests['delete configmaps']).toBe(1);
  });

  it('maps answers to errors that name the kind and namespace/name', async () => {
    fake.put(NS, 'a', { v: '1' });
    make();
    await expect(
      cluster.create({ ...API.configMap, metadata: { name: 'a', namespace: NS } }),
    ).rejects.toBeInstanceOf(AlreadyExistsError);
    await expect(cluster.patch(key('nope'), { data: {} })).rejects.toThrow(
      'patch ConfigMap team/nope: configmaps "nope" not found',
    );
    await expect(cluster.patch(key('nope'), { data: {} })).rejects.toBeInstanceOf(NotFoundError);
    await expect(cluster.delete(key('nope'))).rejects.toBeInstanceOf(NotFoundError);
    const message =
      'ConfigMap "a" is invalid: data[bad key]: Invalid value: "bad key": a valid config key must consist of alphanumeric characters';
    fake.script((r) => r.method === 'PUT', 422, {
      kind: 'Status',
      status: 'Failure',
      reason: 'Invalid',
      code: 422,
      message,
    });
    const replaced = cluster.replace({
      ...API.configMap,
      metadata: { name: 'a', namespace: NS },
      data: { 'bad key': 'x' },
    });
    await expect(replaced).rejects.toBeInstanceOf(InvalidError);
    await expect(replaced).rejects.toThrow(`replace ConfigMap team/a: ${message}`);
    await expect(cluster.get({ apiVersion: 'v1', kind: 'Widget', namespace: NS, name: 'w' })).rejects.toThrow(
      /does not serve kind Widget in v1/,
    );
  });

  it('pages through long lists', async () => {
    for (const name of ['a', 'b', 'c', 'd', 'e']) fake.put(NS, name, { v: name });
    make({ informers: { pageSize: 2 } });
    expect((await cluster.list(collection)).map((o) => o.metadata.name).sort()).toEqual([
      'a',
      'b',
      'c',
      'd',
      'e',
    ]);
    expect(lists()).toBe(3);
    expect(cluster.requests['list configmaps']).toBe(3);
  });

  it('filters lists by equality label selector', async () => {
    make();
    await cluster.create({
      ...API.configMap,
      metadata: { name: 'red', namespace: NS, labels: { color: 'red' } },
    });
    await cluster.create({
      ...API.configMap,
      metadata: { name: 'blue', namespace: NS, labels: { color: 'blue' } },
    });
    expect((await cluster.list(collection, { color: 'red' })).map((o) => o.metadata.name)).toEqual(['red']);
    expect(await cluster.list(collection, { color: 'green' })).toEqual([]);
  });

  it('rewatches from where it was after a dropped watch, seeing changes made meanwhile', async () => {
    fake.put(NS, 'a', { v: '1' });
    make();
    await data('a');
    await soon(() => expect(fake.openWatches()).toBe(1));
    fake.dropWatches();
    fake.put(NS, 'a', { v: 'while-down' });
    await soon(async () => expect(await data('a')).toEqual(checksumOf({ v: 'while-down' })));
    expect(watches()).toBeGreaterThanOrEqual(2);
    expect(lists()).toBe(1);
    expect(logLines.some((l) => l['msg'] === 'informer restarting')).toBe(true);
  });

  it('relists after repeated watch failures instead of resuming forever', async () => {
    make();
    await cluster.list(collection);
    await soon(() => expect(fake.openWatches()).toBe(1));
    for (let i = 0; i < 3; i++)
      fake.script((r) => r.query['watch'] === 'true', 500, {
        kind: 'Status',
        code: 500,
        message: 'internal error',
      });
    fake.dropWatches();
    await soon(() => expect(lists()).toBe(2));
    await soon(() => expect(fake.openWatches()).toBe(1));
    fake.put(NS, 'after', { v: '1' });
    await soon(async () => expect(await data('after')).toEqual(checksumOf({ v: '1' })));
  });

  it('relists when the watch answers 410 Gone, telling watchers what changed', async () => {
    fake.put(NS, 'a', { v: '1' });
    fake.put(NS, 'b', { v: '1' });
    make();
    const events: WatchEvent<ConfigMap>[] = [];
    const stop = cluster.watch<ConfigMap>(collection, (e) => events.push(e));
    await soon(() => expect(events.map((e) => e.type)).toEqual(['ADDED', 'ADDED']));
    await soon(() => expect(fake.openWatches()).toBe(1));
    fake.hold();
    fake.put(NS, 'a', { v: 'changed' });
    fake.remove(NS, 'b');
    fake.expireNextWatches(1);
    fake.dropWatches();
    await soon(() => expect(lists()).toBe(2));
    await soon(() =>
      expect(
        events
          .slice(2)
          .map((e) => [e.type, e.object.metadata.name])
          .sort(),
      ).toEqual([
        ['DELETED', 'b'],
        ['MODIFIED', 'a'],
      ]),
    );
    expect(await data('a')).toEqual(checksumOf({ v: 'changed' }));
    expect(logLines.some((l) => l['msg'] === 'informer resourceVersion expired, relisting')).toBe(true);
    stop();
  });

  it('restarts a watch that goes silent past its own timeout', async () => {
    make({
      informers: { watchTimeoutSeconds: { min: 1, max: 1 }, silenceGraceMs: 100, backoff: { initialMs: 10 } },
    });
    await cluster.list(collection);
    // The fake ignores timeoutSeconds and never closes: only the silence watchdog ends the watch.
    await soon(() => expect(watches()).toBeGreaterThanOrEqual(2));
    fake.put(NS, 'late', { v: '1' });
    await soon(async () => expect(await data('late')).toEqual(checksumOf({ v: '1' })));
  });

  it('rejects a read whose first list fails, then starts afresh on the next read', async () => {
    make();
    fake.script((r) => r.path.endsWith('/configmaps'), 500, {
      kind: 'Status',
      code: 500,
      message: 'etcdserver: request timed out',
    });
    const failed = cluster.get(key('a'));
    await expect(failed).rejects.toBeInstanceOf(KubeApiError);
    await expect(failed).rejects.toThrow(/etcdserver: request timed out/);
    expect(cluster.informerStats()).toEqual([]);
    fake.put(NS, 'a', { v: '1' });
    expect(await data('a')).toEqual(checksumOf({ v: '1' }));
  });

  it('keeps retrying a failing list with backoff for a watcher, and logs each restart', async () => {
    make();
    for (let i = 0; i < 3; i++)
      fake.script((r) => r.path.endsWith('/configmaps') && r.query['watch'] !== 'true', 503, {
        kind: 'Status',
        code: 503,
        message: 'unavailable',
      });
    fake.put(NS, 'a', { v: '1' });
    const events: WatchEvent[] = [];
    const stop = cluster.watch(collection, (e) => events.push(e));
    await soon(() => expect(events.map((e) => e.type)).toEqual(['ADDED']));
    const restarts = logLines.filter((l) => l['msg'] === 'informer restarting');
    expect(restarts.map((l) => l['attempt'])).toEqual([1, 2, 3]);
    expect(
      restarts.every((l) => typeof l['delayMs'] === 'number' && l['collection'] === 'v1 ConfigMap team'),
    ).toBe(true);
    stop();
  });

  it('keeps neither data nor managedFields of what it lists, watches or writes; getFull reads the data', async () => {
    fake.put(NS, 'listed', { v: 'listed-value' });
    make();
    const events: WatchEvent[] = [];
    cluster.watch(collection, (e) => events.push(e));
    await cluster.get(key('listed'));
    fake.put(NS, 'watched', { v: 'watched-value' });
    await cluster.create<ConfigMap>({
      ...API.configMap,
      metadata: { name: 'mine', namespace: NS },
      data: { v: 'mine-value' },
    });
    await soon(() =>
      expect(events.map((e) => e.object.metadata.name)).toEqual(['listed', 'watched', 'mine']),
    );
    const read = [
      ...(await cluster.list(collection)),
      ...events.map((e) => e.object),
      ...(await Promise.all(['listed', 'watched', 'mine'].map((n) => cluster.get(key(n))))),
    ];
    expect(read).toHaveLength(9);
    for (const object of read) {
      expect(JSON.stringify(object)).not.toMatch(/-value|managedFields/);
      expect((object as ConfigSummary | undefined)?.contentChecksum).toMatch(/^[0-9a-f]{16}$/);
    }
    const gets = fake.count('GET', (r) => r.path.endsWith('/configmaps/mine'));
    const full = await cluster.getFull<ConfigMap>(key('mine'));
    expect(full?.data).toEqual({ v: 'mine-value' });
    expect(JSON.stringify(full)).not.toContain('managedFields');
    expect(fake.count('GET', (r) => r.path.endsWith('/configmaps/mine'))).toBe(gets + 1);
    expect(await cluster.getFull(key('absent'))).toBeUndefined();
  });

  it('delivers ADDED for existing objects, then changes; unsubscribe and stop end delivery', async () => {
    fake.put(NS, 'a', { v: '1' });
    make();
    await data('a');
    const first: string[] = [];
    const second: string[] = [];
    const version = (o: ConfigSummary) =>
      ['1', '2', '3'].find((v) => checksumOf({ v }) === o.contentChecksum);
    const stopFirst = cluster.watch<ConfigSummary>(collection, (e) =>
      first.push(`${e.type} ${version(e.object)}`),
    );
    cluster.watch<ConfigSummary>(collection, (e) => second.push(`${e.type} ${version(e.object)}`));
    await soon(() => expect(first).toEqual(['ADDED 1']));
    fake.put(NS, 'a', { v: '2' });
    await soon(() => expect(first).toEqual(['ADDED 1', 'MODIFIED 2']));
    stopFirst();
    fake.put(NS, 'a', { v: '3' });
    await soon(() => expect(second).toEqual(['ADDED 1', 'MODIFIED 2', 'MODIFIED 3']));
    expect(first).toEqual(['ADDED 1', 'MODIFIED 2']);
    cluster.stop();
    await soon(() => expect(fake.openWatches()).toBe(0));
    await expect(cluster.get(key('a'))).rejects.toThrow(/stopped/);
  });

  it("releases a namespace's caches that nothing watches, and reads afresh afterwards", async () => {
    fake.put(NS, 'a', { v: '1' });
    make();
    await data('a');
    expect(cluster.informerStats().map((s) => s.collection)).toEqual([`v1 ConfigMap ${NS}`]);
    expect(cluster.releaseNamespace('other')).toBe(0);
    expect(cluster.releaseNamespace(NS)).toBe(1);
    expect(cluster.informerStats()).toEqual([]);
    await soon(() => expect(fake.openWatches()).toBe(0));
    fake.put(NS, 'a', { v: '2' });
    expect(await data('a')).toEqual(checksumOf({ v: '2' }));
    // A collection someone watches stays.
    cluster.watch<ConfigMap>(collection, () => undefined);
    expect(cluster.releaseNamespace(NS)).toBe(0);
  });

  it('opens no watch when stopped during the first list', async () => {
    make();
    fake.delay((r) => r.path.endsWith('/configmaps'), 200);
    const read = cluster.get(key('a'));
    await soon(() => expect(lists()).toBe(1));
    cluster.stop();
    await expect(read).rejects.toThrow(/stopped/);
    await sleep(400);
    expect(watches()).toBe(0);
    expect(fake.openWatches()).toBe(0);
  });

  it('validates its options, naming the field', () => {
    expect(() => make({ qps: -1 })).toThrow(/qps/);
    expect(() => make({ burst: 0 })).toThrow(/burst/);
    expect(() => make({ informers: { backoff: { jitter: 3 } } })).toThrow(/backoff.jitter/);
    expect(() => make({ informers: { watchTimeoutSeconds: { min: 5, max: 1 } } })).toThrow(
      /watchTimeoutSeconds/,
    );
  });
});
