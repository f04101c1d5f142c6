import type { PendingEffect, Phase } from '../../../src/api/schema/canary.js';
import { EventReasons } from '../../../src/controller/events.js';
import { OUTBOX_MAX_ATTEMPTS, calculateEffects, nextPendingEffect } from '../../../src/controller/outbox.js';
import type { MergePatch, ObjectKey } from '../../../src/kube/cluster.js';
import { API, objectKey } from '../../../src/kube/resources.js';
import type { WebhookPayload } from '../../../src/hooks/webhook.js';
import type { Harness } from './harness.js';
import { ALERTS_PATH, NS, useHarness } from './harness.js';

const CANARY = objectKey(API.canary, NS, 'podinfo');

let h: Harness;
useHarness((started) => (h = started));

/**
 * A canary at weight 10 with one failed check, alerting to the receiver and with a post-rollout
 * hook on `/post` and an event hook on `/event`: the next failing check (threshold 2) rolls back.
 */
async function oneCheckFromRollback(): Promise<void> {
  h.receiver.on('/post', { status: 200 });
  h.receiver.on('/event', { status: 200 });
  const alerts = await h.alertsTo();
  await h.startRollout('podinfo', {
    alerts,
    webhooks: [h.hook('notify', 'post-rollout', '/post'), h.hook('events', 'event', '/event')],
  });
  await h.tick('podinfo'); // pre-rollout -> 10
  h.traffic.set(NS, 'podinfo', { errorRatePercent: 5 });
  await h.tick('podinfo'); // failedChecks 1
}

/** Makes the next `count` writes of VirtualServices fail, as an API server outage would. */
function failVirtualServiceWrites(count: number): void {
  const patch = h.cluster.patch.bind(h.cluster);
  let left = count;
  h.cluster.patch = (async (key: ObjectKey, body: MergePatch, options?: { resourceVersion?: string }) => {
    if (key.kind === API.virtualService.kind && left-- > 0) throw new Error('the API server is unavailable');
    return patch(key, body, options);
  }) as typeof h.cluster.patch;
}

/** Answers the alert receiver with 500 `times` times, then with `after`. */
function failAlerts(times: number, after: number = 200): void {
  h.receiver.on(ALERTS_PATH, ...Array.from({ length: times }, () => ({ status: 500 })), { status: after });
}

/** Alert requests the receiver got at severity error (failed ones too), with their ids. */
const errorAlerts = () => h.alerts().filter((a) => a.severity === 'error');
/** Post-rollout hook payloads the receiver got, in order. */
const postRollouts = () => h.receiver.bodiesTo('/post') as WebhookPayload[];

