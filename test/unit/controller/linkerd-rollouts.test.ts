/**
 * Rollouts through the Linkerd / SMI router, one tick at a time on the in-memory cluster with the
 * real reconciler, workloads and router: what the TrafficSplit says after each tick, the Linkerd
 * queries the analysis runs, a split reverted by a GitOps tool, and what SMI cannot do.
 */
import type { Canary } from '../../../src/api/schema/canary.js';
import type { TrafficSplit } from '../../../src/routers/traffic-split.js';
import type { Harness } from './harness.js';
import { NS, canaryObject, deploymentObject, harnessPerTest } from './harness.js';

const harness = harnessPerTest({ healthy: ['podinfo'] });

const key = (version: string) => ({
  apiVersion: `split.smi-spec.io/${version}`,
  kind: 'TrafficSplit',
  namespace: NS,
  name: 'podinfo',
});

/** The TrafficSplit's weights as `primary/canary`, or undefined when there is none. */
async function splitOf(h: Harness, version = 'v1alpha1'): Promise<string | undefined> {
  const split = await h.cluster.get<TrafficSplit>(key(version));
  if (!split) return undefined;
  const weight = (service: string) => split.spec?.backends?.find((b) => b.service === service)?.weight;
  return `${weight('podinfo-primary')}/${weight('podinfo-canary')}`;
}

/** Installs podinfo at `:1` with a Canary of `provider`, edited by `edit`; waits for Initialized. */
async function install(
  h: Harness,
  provider: string,
  analysis: Partial<Canary['spec']['analysis']> = {},
): Promise<void> {
  const canary = canaryObject('podinfo', analysis);
  canary.spec.provider = provider;
  await h.cluster.create(deploymentObject('podinfo', 'podinfo:1'));
  await h.cluster.create(canary);
  await h.settle();
  await h.tickUntil('podinfo', ['Initialized']);
}

/** Ticks until the phase is final, recording the split after each tick. */
async function splitsUntilDone(h: Harness, version = 'v1alpha1'): Promise<string[]> {
  const seen: string[] = [];
  for (let i = 0; i < 30; i++) {
    const result = await h.tick('podinfo');
    if (result.error) throw result.error;
    const split = (await splitOf(h, version))!;
    if (seen.at(-1) !== split) seen.push(split);
    const phase = (await h.canary('podinfo')).status?.phase;
    if (phase === 'Succeeded' || phase === 'Failed') return seen;
  }
  throw new Error('the rollout did not finish');
}

describe('rollouts with provider linkerd', () => {
  it('shifts the canary weight step by step in the TrafficSplit, then promotes', async () => {
    const h = await harness();
    await install(h, 'linkerd');
    expect(await splitOf(h)).toBe('100/0');

    await h.setImage('podinfo', 'podinfo:2');
    expect(await splitsUntilDone(h)).toEqual(['100/0', '90/10', '80/20', '70/30', '100/0']);
    expect((await h.canary('podinfo')).status?.phase).toBe('Succeeded');
    expect((await h.deployment('podinfo-primary'))?.spec.template.spec.containers[0]?.image).toBe(
      'podinfo:2',
    );
    // The builtin success rate is Linkerd's, over the canary workload.
    expect(h.metricQueries.at(-1)?.text).toBe(
      'sum(rate(response_total{namespace="test",deployment=~"podinfo",classification!="failure",direction="inbound"}[1m])) / sum(rate(response_total{namespace="test",deployment=~"podinfo",direction="inbound"}[1m])) * 100',
    );
  });

  it('sets a split reverted by a GitOps tool back on the next tick', async () => {
    const h = await harness();
    await install(h, 'linkerd');
    await h.setImage('podinfo', 'podinfo:2');
    await h.tickUntil('podinfo', ['Progressing']);
    await h.tick('podinfo');
    expect(await splitOf(h)).toBe('90/10');

    await h.cluster.patch(key('v1alpha1'), {
      spec: {
        backends: [
          { service: 'podinfo-canary', weight: '0' },
          { service: 'podinfo-primary', weight: '100' },
        ],
      },
    });
    await h.tick('podinfo');
    expect(await splitOf(h)).toBe('90/10');
    expect((await h.canary('podinfo')).status?.phase).toBe('Progressing');
  });

  it('rolls back to the primary when the canary fails its checks', async () => {
    const h = await harness();
    await install(h, 'linkerd');
    await h.setImage('podinfo', 'podinfo:2');
    h.traffic.set(NS, 'podinfo', { errorRatePercent: 5 });
    const splits = await splitsUntilDone(h);
    expect(splits.at(-1)).toBe('100/0');
    expect((await h.canary('podinfo')).status).toMatchObject({ phase: 'Failed', canaryWeight: 0 });
  });
});

describe('rollouts with the SMI providers', () => {
  it('blue/green with smi:v1alpha2:linkerd switches all traffic at once in a v1alpha2 TrafficSplit', async () => {
    const h = await harness();
    await install(h, 'smi:v1alpha2:linkerd', { iterations: 2, stepWeight: undefined, maxWeight: undefined });
    expect(await splitOf(h, 'v1alpha2')).toBe('100/0');
    await h.setImage('podinfo', 'podinfo:2');
    expect(await splitsUntilDone(h, 'v1alpha2')).toEqual(['100/0', '0/100', '100/0']);
    expect((await h.canary('podinfo')).status?.phase).toBe('Succeeded');
    expect(h.metricQueries.at(-1)?.text).toContain('response_total{');
  });

  it('refuses A/B testing with linkerd before writing any TrafficSplit, naming gatewayapi:v1', async () => {
    const h = await harness();
    const canary = canaryObject('podinfo', {
      iterations: 2,
      stepWeight: undefined,
      maxWeight: undefined,
      match: [{ headers: { 'x-canary': { exact: 'always' } } }],
    });
    canary.spec.provider = 'linkerd';
    await h.cluster.create(deploymentObject('podinfo', 'podinfo:1'));
    await h.cluster.create(canary);
    await h.settle();
    await h.tick('podinfo');
    expect(await splitOf(h)).toBeUndefined();
    const conditions = (await h.canary('podinfo')).status?.conditions ?? [];
    expect(JSON.stringify(conditions)).toContain('gatewayapi:v1');
  });
});
