import { KubeEventRecorder } from '../../../src/controller/event-recorder.js';
import { EventReasons } from '../../../src/controller/events.js';
import type { EventEffect } from '../../../src/controller/types.js';
import { MemoryCluster } from '../../../src/kube/memory/memory-cluster.js';
import { API, objectKey, type KubeEvent } from '../../../src/kube/resources.js';
import { Harness, NS } from './harness.js';

const CANARY = { namespace: NS, name: 'podinfo', uid: 'u-1' };
const HALT: EventEffect = { type: 'Normal', reason: EventReasons.WaitingForApproval, message: 'halted' };

function setup(options: { cacheSize?: number; randomSuffix?: () => string } = {}) {
  let nowMs = Date.parse('2026-03-01T12:00:00Z');
  const cluster = new MemoryCluster({ now: () => new Date(nowMs) });
  const recorder = new KubeEventRecorder({ cluster, now: () => new Date(nowMs), instance: 'a', ...options });
  return {
    cluster,
    recorder,
    advance: (ms: number) => (nowMs += ms),
    events: () => cluster.list<KubeEvent>({ ...API.event, namespace: NS }),
  };
}

describe('KubeEventRecorder: repeats are one Event series', () => {
  it('patches the series of a repeat within the window instead of creating an Event', async () => {
    const t = setup();
    await t.recorder.record(CANARY, HALT);
    t.advance(60_000);
    await t.recorder.record(CANARY, HALT);
    t.advance(60_000);
    await t.recorder.record(CANARY, HALT);
    await t.recorder.record(CANARY, { ...HALT, message: 'halted again, differently' });

    const events = await t.events();
    expect(events).toHaveLength(2);
    const series = events.find((e) => e.note === 'halted');
    expect(series?.eventTime).toBe('2026-03-01T12:00:00.000000Z');
    expect(series?.series).toEqual({ count: 3, lastObservedTime: '2026-03-01T12:02:00.000000Z' });
    expect(events.find((e) => e.note !== 'halted')?.series).toBeUndefined();
  });

  it('starts a new Event after the window, and when the API server expired the last one', async () => {
    const t = setup();
    await t.recorder.record(CANARY, HALT);
    t.advance(7 * 60_000);
    await t.recorder.record(CANARY, HALT);
    expect(await t.events()).toHaveLength(2);

    for (const e of await t.events()) await t.cluster.delete(objectKey(API.event, NS, e.metadata.name));
    t.advance(60_000);
    await t.recorder.record(CANARY, HALT);
    const events = await t.events();
    expect(events).toHaveLength(1);
    expect(events[0]?.series).toBeUndefined();
  });

  it('names Events so that two replicas recording in the same millisecond cannot collide', async () => {
    const t = setup();
    const other = new KubeEventRecorder({ cluster: t.cluster, now: () => new Date(0), instance: 'b' });
    const mine = new KubeEventRecorder({ cluster: t.cluster, now: () => new Date(0), instance: 'a' });
    await mine.record(CANARY, HALT);
    await other.record(CANARY, HALT);
    const names = (await t.events()).map((e) => e.metadata.name);
    expect(names).toHaveLength(2);
    expect(names.every((n) => /^podinfo\.0[0-9a-f]{8}$/.test(n))).toBe(true);

    const draws = ['aaaaaaaa', 'aaaaaaaa', 'bbbbbbbb'];
    const unlucky = setup({ randomSuffix: () => draws.shift()! });
    await unlucky.recorder.record(CANARY, HALT);
    await unlucky.recorder.record(CANARY, { ...HALT, message: 'other' }); // draws the taken name first
    expect(await unlucky.events()).toHaveLength(2);
  });

  it('keeps a bounded cache, least recently used dropped first', async () => {
    const t = setup({ cacheSize: 2 });
    const a = { ...HALT, message: 'a' };
    const b = { ...HALT, message: 'b' };
    const c = { ...HALT, message: 'c' };
    await t.recorder.record(CANARY, a);
    await t.recorder.record(CANARY, b);
    await t.recorder.record(CANARY, a); // a is now the most recently used
    await t.recorder.record(CANARY, c); // evicts b
    await t.recorder.record(CANARY, a);
    await t.recorder.record(CANARY, b); // forgotten: a new Event
    const byNote = (await t.events()).map((e) => [e.note, e.series?.count ?? 1]);
    expect(byNote.sort()).toEqual([
      ['a', 3],
      ['b', 1],
      ['b', 1],
      ['c', 1],
    ]);
  });

  it('refuses a cache size below one', () => {
    expect(() => setup({ cacheSize: 0 })).toThrow('cacheSize must be an integer >= 1 (got 0)');
  });
});

describe('a gate closed for several ticks', () => {
  it('is one Event whose series counts the ticks', async () => {
    const h = await Harness.start();
    try {
      h.receiver.on('/traffic', { status: 200 });
      await h.startRollout('podinfo', {
        webhooks: [h.hook('manual', 'confirm-traffic-increase', '/traffic')],
      });
      await h.tick('podinfo'); // -> 10
      h.receiver.on('/traffic', { status: 403 });
      for (let i = 0; i < 4; i++) await h.tick('podinfo');
      const halts = (await h.events()).filter((e) => e.reason === EventReasons.WaitingForApproval);
      expect(halts).toHaveLength(1);
      expect(halts[0]?.series?.count).toBe(4);
    } finally {
      await h.close();
    }
  });
});
