/**
 * The judge (spec.analysis.judge) through whole ticks on the in-memory cluster: each outcome (pass,
 * regression, hold, hold limit), a count query that fails, the evidence read back from status by a
 * restarted controller, settings changed mid-rollout, and a Flagger manifest left as it was.
 */
import type { Canary } from '../../../src/api/schema/canary.js';
import { EventReasons } from '../../../src/controller/events.js';
import { requestAnnotations } from '../../../src/controller/request-annotations.js';
import { API, objectKey } from '../../../src/kube/resources.js';
import { countQueryTemplate } from '../../support/metric-templates.js';
import type { Harness } from './harness.js';
import { NS, harnessPerTest } from './harness.js';

const harness = harnessPerTest();

/** Busy enough for the judge: 200 rps on each version, 12,000 requests per 1 m interval. */
function traffic(h: Harness, canaryErrorsPercent: number, primaryErrorsPercent: number, rps = 200): void {
  h.traffic.set(NS, 'podinfo', {
    requestsPerSecond: rps,
    errorRatePercent: canaryErrorsPercent,
    p99LatencyMs: 50,
  });
  h.traffic.set(NS, 'podinfo-primary', {
    requestsPerSecond: rps,
    errorRatePercent: primaryErrorsPercent,
    p99LatencyMs: 50,
  });
}

async function status(h: Harness): Promise<NonNullable<Canary['status']>> {
  return (await h.canary('podinfo')).status!;
}

async function reasons(h: Harness): Promise<string[]> {
  return (await h.events()).map((e) => e.reason ?? '');
}

async function notes(h: Harness, reason: string): Promise<string[]> {
  return (await h.events()).filter((e) => e.reason === reason).map((e) => e.note ?? '');
}

/** Starts a rollout of podinfo:2 with the judge and `judge` settings, up to its first step (10%). */
async function rollout(
  h: Harness,
  judge: NonNullable<Canary['spec']['analysis']['judge']> = {},
  over: Partial<Canary['spec']['analysis']> = {},
): Promise<void> {
  await h.startRollout('podinfo', { judge, threshold: 2, stepWeight: 10, maxWeight: 30, ...over });
  await h.tick('podinfo');
  expect((await status(h)).canaryWeight).toBe(10);
}

/** Ticks until the phase is one of `phases`; returns the weights seen after each tick. */
async function tickUntil(h: Harness, phases: string[], limit = 40): Promise<number[]> {
  const seen: number[] = [];
  for (let i = 0; i < limit; i++) {
    const r = await h.tick('podinfo');
    if (r.error) throw r.error;
    const s = await status(h);
    seen.push(s.canaryWeight ?? 0);
    if (phases.includes(s.phase ?? '')) return seen;
  }
  throw new Error(`never reached ${phases.join('|')}: ${(await status(h)).phase}`);
}

/** A rollout at 10% with too little traffic to judge, after two intervals held. */
async function heldTwice(): Promise<Harness> {
  const h = await harness();
  await rollout(h, { maxHolds: 10 });
  traffic(h, 0, 0, 0.05);
  await h.tick('podinfo');
  await h.tick('podinfo');
  return h;
}

