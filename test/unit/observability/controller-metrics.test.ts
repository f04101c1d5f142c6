/**
 * The controller's metrics as Prometheus scrapes them: the exposition text after each tick of the
 * real reconciler on the in-memory cluster, with Flagger's names (under `fledge_`), label sets
 * and values at each phase, and the series of a deleted Canary gone.
 */
import { pino } from 'pino';
import type { Canary } from '../../../src/api/schema/canary.js';
import { CanaryWatcher } from '../../../src/controller/canary-watcher.js';
import type { Reconciler } from '../../../src/controller/reconciler.js';
import { MemoryCluster } from '../../../src/kube/memory/memory-cluster.js';
import { API, objectKey } from '../../../src/kube/resources.js';
import { ControllerMetrics } from '../../../src/observability/controller-metrics.js';
import { packageVersion } from '../../../src/observability/version.js';
import { InProcessScheduler } from '../../../src/scheduler/in-process-scheduler.js';
import { canaryObject, harnessPerTest, NS, type Harness } from '../controller/harness.js';
import { setTimeout as sleep } from 'node:timers/promises';

const startHarness = harnessPerTest();

/** The samples of `metric` in an exposition, keyed by their label set as written (`{a="1",b="2"}`). */
async function samples(metrics: ControllerMetrics, metric: string): Promise<Record<string, number>> {
  const text = await metrics.registry.metrics();
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(\{[^}]*\})? (\S+)$/.exec(line);
    if (m && m[1] === metric) out[m[2] ?? ''] = Number(m[3]);
  }
  return out;
}

/** A harness whose every tick is recorded, as the watcher's `onTick` does in `fledge controller`. */
async function observed(): Promise<{ h: Harness; metrics: ControllerMetrics }> {
  const h = await startHarness();
  const metrics = new ControllerMetrics({ processMetrics: false });
  h.onTick = (namespace, name, result) => metrics.recordTick(namespace, name, result, 250);
  return { h, metrics };
}

const podinfo = (extra = ''): string => `{name="podinfo",namespace="${NS}"${extra}}`;
const weights = (primary: number, canary: number): Record<string, number> => ({
  [`{workload="podinfo-primary",namespace="${NS}"}`]: primary,
  [`{workload="podinfo",namespace="${NS}"}`]: canary,
});

