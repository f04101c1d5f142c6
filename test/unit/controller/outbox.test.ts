import type { PendingEffect, Phase } from '../../../src/api/schema/canary.js';
import { EventReasons } from '../../../src/controller/events.js';
import { OUTBOX_MAX_ATTEMPTS, calculateEffects, nextPendingEffect } from '../../../src/controller/outbox.js';
import type { MergePatch, ObjectKey } from '../../../src/kube/cluster.js';
import { API, objectKey } from '../../../src/kube/resources.js';
import { Harness, NS } from './harness.js';

const CANARY = objectKey(API.canary, NS, 'podinfo');

/** A canary at weight 10 with one failed check: the next failing check (threshold 2) rolls back. */
async function oneCheckFromRollback(): Promise<Harness> {
  const h = new Harness();
  await h.startRollout('podinfo');
  await h.tick('podinfo'); // pre-rollout -> 10
  h.checks.metricValue = 95;
  await h.tick('podinfo'); // failedChecks 1
  return h;
}

/** Makes the next `count` writes of VirtualServices fail, as an API server outage would. */
function failVirtualServiceWrites(h: Harness, count: number): void {
  const patch = h.cluster.patch.bind(h.cluster);
  let left = count;
  h.cluster.patch = (async (key: ObjectKey, body: MergePatch, options?: { resourceVersion?: string }) => {
    if (key.kind === API.virtualService.kind && left-- > 0) throw new Error('the API server is unavailable');
    return patch(key, body, options);
  }) as typeof h.cluster.patch;
}

const errorAlerts = (h: Harness) => h.checks.alerts.filter((a) => a.severity === 'error');

describe('outbox: effects of a transition are never lost', () => {
  it('delivers the rollback alert and the post-rollout hook exactly once when the route write fails', async () => {
    const h = await oneCheckFromRollback();
    failVirtualServiceWrites(h, 1);

    const failed = await h.tick('podinfo'); // decides Failed, commits it, the route write throws
    expect(failed.error?.message).toContain('unavailable');
    const committed = (await h.canary('podinfo')).status!;
    expect(committed.phase).toBe('Failed');
    // Alerts and Events hold whether or not routes followed; the hook waits for the routes.
    expect(committed.outbox?.map((e) => e.kind)).toEqual(['post-rollout']);
    expect(h.checks.postRollouts).toEqual([]);

    await h.tick('podinfo'); // nothing left to decide: it routes back and drains the outbox
    await h.tick('podinfo');
    expect(h.weights.get('podinfo')).toEqual(['100/0', '90/10', '100/0']);
    expect(errorAlerts(h)).toHaveLength(1);
    expect(h.checks.postRollouts).toEqual(['Failed']);
    expect((await h.canary('podinfo')).status?.outbox).toBeUndefined();
    expect((await h.events()).filter((e) => e.reason === EventReasons.RollingBack)).toHaveLength(1);
  });

  it('retries a notifier that fails N times with the same id, and the other effect of the tick only once', async () => {
    const h = await oneCheckFromRollback();
    h.checks.failAlerts = 3;
    await h.tick('podinfo'); // rollback: alert fails, post-rollout delivered
    const pending = (await h.canary('podinfo')).status?.outbox;
    expect(pending).toEqual([
      expect.objectContaining({
        kind: 'alert',
        severity: 'error',
        attempts: 1,
        lastError: expect.any(String),
      }),
    ]);
    for (let i = 0; i < 3; i++) await h.tick('podinfo');

    const alerts = h.checks.deliveries.filter((d) => d.kind === 'alert' && d.id === pending![0]!.id);
    expect(alerts.map((d) => d.ok)).toEqual([false, false, false, true]);
    expect(errorAlerts(h)).toHaveLength(1);
    expect(h.checks.postRollouts).toEqual(['Failed']);
    const hooks = h.checks.deliveries.filter((d) => d.kind === 'post-rollout');
    expect(hooks).toHaveLength(1);
    expect(hooks[0]?.id).not.toBe(pending![0]!.id);
    expect((await h.canary('podinfo')).status?.outbox).toBeUndefined();
  });

  it('gives up an effect after a bounded number of attempts, with a Warning Event', async () => {
    const h = await oneCheckFromRollback();
    h.checks.failAlerts = Number.POSITIVE_INFINITY;
    for (let i = 0; i < OUTBOX_MAX_ATTEMPTS + 2; i++) await h.tick('podinfo');
    const attempts = h.checks.deliveries.filter((d) => d.kind === 'alert' && !d.ok);
    expect(attempts).toHaveLength(OUTBOX_MAX_ATTEMPTS);
    expect((await h.canary('podinfo')).status?.outbox).toBeUndefined();
    const abandoned = (await h.events()).filter((e) => e.reason === EventReasons.EffectAbandoned);
    expect(abandoned).toHaveLength(1);
    expect(abandoned[0]?.note).toContain('alert "scripted": scripted failure');
  });

  it('does not remove entries another replica changed meanwhile: delivered again, same id', async () => {
    const h = await oneCheckFromRollback();
    const postRollout = h.checks.postRollout.bind(h.checks);
    let raced = false;
    h.checks.postRollout = async (...args: Parameters<typeof postRollout>) => {
      if (!raced) {
        raced = true; // another replica touches the Canary while this one delivers
        await h.cluster.patch(CANARY, { metadata: { annotations: { touched: 'yes' } } });
      }
      return postRollout(...args);
    };
    await h.tick('podinfo');
    expect((await h.canary('podinfo')).status?.outbox?.map((e) => e.kind)).toEqual([
      'event',
      'event',
      'alert',
      'post-rollout',
    ]);
    await h.tick('podinfo');
    const hooks = h.checks.deliveries.filter((d) => d.kind === 'post-rollout');
    expect(hooks).toHaveLength(2);
    expect(hooks[1]?.id).toBe(hooks[0]?.id);
    expect((await h.canary('podinfo')).status?.outbox).toBeUndefined();
  });

  it('sends the effect id to receivers, distinct per effect', async () => {
    const h = await oneCheckFromRollback();
    await h.tick('podinfo');
    const ids = h.checks.deliveries.map((d) => d.id);
    expect(ids.every((id) => typeof id === 'string' && id.length > 0)).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
  });
});