describe('outbox: effects of a transition are never lost', () => {
  it('delivers the rollback alert and the post-rollout hook exactly once when the route write fails', async () => {
    await oneCheckFromRollback();
    failVirtualServiceWrites(1);

    const failed = await h.tick('podinfo'); // decides Failed, commits it, the route write throws
    expect(failed.error?.message).toContain('unavailable');
    const committed = (await h.canary('podinfo')).status!;
    expect(committed.phase).toBe('Failed');
    // Alerts and Events hold whether or not routes followed; the hook waits for the routes.
    expect(committed.outbox?.map((e) => e.kind)).toEqual(['post-rollout']);
    expect(postRollouts()).toEqual([]);
    expect(errorAlerts()).toHaveLength(1);

    await h.tick('podinfo'); // nothing left to decide: it routes back and drains the outbox
    await h.tick('podinfo');
    expect(h.weights.get('podinfo')).toEqual(['100/0', '90/10', '100/0']);
    expect(errorAlerts()).toHaveLength(1);
    expect(postRollouts().map((p) => p.phase)).toEqual(['Failed']);
    expect((await h.canary('podinfo')).status?.outbox).toBeUndefined();
    expect((await h.events()).filter((e) => e.reason === EventReasons.RollingBack)).toHaveLength(1);
  });

  it('retries a notifier that fails N times with the same id, and the other effect of the tick only once', async () => {
    await oneCheckFromRollback();
    failAlerts(3);
    await h.tick('podinfo'); // rollback: the alert fails, the post-rollout hook is delivered
    const pending = (await h.canary('podinfo')).status?.outbox;
    expect(pending).toEqual([
      expect.objectContaining({
        kind: 'alert',
        severity: 'error',
        attempts: 1,
        lastError: expect.stringContaining('alert "all"'),
      }),
    ]);
    for (let i = 0; i < 3; i++) await h.tick('podinfo');

    const id = pending![0]!.id;
    expect(errorAlerts().map((a) => a.id)).toEqual([id, id, id, id]); // 3 refused, then taken
    expect(h.receiver.requestsTo(ALERTS_PATH).length).toBeGreaterThanOrEqual(4);
    const hooks = postRollouts();
    expect(hooks.map((p) => p.phase)).toEqual(['Failed']);
    expect(hooks[0]?.metadata.effectId).toEqual(expect.any(String));
    expect(hooks[0]?.metadata.effectId).not.toBe(id);
    expect((await h.canary('podinfo')).status?.outbox).toBeUndefined();
  });

  it('gives up an effect after a bounded number of attempts, with a Warning Event', async () => {
    await oneCheckFromRollback();
    h.receiver.on(ALERTS_PATH, { status: 500 });
    for (let i = 0; i < OUTBOX_MAX_ATTEMPTS + 2; i++) await h.tick('podinfo');
    expect(errorAlerts()).toHaveLength(OUTBOX_MAX_ATTEMPTS);
    expect((await h.canary('podinfo')).status?.outbox).toBeUndefined();
    const abandoned = (await h.events()).filter((e) => e.reason === EventReasons.EffectAbandoned);
    expect(abandoned).toHaveLength(1);
    expect(abandoned[0]?.note).toContain('alert "all": ');
    expect(abandoned[0]?.note).toContain('500');
  });

  it('does not remove entries another replica changed meanwhile: delivered again, same id', async () => {
    await oneCheckFromRollback();
    const patchStatus = h.cluster.patchStatus.bind(h.cluster);
    let raced = false;
    h.cluster.patchStatus = (async (...args: Parameters<typeof patchStatus>) => {
      // The drain's write holds the outbox alone; the commit point's write holds the phase too.
      if (!raced && Object.keys(args[1]).join() === 'outbox') {
        raced = true; // another replica touches the Canary after this one delivered
        await h.cluster.patch(CANARY, { metadata: { annotations: { touched: 'yes' } } });
      }
      return patchStatus(...args);
    }) as typeof h.cluster.patchStatus;
    await h.tick('podinfo');
    expect(raced).toBe(true);
    expect((await h.canary('podinfo')).status?.outbox?.map((e) => e.kind)).toEqual([
      'event',
      'event',
      'alert',
      'post-rollout',
    ]);
    await h.tick('podinfo');
    const hooks = postRollouts();
    expect(hooks).toHaveLength(2);
    expect(hooks[1]?.metadata.effectId).toBe(hooks[0]?.metadata.effectId);
    expect((await h.canary('podinfo')).status?.outbox).toBeUndefined();
  });

  it('sends the effect id to receivers, distinct per effect', async () => {
    await oneCheckFromRollback();
    const from = h.receiver.requests.length;
    await h.tick('podinfo');
    const sent = h.receiver.requests.slice(from).map((r) => {
      const body = JSON.parse(r.body) as { id?: string; metadata?: Record<string, string> };
      return r.path === ALERTS_PATH ? body.id : body.metadata?.effectId;
    });
    expect(sent.length).toBeGreaterThanOrEqual(4); // two Events, the alert, the post-rollout hook
    expect(sent.every((id) => typeof id === 'string' && id.length > 0)).toBe(true);
    expect(new Set(sent).size).toBe(sent.length);
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
