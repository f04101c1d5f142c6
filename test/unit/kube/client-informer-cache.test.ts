/**
 * The informer store: the stream view plus the answers of this process's writes until the stream
 * catches up. resourceVersions are compared for equality only.
 */
import { contentChecksum } from '../../../src/kube/cache-shape.js';
import type { ConfigSummary, KubeObject } from '../../../src/kube/cluster.js';
import { CollectionCache } from '../../../src/kube/client/informer-cache.js';

const cm = (
  name: string,
  rv: string,
  extra: Partial<KubeObject['metadata']> = {},
  data = 'x',
): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  // The value is a label: the cache keeps a ConfigMap's metadata, and a checksum in place of data.
  metadata: { name, namespace: 'ns', uid: `uid-${name}`, resourceVersion: rv, labels: { v: data }, ...extra },
});
const value = (o: KubeObject | undefined) => o?.metadata.labels?.['v'];

describe('CollectionCache', () => {
  it('turns a relist into the events the stream would have delivered', () => {
    const cache = new CollectionCache();
    expect(
      cache.replace([cm('a', '1'), cm('b', '2')], 0).map((e) => [e.type, e.object.metadata.name]),
    ).toEqual([
      ['ADDED', 'a'],
      ['ADDED', 'b'],
    ]);
    const events = cache.replace([cm('b', '5'), cm('c', '6')], 1);
    expect(events.map((e) => [e.type, e.object.metadata.name])).toEqual([
      ['DELETED', 'a'],
      ['MODIFIED', 'b'],
      ['ADDED', 'c'],
    ]);
    expect(cache.replace([cm('b', '5'), cm('c', '6')], 2)).toEqual([]);
    expect(
      cache
        .list()
        .map((o) => o.metadata.name)
        .sort(),
    ).toEqual(['b', 'c']);
  });

  it('shows a write before the stream delivers it, and ignores older stream events meanwhile', () => {
    const cache = new CollectionCache();
    cache.replace([cm('a', '1', {}, 'old')], 0);
    cache.recordWrite(cm('a', '3', {}, 'mine'), 5);
    expect(value(cache.get('ns/a'))).toBe('mine');
    // Another writer's change that happened before mine arrives first: the cache keeps my write.
    cache.apply('MODIFIED', cm('a', '2', {}, 'theirs'));
    expect(value(cache.get('ns/a'))).toBe('mine');
    expect(cache.pendingOverlays).toBe(1);
    cache.apply('MODIFIED', cm('a', '3', {}, 'mine'));
    expect(cache.pendingOverlays).toBe(0);
    // Later changes by others show.
    cache.apply('MODIFIED', cm('a', '4', {}, 'later'));
    expect(value(cache.get('ns/a'))).toBe('later');
  });

  it('sets no overlay for a write the stream already delivered (including a no-op patch)', () => {
    const cache = new CollectionCache();
    cache.replace([], 0);
    cache.apply('ADDED', cm('a', '7', {}, 'v7'));
    cache.apply('MODIFIED', cm('a', '8', {}, 'v8'));
    cache.recordWrite(cm('a', '7', {}, 'v7'), 9);
    expect(cache.pendingOverlays).toBe(0);
    expect(value(cache.get('ns/a'))).toBe('v8');
    cache.recordWrite(cm('a', '8', {}, 'v8'), 10);
    expect(cache.pendingOverlays).toBe(0);
  });

  it('hides an object deleted by this process until the stream delivers the deletion', () => {
    const cache = new CollectionCache();
    cache.replace([cm('a', '1')], 0);
    cache.recordDeleted('ns/a', 'uid-a', 3);
    expect(cache.get('ns/a')).toBeUndefined();
    expect(cache.list()).toEqual([]);
    cache.apply('MODIFIED', cm('a', '2'));
    expect(cache.get('ns/a')).toBeUndefined();
    cache.apply('DELETED', cm('a', '3'));
    expect(cache.pendingOverlays).toBe(0);
    // A new object of the same name created later by someone else shows.
    cache.apply('ADDED', cm('a', '4', { uid: 'uid-new' }));
    expect(cache.get('ns/a')?.metadata.uid).toBe('uid-new');
  });

  it('ignores a delete answer whose deletion the stream already delivered', () => {
    const cache = new CollectionCache();
    cache.replace([cm('a', '1')], 0);
    cache.apply('DELETED', cm('a', '2'));
    cache.apply('ADDED', cm('a', '3', { uid: 'uid-second' }));
    cache.recordDeleted('ns/a', 'uid-a', 4);
    expect(cache.get('ns/a')?.metadata.uid).toBe('uid-second');
  });

  it('treats a write answer with a deletion timestamp and no finalizers as a deletion', () => {
    const cache = new CollectionCache();
    cache.replace([cm('a', '1', { finalizers: ['f'], deletionTimestamp: 't' })], 0);
    cache.recordWrite(cm('a', '2', { deletionTimestamp: 't' }), 3);
    expect(cache.get('ns/a')).toBeUndefined();
    // With a finalizer left it is still there, terminating.
    cache.recordWrite(cm('b', '4', { finalizers: ['f'], deletionTimestamp: 't' }), 4);
    expect(cache.get('ns/b')?.metadata.deletionTimestamp).toBe('t');
  });

  it('drops overlays of writes answered before a relist began, keeps later ones', () => {
    const cache = new CollectionCache();
    cache.replace([cm('a', '1'), cm('b', '1b')], 0);
    cache.recordWrite(cm('a', '2', {}, 'early'), 3);
    cache.recordWrite(cm('b', '6', {}, 'late'), 8);
    // The list began at ticket 5 (after the first write), and missed the second write.
    cache.replace([cm('a', '5', {}, 'newer'), cm('b', '1b')], 5);
    expect(value(cache.get('ns/a'))).toBe('newer');
    expect(value(cache.get('ns/b'))).toBe('late');
    expect(cache.pendingOverlays).toBe(1);
  });

  it('drops a write overlay when the stream delivers the object deletion', () => {
    const cache = new CollectionCache();
    cache.replace([cm('a', '1')], 0);
    cache.recordWrite(cm('a', '2'), 2);
    cache.apply('DELETED', cm('a', '9'));
    expect(cache.get('ns/a')).toBeUndefined();
    expect(cache.pendingOverlays).toBe(0);
  });

  it('keeps the stream view apart for watch subscribers', () => {
    const cache = new CollectionCache();
    cache.replace([cm('a', '1', {}, 'stream')], 0);
    cache.recordWrite(cm('a', '2', {}, 'mine'), 1);
    expect(cache.streamObjects().map(value)).toEqual(['stream']);
    expect(cache.list().map(value)).toEqual(['mine']);
  });
});

