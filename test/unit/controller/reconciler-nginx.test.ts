/**
 * `provider: nginx` one tick at a time on the in-memory cluster with the real reconciler, workloads
 * and router: the canary Ingress follows the rollout, a reverted weight is set back, and the user's
 * Ingress is never written.
 */
import type { Canary } from '../../../src/api/schema/canary.js';
import { EventReasons } from '../../../src/controller/events.js';
import { API, objectKey } from '../../../src/kube/resources.js';
import type { Ingress } from '../../../src/routers/nginx-objects.js';
import { ingressTo } from '../routers/fixtures.js';
import type { Harness } from './harness.js';
import { HEALTHY_TRAFFIC, NS, canaryObject, harnessPerTest } from './harness.js';

const harness = harnessPerTest();
const P = 'nginx.ingress.kubernetes.io';
const CANARY_INGRESS = objectKey(API.ingress, NS, 'public-canary');

const USER_INGRESS = ingressTo(NS, 'public', 'podinfo', 9898);

/** Installs podinfo behind Ingress `public` with `provider: nginx`; waits for Initialized. */
async function start(h: Harness, edit: (c: Canary) => void = () => undefined): Promise<void> {
  h.traffic.set(NS, 'podinfo', HEALTHY_TRAFFIC);
  await h.cluster.create(structuredClone(USER_INGRESS));
  const canary = canaryObject('podinfo');
  canary.spec.provider = 'nginx';
  canary.spec.ingressRef = { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', name: 'public' };
  edit(canary);
  await h.initialise(canary);
}

/** The canary annotations of `public-canary`, e.g. `true/20` or `false/-`. */
async function split(h: Harness): Promise<string> {
  const a = (await h.cluster.get<Ingress>(CANARY_INGRESS))?.metadata.annotations ?? {};
  return `${a[`${P}/canary`]}/${a[`${P}/canary-weight`] ?? '-'}`;
}

describe('reconciler: provider nginx', () => {
  it('steps the canary Ingress weight through the rollout and switches it off after promotion', async () => {
    const h = await harness();
    await start(h);
    const userBefore = await h.cluster.get(objectKey(API.ingress, NS, 'public'));
    expect(await split(h)).toBe('false/-');

    await h.setImage('podinfo', 'podinfo:2');
    const seen: string[] = [];
    for (let i = 0; i < 20 && (await h.canary('podinfo')).status?.phase !== 'Succeeded'; i++) {
      const r = await h.tick('podinfo');
      if (r.error) throw r.error;
      const now = await split(h);
      if (seen.at(-1) !== now) seen.push(now);
    }
    expect(seen).toEqual(['false/-', 'true/10', 'true/20', 'true/30', 'false/-']);
    expect((await h.canary('podinfo')).status?.phase).toBe('Succeeded');
    expect(await h.cluster.get(objectKey(API.ingress, NS, 'public'))).toEqual(userBefore);
    expect(h.metricQueries[0]?.text).toContain(
      'nginx_ingress_controller_requests{namespace="test",ingress="public"',
    );
  });

  it('sets back a weight someone else changed, without counting that interval', async () => {
    const h = await harness();
    await start(h);
    await h.setImage('podinfo', 'podinfo:2');
    await h.tickUntil('podinfo', ['Progressing']);
    await h.tick('podinfo'); // pre-rollout, weight 10
    expect(await split(h)).toBe('true/10');
    await h.cluster.patch(CANARY_INGRESS, { metadata: { annotations: { [`${P}/canary-weight`]: '0' } } });
    await h.tick('podinfo');
    expect(await split(h)).toBe('true/10');
    expect((await h.events()).map((e) => e.reason)).toContain(EventReasons.RoutesRestored);
    expect((await h.canary('podinfo')).status?.canaryWeight).toBe(10);
  });

  it('runs A/B testing by header, then promotes', async () => {
    const h = await harness();
    await start(h, (c) => {
      delete c.spec.analysis.stepWeight;
      delete c.spec.analysis.maxWeight;
      Object.assign(c.spec.analysis, {
        iterations: 2,
        match: [{ headers: { 'x-canary': { exact: 'insider' } } }],
      });
    });
    await h.setImage('podinfo', 'podinfo:2');
    await h.tickUntil('podinfo', ['Progressing']);
    await h.tick('podinfo');
    const a = (await h.cluster.get<Ingress>(CANARY_INGRESS))?.metadata.annotations ?? {};
    expect(a).toMatchObject({ [`${P}/canary`]: 'true', [`${P}/canary-by-header`]: 'x-canary' });
    await h.tickUntil('podinfo', ['Succeeded']);
    expect(await split(h)).toBe('false/-');
  });
});
