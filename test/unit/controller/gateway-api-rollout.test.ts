/**
 * Rollouts through the Gateway API router, one tick at a time on the in-memory cluster with the
 * real reconciler, workloads and router: the HTTPRoute's weights at each tick for the canary
 * strategy, rollback, A/B testing and blue/green with mirroring, and weights another writer
 * reverted set back on the next tick.
 */
import type { Canary } from '../../../src/api/schema/canary.js';
import { API, objectKey } from '../../../src/kube/resources.js';
import type { HttpRoute } from '../../../src/routers/gateway-api-objects.js';
import type { Harness } from './harness.js';
import { HEALTHY_TRAFFIC, NS, canaryObject, deploymentObject, harnessPerTest } from './harness.js';

const harness = harnessPerTest();
const ROUTE_KEY = objectKey(API.httpRoute, NS, 'podinfo');

/** The weights of each rule of the HTTPRoute (`primary/canary`, `primary` for a one-backend rule), and mirroring. */
async function routeOf(h: Harness): Promise<string> {
  const route = await h.cluster.get<HttpRoute>(ROUTE_KEY);
  return (route?.spec?.rules ?? [])
    .map((rule) => {
      const weights = (rule.backendRefs ?? []).map((b) => b.weight).join('/');
      const mirror = rule.filters?.find((f) => f.type === 'RequestMirror')?.requestMirror;
      return mirror ? `${weights} mirror ${mirror.backendRef.name} ${mirror.percent ?? 100}%` : weights;
    })
    .join(', ');
}

/** Installs podinfo with `provider: gatewayapi:v1` and waits for Initialized. */
async function start(h: Harness, analysis: Partial<Canary['spec']['analysis']> = {}): Promise<void> {
  h.traffic.set(NS, 'podinfo', HEALTHY_TRAFFIC);
  const canary = canaryObject('podinfo', analysis);
  canary.spec.provider = 'gatewayapi:v1';
  canary.spec.service.gatewayRefs = [{ name: 'public-gateway', namespace: 'gateway-system' }];
  canary.spec.service.hosts = ['podinfo.example.com'];
  await h.cluster.create(deploymentObject('podinfo', 'podinfo:1'));
  await h.cluster.create(canary);
  await h.settle();
  await h.tickUntil('podinfo', ['Initialized']);
}

/** Ticks until `phases`, recording the route after every tick (repeats dropped). */
async function routesUntil(h: Harness, phases: string[], limit = 30): Promise<string[]> {
  const seen: string[] = [];
  for (let i = 0; i < limit; i++) {
    const result = await h.tick('podinfo');
    if (result.error) throw result.error;
    const route = await routeOf(h);
    if (seen.at(-1) !== route) seen.push(route);
    if (phases.includes((await h.canary('podinfo')).status?.phase ?? '')) return seen;
  }
  throw new Error(`podinfo never reached ${phases.join('|')}`);
}

describe('reconciler with provider gatewayapi:v1', () => {
  it('creates the HTTPRoute at 100/0 and steps a healthy version 10 -> 30, then promotes it', async () => {
    const h = await harness();
    await start(h);
    const route = (await h.cluster.get<HttpRoute>(ROUTE_KEY))!;
    expect(route.spec!.parentRefs).toEqual([
      {
        group: 'gateway.networking.k8s.io',
        kind: 'Gateway',
        name: 'public-gateway',
        namespace: 'gateway-system',
      },
    ]);
    expect(route.spec!.hostnames).toEqual(['podinfo.example.com']);
    expect(await routeOf(h)).toBe('100/0');

    await h.setImage('podinfo', 'podinfo:2');
    expect(await routesUntil(h, ['Succeeded'])).toEqual(['100/0', '90/10', '80/20', '70/30', '100/0']);
    expect((await h.deployment('podinfo-primary'))!.spec.template.spec.containers[0]!.image).toBe(
      'podinfo:2',
    );
    expect(h.metricQueries.map((q) => q.text)).toContainEqual(
      expect.stringContaining('http_request_duration_seconds_count'),
    );
  });

  it('rolls a failing version back to 100/0', async () => {
    const h = await harness();
    await start(h);
    await h.setImage('podinfo', 'podinfo:2');
    await h.tickUntil('podinfo', ['Progressing']);
    await h.tick('podinfo');
    h.traffic.set(NS, 'podinfo', { errorRatePercent: 5 });
    await h.tickUntil('podinfo', ['Failed']);
    expect(await routeOf(h)).toBe('100/0');
    expect((await h.deployment('podinfo-primary'))!.spec.template.spec.containers[0]!.image).toBe(
      'podinfo:1',
    );
  });

  it('A/B testing: the matched rule goes to the canary for the iterations, the rest stays on the primary', async () => {
    const h = await harness();
    await start(h, {
      iterations: 2,
      stepWeight: undefined,
      maxWeight: undefined,
      match: [{ headers: { 'x-canary': { exact: 'insider' } } }],
    });
    expect(await routeOf(h)).toBe('100/0, 100');
    await h.setImage('podinfo', 'podinfo:2');
    expect(await routesUntil(h, ['Succeeded'])).toEqual(['100/0, 100', '0/100, 100', '100/0, 100']);
  });

  it('blue/green with mirroring: mirrored at 100/0 during the iterations', async () => {
    const h = await harness();
    await start(h, {
      iterations: 2,
      stepWeight: undefined,
      maxWeight: undefined,
      mirror: true,
      mirrorWeight: 40,
    });
    await h.setImage('podinfo', 'podinfo:2');
    const seen = await routesUntil(h, ['Succeeded']);
    expect(seen).toContain('100/0 mirror podinfo-canary 40%');
    expect(seen.at(-1)).toBe('100/0');
  });

  it('sets weights another writer reverted back on the next tick', async () => {
    const h = await harness();
    await start(h);
    await h.setImage('podinfo', 'podinfo:2');
    await h.tickUntil('podinfo', ['Progressing']);
    await h.tick('podinfo');
    const before = await routeOf(h);
    expect(before).not.toBe('100/0');

    const route = (await h.cluster.get<HttpRoute>(ROUTE_KEY))!;
    const rules = route.spec!.rules!;
    rules[0]!.backendRefs![0]!.weight = 100;
    rules[0]!.backendRefs![1]!.weight = 0;
    await h.cluster.patch(ROUTE_KEY, { spec: { rules } });
    await h.tick('podinfo');
    expect(await routeOf(h)).toBe(before);
  });
});