describe('CollectionCache: what it keeps', () => {
  const secret = (rv: string, value: string): KubeObject =>
    ({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: {
        name: 's',
        namespace: 'ns',
        uid: 'uid-s',
        resourceVersion: rv,
        managedFields: [{ manager: 'm' }],
      },
      type: 'Opaque',
      data: { token: value },
    }) as KubeObject;

  it('keeps Secrets without their values or managedFields, whichever way they come in', () => {
    const cache = new CollectionCache();
    const listed = cache.replace([secret('1', 'bGlzdGVk')], 0);
    const watched = cache.apply('MODIFIED', secret('2', 'd2F0Y2hlZA=='));
    cache.recordWrite(secret('3', 'd3JpdHRlbg=='), 1);
    const kept = [...listed.map((e) => e.object), watched.object, ...cache.list(), ...cache.streamObjects()];
    expect(kept).toHaveLength(4);
    for (const object of kept) {
      expect(JSON.stringify(object)).not.toMatch(/bGlzdGVk|d2F0Y2hlZA==|d3JpdHRlbg==|managedFields/);
      expect((object as ConfigSummary).contentChecksum).toMatch(/^[0-9a-f]{16}$/);
    }
    expect((cache.get('ns/s') as ConfigSummary).contentChecksum).toBe(
      contentChecksum(secret('3', 'd3JpdHRlbg==')),
    );
  });
});