describe('the judge in the controller', () => {
  it('rolls back a canary with twice the primary errors while the 99% threshold passes at every tick', async () => {
    const h = await harness();
    await rollout(h, { maxHolds: 100 });
    traffic(h, 0.5, 0.25);
    await tickUntil(h, ['Failed']);
    const s = await status(h);
    expect(s.failedChecks).toBe(0);
    expect(s.checks?.every((c) => c.passed)).toBe(true);
    expect(s.canaryWeight).toBe(0);
    expect(s.judge).toMatchObject({ outcome: 'regression', rolledBack: true });
    expect(s.judge?.metrics[0]).toMatchObject({ metric: 'errors', status: 'regression' });
    expect(s.judge?.metrics[0]?.ratio).toBeCloseTo(2, 1);
    const regression = await notes(h, EventReasons.JudgeRegression);
    expect(regression).toHaveLength(1);
    expect(regression[0]).toContain('regression: roll back');
    const rolling = await notes(h, EventReasons.RollingBack);
    expect(rolling.at(-1)).toContain(
      'the judge found a regression against the primary: regression: roll back',
    );
    const condition = s.conditions?.find((c) => c.type === 'Promoted');
    expect(condition).toMatchObject({ status: 'False', reason: 'Failed' });
    expect(condition?.message).toContain('Judge: regression: roll back; errors (5xx): ratio');
  });

  it('judges latency with latency.edgeMs: a canary slower than the primary is rolled back', async () => {
    const h = await harness();
    await rollout(h, { latency: { edgeMs: 250 } });
    traffic(h, 0, 0);
    // Slower than 250 ms: 10% of the canary's requests (p99 500 ms), 1% of the primary's (p99 250 ms).
    h.traffic.set(NS, 'podinfo', { p99LatencyMs: 500 });
    await tickUntil(h, ['Failed'], 5);
    const s = await status(h);
    expect(s.judge?.metrics.map((m) => [m.metric, m.status])).toEqual([
      ['errors', 'safe'],
      ['latency', 'regression'],
    ]);
    expect(s.judge?.metrics[1]?.event).toBe('> 250 ms');
    expect(h.metricQueries.some((q) => q.count?.of === 'withinEdge' && q.count.edgeMs === 250)).toBe(true);
  });

  it("reads the counts from the judged metric's MetricTemplate, rendered for each version", async () => {
    const h = await harness();
    await h.cluster.create(
      countQueryTemplate(NS, 'app-counts', {
        requests: 'sum(increase(app_requests_total{app="{{ workload }}"}[{{ interval }}]))',
        errors: 'sum(increase(app_requests_total{app="{{ workload }}",code=~"5.."}[{{ interval }}]))',
      }),
    );
    await rollout(
      h,
      { maxHolds: 100 },
      {
        metrics: [
          { name: 'request-success-rate', templateRef: { name: 'app-counts' }, thresholdRange: { min: 99 } },
        ],
      },
    );
    traffic(h, 0.5, 0.25);
    await tickUntil(h, ['Failed']);
    expect((await status(h)).judge).toMatchObject({ outcome: 'regression', rolledBack: true });
    const counted = h.metricQueries.filter((q) => q.count !== undefined);
    expect(new Set(counted.map((q) => `${q.count?.version} ${q.text}`))).toEqual(
      new Set([
        'canary sum(increase(app_requests_total{app="podinfo"}[1m]))',
        'canary sum(increase(app_requests_total{app="podinfo",code=~"5.."}[1m]))',
        'primary sum(increase(app_requests_total{app="podinfo-primary"}[1m]))',
        'primary sum(increase(app_requests_total{app="podinfo-primary",code=~"5.."}[1m]))',
      ]),
    );
  });

  it('counts a judged MetricTemplate without count queries as a failed check naming the field', async () => {
    const h = await harness();
    await h.cluster.create(countQueryTemplate(NS, 'no-counts', undefined));
    await rollout(
      h,
      {},
      {
        metrics: [
          { name: 'request-success-rate', templateRef: { name: 'no-counts' }, thresholdRange: { min: 99 } },
        ],
      },
    );
    traffic(h, 0, 0);
    await h.tick('podinfo');
    const judged = (await status(h)).checks?.find((c) => c.name === 'judge');
    expect(judged?.passed).toBe(false);
    expect(judged?.message).toContain('MetricTemplate test/no-counts: spec.countQueries');
  });

  it('holds until it has the evidence, then steps and promotes a canary no worse than the primary', async () => {
    const h = await harness();
    await rollout(h);
    traffic(h, 0.05, 0.05);
    const weights = await tickUntil(h, ['Succeeded']);
    // Three intervals of 12,000 requests each way before the evidence of no regression is enough.
    expect(weights).toEqual([10, 10, 10, 20, 30, 30, 0, 0]);
    expect(await notes(h, EventReasons.JudgeHeld)).toHaveLength(3);
    expect((await status(h)).judge?.outcome).toBe('pass');
    const passed = await notes(h, EventReasons.JudgePassed);
    expect(passed.length).toBeGreaterThanOrEqual(3);
    expect(passed[0]).toMatch(
      /^Judge of test\/podinfo at canary weight 10: pass: no regression; errors \(5xx\)/,
    );
  });

  it('holds the weight without counting a failed check when there is not enough data, and says how much more it needs', async () => {
    const h = await harness();
    await rollout(h, { maxHolds: 10 });
    traffic(h, 0, 0, 0.05);
    for (let i = 0; i < 3; i++) await h.tick('podinfo');
    const s = await status(h);
    expect(s.phase).toBe('Progressing');
    expect(s.canaryWeight).toBe(10);
    expect(s.failedChecks).toBe(0);
    expect(s.judge).toMatchObject({ outcome: 'hold', state: { holds: 3, intervals: 3 } });
    expect(s.judge?.metrics[0]?.requestsNeeded).toBeGreaterThan(0);
    expect(s.judge?.explanation).toContain('not enough data: hold the weight (3 of 10 holds)');
    expect(s.conditions?.find((c) => c.type === 'Promoted')?.message).toContain(
      'Judge: not enough data: hold the weight',
    );
    const held = await h.events();
    expect(held.filter((e) => e.reason === EventReasons.JudgeHeld).every((e) => e.type === 'Normal')).toBe(
      true,
    );
  });

  it('rolls back at the hold limit (onHoldLimit: fail, the default)', async () => {
    const h = await harness();
    await rollout(h, { maxHolds: 2 });
    traffic(h, 0, 0, 0.05);
    const weights = await tickUntil(h, ['Failed'], 5);
    expect(weights).toEqual([10, 10, 0]);
    const s = await status(h);
    expect(s.judge).toMatchObject({ outcome: 'hold-limit', rolledBack: true });
    const limit = (await h.events()).filter((e) => e.reason === EventReasons.JudgeHoldLimit);
    expect(limit.map((e) => e.type)).toEqual(['Warning']);
    expect((await notes(h, EventReasons.RollingBack)).at(-1)).toContain(
      'the judge held 3 intervals without enough data',
    );
  });

  it('waits at the hold limit for fledge promote (onHoldLimit: gate), which lets one step go ahead', async () => {
    const h = await harness();
    await rollout(h, { maxHolds: 1, onHoldLimit: 'gate' });
    traffic(h, 0, 0, 0.05);
    await h.tick('podinfo');
    await h.tick('podinfo');
    await h.tick('podinfo');
    let s = await status(h);
    expect(s.phase).toBe('Progressing');
    expect(s.canaryWeight).toBe(10);
    expect(s.gate).toEqual({ type: 'judge-hold-limit', revision: s.lastAppliedSpec });
    expect(await notes(h, EventReasons.WaitingForApproval)).toHaveLength(1);
    await h.cluster.patch(objectKey(API.canary, NS, 'podinfo'), {
      metadata: {
        annotations: requestAnnotations({
          action: 'promote',
          revision: s.gate!.revision,
          by: 'alice',
          at: '2026-03-01T13:00:00Z',
        }),
      },
    });
    await h.tick('podinfo');
    s = await status(h);
    expect(s.canaryWeight).toBe(20);
    expect(s.gate).toBeUndefined();
    expect(s.lastRequest).toMatchObject({ result: 'Applied', gate: 'judge-hold-limit' });
    expect(s.judge?.state.holds).toBe(0);
  });

  it('counts a count query that fails as a failed check with its message, never as a pass', async () => {
    const h = await harness();
    await rollout(h, {}, { threshold: 2 });
    traffic(h, 0, 0);
    h.countQueryError = 'prometheus answered 503';
    await h.tick('podinfo');
    let s = await status(h);
    expect(s.failedChecks).toBe(1);
    expect(s.canaryWeight).toBe(10);
    expect(s.checks?.find((c) => c.name === 'judge')).toMatchObject({
      passed: false,
      message: 'judge: count query failed: prometheus answered 503',
    });
    await h.tick('podinfo');
    s = await status(h);
    expect(s.phase).toBe('Failed');
  });

  it('carries on with the evidence in status after a restart, and starts over for a new revision', async () => {
    const h = await heldTwice();
    const before = (await status(h)).judge!;
    expect(before.state.intervals).toBe(2);
    h.restart();
    await h.tick('podinfo');
    const after = (await status(h)).judge!;
    expect(after.state.intervals).toBe(3);
    expect(after.state.errors.canary.requests).toBe(
      before.state.errors.canary.requests + after.metrics[0]!.interval.canaryRequests,
    );
    await h.setImage('podinfo', 'podinfo:3');
    await h.tick('podinfo');
    expect((await status(h)).judge).toBeUndefined();
  });

  it('restarts the evidence with a Warning Event when the settings change mid-rollout', async () => {
    const h = await heldTwice();
    const c = await h.canary('podinfo');
    c.spec.analysis.judge = { maxHolds: 10, errors: { allowedRatio: 1.5 } };
    await h.cluster.replace(c);
    await h.tick('podinfo');
    expect((await status(h)).judge?.state.intervals).toBe(1);
    const restarted = (await h.events()).filter((e) => e.reason === EventReasons.JudgeRestarted);
    expect(restarted.map((e) => e.type)).toEqual(['Warning']);
    expect(restarted[0]?.note).toContain('errors: the running evidence was gathered for ratios 1/2');
  });

  it('leaves a Flagger manifest as it was: no count query, no status.judge, no judge Event', async () => {
    const h = await harness();
    await h.startRollout('podinfo', { threshold: 2, stepWeight: 10, maxWeight: 30 });
    traffic(h, 0.5, 0.25);
    await tickUntil(h, ['Succeeded']);
    const s = await status(h);
    expect(s.judge).toBeUndefined();
    expect(h.metricQueries.some((q) => q.count !== undefined)).toBe(false);
    expect((await reasons(h)).filter((r) => r.startsWith('Judge'))).toEqual([]);
    expect(h.weights.get('podinfo')).toEqual(['100/0', '90/10', '80/20', '70/30', '100/0']);
  });
});