describe('calculateEffects', () => {
  const decision = (phase: Phase) => ({
    status: { phase },
    events: [{ type: 'Normal' as const, reason: EventReasons.Promoted, message: 'done' }],
    alerts: [{ severity: 'info' as const, message: 'done' }],
    postRollout: 'Succeeded' as const,
  });

  it('writes a transition down, and sends the Events of a tick without one at once', () => {
    const transition = calculateEffects({
      outbox: [],
      decision: decision('Succeeded'),
      phaseBefore: 'Finalising',
      idBase: 'uid-7-x',
      checksum: 'abc',
    });
    expect(transition.outbox.map((e) => [e.kind, e.id])).toEqual([
      ['event', 'uid-7-x-0'],
      ['alert', 'uid-7-x-1'],
      ['post-rollout', 'uid-7-x-2'],
    ]);
    expect(transition.direct).toEqual([]);
    const step = calculateEffects({
      outbox: [],
      decision: { ...decision('Progressing'), alerts: [], postRollout: undefined },
      phaseBefore: 'Progressing',
      idBase: 'uid-8-y',
      checksum: 'abc',
    });
    expect(step.outbox).toEqual([]);
    expect(step.direct.map((d) => d.id)).toEqual(['uid-8-y-0']);
  });

  it('bounds the outbox, dropping the oldest entries', () => {
    const old: PendingEffect[] = Array.from({ length: 5 }, (_, i) => ({
      id: `old-${i}`,
      kind: 'alert',
      phase: 'Failed',
      checksum: 'abc',
    }));
    const out = calculateEffects({
      outbox: old,
      decision: decision('Succeeded'),
      phaseBefore: 'Finalising',
      idBase: 'new',
      checksum: 'abc',
      maxEntries: 6,
    });
    expect(out.outbox.map((e) => e.id)).toEqual(['old-2', 'old-3', 'old-4', 'new-0', 'new-1', 'new-2']);
    expect(out.dropped.map((e) => e.id)).toEqual(['old-0', 'old-1']);
  });

  it('keeps what a receiver took, so a retry skips it', () => {
    const entry: PendingEffect = { id: 'e', kind: 'event', phase: 'Failed', checksum: 'abc' };
    const next = nextPendingEffect(entry, {
      delivered: ['kubernetes-event'],
      failed: [{ receiver: 'webhook "a"', message: '500' }],
    });
    expect(next).toEqual({
      outcome: 'retry',
      entry: { ...entry, attempts: 1, delivered: ['kubernetes-event'], lastError: 'webhook "a": 500' },
    });
    expect(nextPendingEffect(entry, { delivered: ['webhook "a"'], failed: [] })).toEqual({
      outcome: 'delivered',
    });
  });
});
