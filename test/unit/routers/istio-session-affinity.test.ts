/** Session affinity and delegation on the VirtualService the Istio router writes, asserted whole. */
import type { KubeObject } from '../../../src/kube/cluster.js';
import { MemoryCluster } from '../../../src/kube/memory/memory-cluster.js';
import { API, objectKey } from '../../../src/kube/resources.js';
import { IstioRouter } from '../../../src/routers/istio.js';
import type { Routes } from '../../../src/routers/router.js';
import { NAMESPACE, TARGETS, canaryFor } from './fixtures.js';

const PORT = { number: 9898 };
const PRIMARY = { host: 'podinfo-primary', port: PORT };
const CANARY = { host: 'podinfo-canary', port: PORT };
const AFFINITY = { sessionAffinity: { cookieName: 'flagger-cookie', maxAge: 300 } };
const COOKIE = 'flagger-cookie=abcdefghij';

async function httpOf(cluster: MemoryCluster): Promise<unknown[]> {
  const vs = await cluster.get<KubeObject & { spec: { http: unknown[] } }>(
    objectKey(API.virtualService, NAMESPACE, 'podinfo'),
  );
  if (!vs) throw new Error('VirtualService podinfo was not written');
  return vs.spec.http;
}

/** A router over a fresh cluster with the VirtualService reconciled for `canary`. */
async function routerFor(canary: ReturnType<typeof canaryFor>) {
  const cluster = new MemoryCluster();
  const router = new IstioRouter({ cluster });
  await router.reconcile(canary, TARGETS);
  return { cluster, router };
}

