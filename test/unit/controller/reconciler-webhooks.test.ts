/**
 * Which webhooks a tick calls, in which order and with what payload, on the in-memory cluster with
 * a real local HTTP receiver: Flagger's order (rollback, then pre-rollout or rollout hooks, then
 * metrics, then the step gate), stopping at the first failure, `phase: Progressing` for analysis
 * hooks, and Flagger's checksum.
 */
import type { Canary } from '../../../src/api/schema/canary.js';
import { canaryChecksum } from '../../../src/hooks/payload.js';
import type { WebhookPayload } from '../../../src/hooks/webhook.js';
import type { ReceivedRequest } from '../../support/http-receiver.js';
import { ALERTS_PATH, Harness, NS } from './harness.js';

let h: Harness;
beforeEach(async () => {
  h = await Harness.start();
});
afterEach(async () => {
  await h.close();
});

/** One tick: the hook requests it made (Events and alerts aside), the metric queries, the phase after. */
async function tick(): Promise<{ requests: ReceivedRequest[]; metrics: number; phase: string | undefined }> {
  const from = h.receiver.requests.length;
  const queries = h.metricQueries.length;
  const result = await h.tick('podinfo');
  if (result.error) throw result.error;
  const requests = h.receiver.requests
    .slice(from)
    .filter((r) => r.path !== '/event' && r.path !== ALERTS_PATH);
  return { requests, metrics: h.metricQueries.length - queries, phase: result.phase };
}

const paths = (requests: ReceivedRequest[]) => requests.map((r) => r.path);
const payloads = (requests: ReceivedRequest[]) => requests.map((r) => JSON.parse(r.body) as WebhookPayload);

/** Installs podinfo with `analysis`, initialises it and delivers podinfo:2. */
async function newRevision(analysis: Partial<Canary['spec']['analysis']>): Promise<void> {
  await h.install('podinfo', 'podinfo:1', analysis);
  await h.tickUntil('podinfo', ['Initialized']);
  await h.setImage('podinfo', 'podinfo:2');
}

describe('webhooks within a tick', () => {
  it("calls every type in Flagger's order through a rollout, with phase Progressing and one checksum", async () => {
    await newRevision({ webhooks: h.allHooks() });
    const before = (await h.canary('podinfo')).status!;

    const start = await tick();
    expect(paths(start.requests)).toEqual(['/confirm-rollout']);
    expect(start.phase).toBe('Progressing');
    const status = (await h.canary('podinfo')).status!;
    const checksum = canaryChecksum(status);
    expect(checksum).not.toBe(canaryChecksum(before));
    expect(payloads(start.requests)).toEqual([
      { name: 'podinfo', namespace: NS, phase: 'Initialized', checksum, metadata: {} },
    ]);

    const pre = await tick();
    expect(paths(pre.requests)).toEqual(['/rollback', '/pre-a', '/pre-b', '/traffic']);
    expect(pre.metrics).toBe(0);

    const steps = [await tick(), await tick()]; // 10 -> 20 -> 30
    for (const step of steps) {
      expect(paths(step.requests)).toEqual(['/rollback', '/load', '/smoke', '/traffic']);
      expect(step.metrics).toBe(1);
    }
    const last = await tick(); // at maxWeight: the promotion gate instead of the traffic gate
    expect(paths(last.requests)).toEqual(['/rollback', '/load', '/smoke', '/promotion']);
    expect(last.phase).toBe('Promoting');

    const analysis = [pre, ...steps, last].flatMap((t) => payloads(t.requests));
    expect(new Set(analysis.map((p) => p.phase))).toEqual(new Set(['Progressing']));
    expect(new Set(analysis.map((p) => p.checksum))).toEqual(new Set([checksum]));
    expect(payloads(steps[0]!.requests)[1]?.metadata).toEqual({ cmd: 'hey -z 1m' });

    const rest = [];
    for (let i = 0; i < 5 && (await h.canary('podinfo')).status?.phase !== 'Succeeded'; i++)
      rest.push(await tick());
    expect(rest.flatMap((t) => paths(t.requests))).toEqual(['/post']);
    expect(payloads(rest.flatMap((t) => t.requests))).toEqual([
      // The post-rollout hook is an outbox effect: its id lets the receiver de-duplicate a retry.
      {
        name: 'podinfo',
        namespace: NS,
        phase: 'Succeeded',
        checksum,
        metadata: { effectId: expect.any(String) },
      },
    ]);
    // Events went to the event hook with the same checksum.
    const events = h.receiver.bodiesTo('/event') as WebhookPayload[];
    expect(events.length).toBeGreaterThan(5);
    expect(events.at(-1)).toMatchObject({ checksum, metadata: { eventType: 'Normal' } });
  });

  it('stops at a failed rollout hook: no hook after it, no metrics, no traffic gate', async () => {
    await newRevision({ webhooks: h.allHooks(), threshold: 3 });
    await tick(); // -> Progressing
    await tick(); // pre-rollout -> 10
    h.receiver.on('/load', { status: 500, body: 'load test failed' });
    const failed = await tick();
    expect(paths(failed.requests)).toEqual(['/rollback', '/load']);
    expect(failed.metrics).toBe(0);
    const status = (await h.canary('podinfo')).status!;
    expect(status).toMatchObject({ phase: 'Progressing', canaryWeight: 10, failedChecks: 1 });
    expect(status.checks).toEqual([
      expect.objectContaining({ name: 'load', kind: 'webhook', passed: false }),
    ]);
  });

  it('stops at a failed pre-rollout hook: the next one and the traffic gate are not called', async () => {
    await newRevision({ webhooks: h.allHooks(), threshold: 3 });
    await tick(); // -> Progressing
    h.receiver.on('/pre-a', { status: 503 });
    const failed = await tick();
    expect(paths(failed.requests)).toEqual(['/rollback', '/pre-a']);
    expect((await h.canary('podinfo')).status).toMatchObject({ canaryWeight: 0, failedChecks: 1 });
  });

  it('asks no traffic gate after a failed metric', async () => {
    await newRevision({ webhooks: h.allHooks(), threshold: 3 });
    await tick();
    await tick(); // -> 10
    h.traffic.set(NS, 'podinfo', { errorRatePercent: 10 });
    const failed = await tick();
    expect(paths(failed.requests)).toEqual(['/rollback', '/load', '/smoke']);
    expect(failed.metrics).toBe(1);
  });

  it('asks nothing else once a rollback hook asks for a rollback', async () => {
    await newRevision({ webhooks: h.allHooks() });
    await tick();
    await tick(); // -> 10
    h.receiver.on('/rollback', { status: 200 });
    const rolledBack = await tick();
    expect(paths(rolledBack.requests)).toEqual(['/rollback', '/post']);
    expect(rolledBack.metrics).toBe(0);
    expect(rolledBack.phase).toBe('Failed');
    expect(payloads(rolledBack.requests).map((p) => p.phase)).toEqual(['Progressing', 'Failed']);
  });

  it('sends Progressing to analysis hooks while waiting for promotion, and the persisted phase to rollback hooks', async () => {
    await newRevision({ webhooks: h.allHooks() });
    h.receiver.on('/promotion', { status: 403 });
    for (let i = 0; i < 10 && (await h.canary('podinfo')).status?.phase !== 'WaitingPromotion'; i++)
      await tick();
    const waiting = await tick();
    expect(paths(waiting.requests)).toEqual(['/rollback', '/load', '/smoke', '/promotion']);
    expect(payloads(waiting.requests).map((p) => p.phase)).toEqual([
      'WaitingPromotion',
      'Progressing',
      'Progressing',
      'Progressing',
    ]);
  });
});