describe('controller metrics', () => {
  it('follows a promoted canary: status, phase and weights at each phase, check values and ranges, one success', async () => {
    const { h, metrics } = await observed();
    await h.install('podinfo', 'podinfo:1');
    await h.tickUntil('podinfo', ['Initialized']);
    expect(await samples(metrics, 'fledge_canary_status')).toEqual({ [podinfo()]: 1 });
    expect(await samples(metrics, 'fledge_canary_phase')).toEqual({ [podinfo(',phase="Initialized"')]: 1 });
    expect(await samples(metrics, 'fledge_canary_weight')).toEqual(weights(100, 0));

    await h.setImage('podinfo', 'podinfo:2');
    await h.tickUntil('podinfo', ['Progressing']);
    expect(await samples(metrics, 'fledge_canary_status')).toEqual({ [podinfo()]: 0 });
    expect(await samples(metrics, 'fledge_canary_phase')).toEqual({ [podinfo(',phase="Progressing"')]: 1 });

    const seen: string[] = [];
    for (let i = 0; i < 12 && (await h.canary('podinfo')).status?.phase !== 'Succeeded'; i++) {
      await h.tick('podinfo');
      const w = await samples(metrics, 'fledge_canary_weight');
      seen.push(
        `${w[`{workload="podinfo-primary",namespace="${NS}"}`]}/${w[`{workload="podinfo",namespace="${NS}"}`]}`,
      );
    }
    expect((await h.canary('podinfo')).status?.phase).toBe('Succeeded');
    // Every step the VirtualService took, in order, and nothing else.
    expect([...new Set(seen)].filter((p) => p !== '100/0')).toEqual(['90/10', '80/20', '70/30']);
    expect(await samples(metrics, 'fledge_canary_weight')).toEqual(weights(100, 0));
    expect(await samples(metrics, 'fledge_canary_status')).toEqual({ [podinfo()]: 1 });
    expect(await samples(metrics, 'fledge_canary_phase')).toEqual({ [podinfo(',phase="Succeeded"')]: 1 });

    const metric = ',metric="request-success-rate"';
    const analysis = await samples(metrics, 'fledge_canary_metric_analysis');
    expect(Object.keys(analysis)).toEqual([podinfo(metric)]);
    expect(analysis[podinfo(metric)]).toBeCloseTo(99.9, 5);
    expect(await samples(metrics, 'fledge_canary_metric_threshold')).toEqual({
      [podinfo(`${metric},bound="min"`)]: 99,
    });
    const outcome = ',deployment_strategy="canary",analysis_status="completed"';
    expect(await samples(metrics, 'fledge_canary_successes_total')).toEqual({ [podinfo(outcome)]: 1 });
    expect(await samples(metrics, 'fledge_canary_failures_total')).toEqual({});
    // One observation per tick that ran checks: the pre-rollout tick and the three analysed steps.
    const count = (await samples(metrics, 'fledge_canary_duration_seconds_count'))[podinfo()];
    expect(count).toBeGreaterThanOrEqual(3);
    expect((await samples(metrics, 'fledge_canary_duration_seconds_sum'))[podinfo()]).toBeCloseTo(
      count! * 0.25,
    );

    // Ticks after the rollout count nothing more.
    await h.tick('podinfo');
    await h.tick('podinfo');
    expect(await samples(metrics, 'fledge_canary_successes_total')).toEqual({ [podinfo(outcome)]: 1 });
  });

  it('counts a rollback as a failure and reports status 2 with the failing value', async () => {
    const { h, metrics } = await observed();
    await h.startRollout('podinfo');
    h.traffic.set(NS, 'podinfo', { requestsPerSecond: 10, errorRatePercent: 5, p99LatencyMs: 50 });
    await h.tickUntil('podinfo', ['Failed']);
    expect(await samples(metrics, 'fledge_canary_status')).toEqual({ [podinfo()]: 2 });
    expect(await samples(metrics, 'fledge_canary_weight')).toEqual(weights(100, 0));
    const analysis = await samples(metrics, 'fledge_canary_metric_analysis');
    expect(analysis[podinfo(',metric="request-success-rate"')]).toBeCloseTo(95, 5);
    expect(await samples(metrics, 'fledge_canary_failures_total')).toEqual({
      [podinfo(',deployment_strategy="canary",analysis_status="completed"')]: 1,
    });
    expect(await samples(metrics, 'fledge_canary_successes_total')).toEqual({});
  });

  it("labels the strategy and a skipped analysis as Flagger does, and removes a deleted canary's series", async () => {
    const { h, metrics } = await observed();
    await h.install('podinfo', 'podinfo:1', {
      iterations: 2,
      match: [{ headers: { 'user-type': { exact: 'premium' } } }],
    });
    const canary = await h.canary('podinfo');
    canary.spec.skipAnalysis = true;
    await h.cluster.replace<Canary>(canary);
    await h.tickUntil('podinfo', ['Initialized']);
    await h.setImage('podinfo', 'podinfo:2');
    await h.tickUntil('podinfo', ['Succeeded']);
    expect(await samples(metrics, 'fledge_canary_successes_total')).toEqual({
      [podinfo(',deployment_strategy="ab-testing",analysis_status="skipped"')]: 1,
    });

    await h.install('other', 'other:1');
    await h.tickUntil('other', ['Initialized']);
    metrics.forget(NS, 'podinfo');
    const text = await metrics.registry.metrics();
    expect(text).not.toMatch(/"podinfo(-primary)?"/);
    expect(text).toContain(`fledge_canary_status{name="other",namespace="${NS}"} 1`);
    expect(text).toContain(`fledge_canary_weight{workload="other-primary",namespace="${NS}"} 100`);
  });

  it('labels the series with the target, as Flagger, and moves them when the target is renamed', async () => {
    const { h, metrics } = await observed();
    await h.install('podinfo', 'podinfo:1');
    await h.tickUntil('podinfo', ['Initialized']);
    expect(await metrics.registry.metrics()).toContain(
      `fledge_canary_status{name="podinfo",namespace="${NS}"} 1`,
    );
    await h.cluster.create({ ...(await h.deployment('podinfo'))!, metadata: { name: 'web', namespace: NS } });
    const canary = await h.canary('podinfo');
    canary.spec.targetRef.name = 'web';
    await h.cluster.replace<Canary>(canary);
    await h.settle();
    await h.tick('podinfo');
    const text = await metrics.registry.metrics();
    expect(text).toContain(`fledge_canary_weight{workload="web-primary",namespace="${NS}"}`);
    expect(text).toContain(`fledge_canary_status{name="web",namespace="${NS}"}`);
    expect(text).not.toMatch(/"podinfo(-primary)?"/);
  });

  it('exposes fledge_info and fledge_canary_total per namespace from the watcher', async () => {
    const metrics = new ControllerMetrics({ processMetrics: false });
    metrics.setInfo(packageVersion(), 'linkerd');
    expect(packageVersion()).toMatch(/^\d+\.\d+\.\d+/);
    expect(await samples(metrics, 'fledge_info')).toEqual({
      [`{version="${packageVersion()}",mesh_provider="linkerd"}`]: 1,
    });

    const cluster = new MemoryCluster();
    const watcher = new CanaryWatcher({
      cluster,
      scheduler: new InProcessScheduler(),
      reconciler: { reconcileOnce: async () => ({ phase: undefined }) } as unknown as Reconciler,
      logger: pino({ level: 'silent' }),
    });
    metrics.attachCanaryCounts(() => watcher.countsByNamespace());
    await cluster.create(canaryObject('a'));
    await cluster.create(canaryObject('b'));
    await cluster.create({ ...canaryObject('c'), metadata: { name: 'c', namespace: 'team-b' } });
    watcher.start();
    try {
      await sleep(20);
      expect(await samples(metrics, 'fledge_canary_total')).toEqual({
        [`{namespace="${NS}"}`]: 2,
        '{namespace="team-b"}': 1,
      });
      await cluster.delete(objectKey(API.canary, 'team-b', 'c'));
      await sleep(20);
      expect(await samples(metrics, 'fledge_canary_total')).toEqual({ [`{namespace="${NS}"}`]: 2 });
    } finally {
      await watcher.stop();
    }
  });
});