describe('IstioRouter session affinity', () => {
  it('while the canary gets traffic: a sticky route to the canary, and Set-Cookie on the canary destination', async () => {
    const canary = canaryFor({ match: [{ uri: { prefix: '/api' } }] }, AFFINITY);
    const { cluster, router } = await routerFor(canary);
    const routes: Routes = { primary: 90, canary: 10, mirrored: false, cookies: { canary: COOKIE } };
    await router.setRoutes(canary, routes);

    expect(await httpOf(cluster)).toStrictEqual([
      {
        name: 'sticky-route',
        match: [
          { uri: { prefix: '/api' }, headers: { Cookie: { regex: '.*flagger-cookie.*abcdefghij.*' } } },
        ],
        route: [
          { destination: PRIMARY, weight: 0 },
          { destination: CANARY, weight: 100 },
        ],
      },
      {
        match: [{ uri: { prefix: '/api' } }],
        route: [
          { destination: PRIMARY, weight: 90 },
          {
            destination: CANARY,
            weight: 10,
            headers: { response: { add: { 'Set-Cookie': `${COOKIE}; Max-Age=300` } } },
          },
        ],
      },
    ]);
    // The split is read from the weighted route, not the sticky one, with its cookie.
    expect(await router.getRoutes(canary)).toStrictEqual(routes);
    // Reconciling the spec keeps the cookie routes: nothing is written.
    const before = await cluster.get(objectKey(API.virtualService, NAMESPACE, 'podinfo'));
    await router.reconcile(canary, TARGETS);
    const after = await cluster.get(objectKey(API.virtualService, NAMESPACE, 'podinfo'));
    expect(after?.metadata.resourceVersion).toBe(before?.metadata.resourceVersion);
  });

  it('with primaryCookieName: the primary issues its cookie for one interval, and a route keeps its holders there', async () => {
    const canary = canaryFor(
      {},
      {
        interval: '2m',
        sessionAffinity: { cookieName: 'canary-cookie', primaryCookieName: 'primary-cookie' },
      },
    );
    const { cluster, router } = await routerFor(canary);
    const routes: Routes = {
      primary: 70,
      canary: 30,
      mirrored: false,
      cookies: { canary: 'canary-cookie=CCCCCCCCCC', primary: 'primary-cookie=PPPPPPPPPP' },
    };
    await router.setRoutes(canary, routes);

    expect(await httpOf(cluster)).toStrictEqual([
      {
        name: 'sticky-route',
        match: [{ headers: { Cookie: { regex: '.*canary-cookie.*CCCCCCCCCC.*' } } }],
        route: [
          { destination: PRIMARY, weight: 0 },
          { destination: CANARY, weight: 100 },
        ],
      },
      {
        name: 'sticky-route-primary',
        match: [{ headers: { Cookie: { regex: '.*primary-cookie.*PPPPPPPPPP.*' } } }],
        route: [
          { destination: PRIMARY, weight: 100 },
          { destination: CANARY, weight: 0 },
        ],
      },
      {
        route: [
          {
            destination: PRIMARY,
            weight: 70,
            headers: { response: { add: { 'Set-Cookie': 'primary-cookie=PPPPPPPPPP; Max-Age=120' } } },
          },
          {
            destination: CANARY,
            weight: 30,
            // maxAge unset: one day, as in Flagger.
            headers: { response: { add: { 'Set-Cookie': 'canary-cookie=CCCCCCCCCC; Max-Age=86400' } } },
          },
        ],
      },
    ]);
    expect(await router.getRoutes(canary)).toStrictEqual(routes);
  });

  it('once the canary has no traffic: the previous cookie is matched and expired, routed like the rest', async () => {
    const canary = canaryFor({ headers: { request: { add: { 'x-team': 'web' } } } }, AFFINITY);
    const { cluster, router } = await routerFor(canary);
    const routes: Routes = { primary: 100, canary: 0, mirrored: false, cookies: { previous: COOKIE } };
    await router.setRoutes(canary, routes);

    const weighted = {
      headers: { request: { add: { 'x-team': 'web' } } },
      route: [
        { destination: PRIMARY, weight: 100 },
        { destination: CANARY, weight: 0 },
      ],
    };
    expect(await httpOf(cluster)).toStrictEqual([
      {
        name: 'sticky-route',
        headers: {
          request: { add: { 'x-team': 'web' } },
          response: { add: { 'Set-Cookie': `${COOKIE}; Max-Age=-1` } },
        },
        route: weighted.route,
        match: [{ headers: { Cookie: { regex: '.*flagger-cookie.*abcdefghij.*' } } }],
      },
      weighted,
    ]);
    expect(await router.getRoutes(canary)).toStrictEqual(routes);
  });

  it('writes the weighted route alone before any rollout, and escapes the cookie name in the match', async () => {
    const canary = canaryFor({}, { sessionAffinity: { cookieName: 'my.cookie' } });
    const { cluster, router } = await routerFor(canary);
    expect(await httpOf(cluster)).toStrictEqual([
      {
        route: [
          { destination: PRIMARY, weight: 100 },
          { destination: CANARY, weight: 0 },
        ],
      },
    ]);
    await router.setRoutes(canary, {
      primary: 50,
      canary: 50,
      mirrored: false,
      cookies: { canary: 'my.cookie=xyzXYZabcd' },
    });
    const [sticky] = (await httpOf(cluster)) as { match: unknown }[];
    expect(sticky?.match).toStrictEqual([{ headers: { Cookie: { regex: '.*my\\.cookie.*xyzXYZabcd.*' } } }]);
  });
});

describe('IstioRouter delegation', () => {
  it('writes a delegate VirtualService: no hosts, no gateways, as Flagger writes it', async () => {
    const canary = canaryFor({ delegation: true });
    const { cluster } = await routerFor(canary);
    const vs = await cluster.get<KubeObject & { spec: Record<string, unknown> }>(
      objectKey(API.virtualService, NAMESPACE, 'podinfo'),
    );
    expect(vs?.spec).toStrictEqual({
      hosts: [],
      gateways: [],
      http: [
        {
          route: [
            { destination: PRIMARY, weight: 100 },
            { destination: CANARY, weight: 0 },
          ],
        },
      ],
    });
  });

  it('removes the hosts and gateways of a VirtualService when delegation is turned on', async () => {
    const cluster = new MemoryCluster();
    const router = new IstioRouter({ cluster });
    await router.reconcile(canaryFor({ hosts: ['app.example.com'], gateways: ['public-gateway'] }), TARGETS);
    await router.reconcile(canaryFor({ delegation: true }), TARGETS);
    const vs = await cluster.get<KubeObject & { spec: Record<string, unknown> }>(
      objectKey(API.virtualService, NAMESPACE, 'podinfo'),
    );
    expect(vs?.spec).toMatchObject({ hosts: [], gateways: [] });
  });
});