describe('alerts on webhook failure, and muteAlert', () => {
  it('alerts at warn, naming the webhook, each time confirm-traffic-increase holds the step', async () => {
    h.receiver.on('/traffic', { status: 403 });
    await newRevision({
      alerts: await h.alertsTo(),
      webhooks: [h.hook('manual', 'confirm-traffic-increase', '/traffic')],
    });
    await tick();
    await tick();
    await tick();
    const warns = h.alerts().filter((a) => a.severity === 'warn');
    expect(warns.map((a) => a.message)).toEqual([
      `Halt ${NS}/podinfo traffic increase: waiting for approval by webhook "manual"`,
      `Halt ${NS}/podinfo traffic increase: waiting for approval by webhook "manual"`,
    ]);
    expect((await h.canary('podinfo')).status?.canaryWeight).toBe(0);
  });

  /** A muted confirm-rollout gate answering `quietStatus`, then an unmuted one that refuses. */
  async function waitOnTwoGates(quietStatus: number): Promise<string[]> {
    h.receiver.on('/quiet', { status: quietStatus });
    h.receiver.on('/loud', { status: 403 });
    await newRevision({
      alerts: await h.alertsTo(),
      webhooks: [
        h.hook('quiet-gate', 'confirm-rollout', '/quiet', { muteAlert: true }),
        h.hook('loud-gate', 'confirm-rollout', '/loud'),
      ],
    });
    await tick();
    expect((await h.canary('podinfo')).status?.phase).toBe('Waiting');
    return h.alerts().flatMap((a) => (a.severity === 'warn' ? [a.message] : []));
  }

  it('sends no alert when the refusing webhook has muteAlert', async () => {
    expect(await waitOnTwoGates(403)).toEqual([]);
    expect(paths(h.receiver.requests).filter((p) => p !== ALERTS_PATH)).toEqual(['/quiet']);
  });

  it('alerts for a refusing webhook after a muted one that approved', async () => {
    expect(await waitOnTwoGates(200)).toEqual([
      `Halt ${NS}/podinfo advancement: waiting for approval by webhook "loud-gate"`,
    ]);
  });
});
