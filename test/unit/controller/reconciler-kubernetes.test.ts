/**
 * `provider: kubernetes` one tick at a time on the in-memory cluster with the real reconciler,
 * workloads and router: blue/green with Services only, no traffic split.
 */
import type { Canary } from '../../../src/api/schema/canary.js';
import { EventReasons } from '../../../src/controller/events.js';
import { API, objectKey, type Service } from '../../../src/kube/resources.js';
import type { Harness } from './harness.js';
import { HEALTHY_TRAFFIC, NS, canaryObject, deploymentObject, harnessPerTest } from './harness.js';

const harness = harnessPerTest();

/** Installs podinfo as a blue/green Canary with `provider: kubernetes`; waits for Initialized. */
async function start(h: Harness, edit: (c: Canary) => void = () => undefined): Promise<void> {
  h.traffic.set(NS, 'podinfo', HEALTHY_TRAFFIC);
  const canary = canaryObject('podinfo', { iterations: 2, threshold: 1 });
  delete canary.spec.analysis.stepWeight;
  delete canary.spec.analysis.maxWeight;
  canary.spec.provider = 'kubernetes';
  edit(canary);
  await h.initialise(canary);
}

const status = async (h: Harness): Promise<NonNullable<Canary['status']>> =>
  (await h.canary('podinfo')).status!;

async function selectorOf(h: Harness, name: string): Promise<Record<string, string> | undefined> {
  return (await h.cluster.get<Service>(objectKey(API.service, NS, name)))?.spec.selector;
}

async function reasons(h: Harness): Promise<string[]> {
  return (await h.events()).map((e) => e.reason);
}

/** Ticks until Succeeded or Failed, recording each (phase, canaryWeight) seen. */
async function rollOut(h: Harness): Promise<string[]> {
  const seen: string[] = [];
  for (let i = 0; i < 20; i++) {
    const r = await h.tick('podinfo');
    if (r.error) throw r.error;
    const s = await status(h);
    seen.push(`${s.phase}:${s.canaryWeight ?? 0}`);
    if (s.phase === 'Succeeded' || s.phase === 'Failed') break;
  }
  return seen;
}

describe('reconciler: provider kubernetes (blue/green without a mesh)', () => {
  it('analyses the iterations against the canary Service and promotes without a 100% step', async () => {
    const h = await harness();
    await start(h);
    expect(await selectorOf(h, 'podinfo')).toEqual({ app: 'podinfo-primary' });
    expect(await selectorOf(h, 'podinfo-primary')).toEqual({ app: 'podinfo-primary' });
    expect(await selectorOf(h, 'podinfo-canary')).toEqual({ app: 'podinfo' });

    await h.setImage('podinfo', 'podinfo:2');
    const seen = await rollOut(h);
    // Never a canary weight: with Istio the tick after the iterations routes 100% to the canary.
    expect(seen.every((s) => s.endsWith(':0'))).toBe(true);
    expect(seen.at(-1)).toBe('Succeeded:0');
    expect(await reasons(h)).not.toContain(EventReasons.RoutesRestored);
    expect((await h.deployment('podinfo-primary'))?.spec.template.spec.containers[0]?.image).toBe(
      'podinfo:2',
    );
    // The apex still selects the primary, which now runs the new revision.
    expect(await selectorOf(h, 'podinfo')).toEqual({ app: 'podinfo-primary' });
    // Analysis ticks: the iterations after the pre-rollout tick, no extra interval at 100%.
    const analysed = h.metricQueries.filter((q) => q.metric === 'request-success-rate');
    expect(analysed).toHaveLength(2);
    expect(analysed[0]?.text).toBe(
      'sum(rate(http_request_duration_seconds_count{kubernetes_namespace="test",kubernetes_pod_name=~"podinfo-[0-9a-zA-Z]+(-[0-9a-zA-Z]+)",status!~"5.*"}[1m])) / ' +
        'sum(rate(http_request_duration_seconds_count{kubernetes_namespace="test",kubernetes_pod_name=~"podinfo-[0-9a-zA-Z]+(-[0-9a-zA-Z]+)"}[1m])) * 100',
    );
  });

  it('ignores analysis.mirror rather than restoring a mirror it cannot carry on every tick', async () => {
    const h = await harness();
    await start(h, (c) => (c.spec.analysis.mirror = true));
    await h.setImage('podinfo', 'podinfo:2');
    const seen = await rollOut(h);
    expect(seen.at(-1)).toBe('Succeeded:0');
    expect(await reasons(h)).not.toContain(EventReasons.RoutesRestored);
  });

  it('rolls back when a check fails, with all traffic still on the primary', async () => {
    const h = await harness();
    await start(h);
    await h.setImage('podinfo', 'podinfo:2');
    await h.tickUntil('podinfo', ['Progressing']);
    h.traffic.set(NS, 'podinfo', { errorRatePercent: 5 });
    await h.tickUntil('podinfo', ['Failed']);
    expect(await status(h)).toMatchObject({ phase: 'Failed', canaryWeight: 0 });
    expect((await h.deployment('podinfo-primary'))?.spec.template.spec.containers[0]?.image).toBe(
      'podinfo:1',
    );
    expect((await h.deployment('podinfo'))?.spec.replicas).toBe(0);
  });

  it('refuses a canary strategy (stepWeight) with provider kubernetes before writing anything', async () => {
    const h = await harness();
    const canary = canaryObject('podinfo');
    canary.spec.provider = 'kubernetes';
    await h.cluster.create(deploymentObject('podinfo', 'podinfo:1'));
    await h.cluster.create(canary);
    await h.settle();
    const r = await h.tick('podinfo');
    expect(r.error?.message ?? JSON.stringify((await status(h)).conditions)).toMatch(
      /spec.analysis.iterations: is required with provider kubernetes/,
    );
    expect(await h.deployment('podinfo-primary')).toBeUndefined();
  });
});