describe('controller metrics when a tick fails after its commit point', () => {
  it('still counts the rollback the status write committed, once', async () => {
    const { h, metrics } = await observed();
    await h.startRollout('podinfo');
    await h.tick('podinfo');
    expect((await h.canary('podinfo')).status?.canaryWeight).toBeGreaterThan(0);
    h.traffic.set(NS, 'podinfo', { requestsPerSecond: 10, errorRatePercent: 5, p99LatencyMs: 50 });
    await h.tick('podinfo');
    expect((await h.canary('podinfo')).status?.failedChecks).toBe(1);
    // Every write of the next tick but the status fails: the rollback is committed, then the
    // routes cannot be set back to the primary.
    const cluster = h.cluster as unknown as Record<'patch' | 'replace' | 'create', unknown>;
    const saved = { patch: cluster.patch, replace: cluster.replace, create: cluster.create };
    for (const verb of ['patch', 'replace', 'create'] as const) {
      cluster[verb] = async () => {
        throw new Error(`${verb} refused by the test`);
      };
    }
    const failed = await h.tick('podinfo');
    Object.assign(cluster, saved);
    expect(failed.error?.message).toMatch(/refused by the test/);
    expect((await h.canary('podinfo')).status?.phase).toBe('Failed');
    const outcome = ',deployment_strategy="canary",analysis_status="completed"';
    expect(await samples(metrics, 'fledge_canary_failures_total')).toEqual({ [podinfo(outcome)]: 1 });
    expect(await samples(metrics, 'fledge_canary_status')).toEqual({ [podinfo()]: 2 });
    await h.tick('podinfo');
    expect(await samples(metrics, 'fledge_canary_failures_total')).toEqual({ [podinfo(outcome)]: 1 });
    expect(await samples(metrics, 'fledge_canary_weight')).toEqual(weights(100, 0));
  });
});
