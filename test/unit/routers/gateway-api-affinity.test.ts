/** Session affinity with the Gateway API router: the rules through a run, read back from the HTTPRoute. */
import { MemoryCluster } from '../../../src/kube/memory/memory-cluster.js';
import { API, objectKey } from '../../../src/kube/resources.js';
import { GatewayApiRouter } from '../../../src/routers/gateway-api.js';
import type { HttpRoute } from '../../../src/routers/gateway-api-objects.js';
import { istioSchemaErrors } from './crd-schema.js';
import { NAMESPACE, TARGETS } from './fixtures.js';
import { gatewayCanaryFor } from './gateway-api-fixtures.js';

const KEY = objectKey(API.httpRoute, NAMESPACE, 'podinfo');
const PRIMARY = { group: '', kind: 'Service', name: 'podinfo-primary', port: 9898 };
const CANARY = { group: '', kind: 'Service', name: 'podinfo-canary', port: 9898 };
const ALL = { path: { type: 'PathPrefix', value: '/' } };
const cookieHeader = (cookie: string) => ({
  name: 'Cookie',
  type: 'RegularExpression',
  value: `.*${cookie}.*`,
});
const setCookie = (value: string) => ({
  type: 'ResponseHeaderModifier',
  responseHeaderModifier: { add: [{ name: 'Set-Cookie', value }] },
});

function setup(service = {}) {
  const cluster = new MemoryCluster();
  let n = 0;
  const router = new GatewayApiRouter({ cluster, cookieValue: () => `v${++n}` });
  const canary = gatewayCanaryFor(service, {
    sessionAffinity: { cookieName: 'flagger-cookie', maxAge: 21600 },
  });
  const rules = async () => (await cluster.get<HttpRoute>(KEY))!.spec!.rules;
  const r = cluster.requests;
  return { cluster, router, canary, rules, writes: () => r.create + r.patch + r.replace };
}

describe('GatewayApiRouter session affinity', () => {
  it('sets the cookie on canary responses and sends its holders to the canary, then expires it', async () => {
    const { router, canary, rules, writes } = setup();
    await router.reconcile(canary, TARGETS);
    expect(await rules()).toStrictEqual([
      {
        matches: [ALL],
        backendRefs: [
          { ...PRIMARY, weight: 100 },
          { ...CANARY, weight: 0 },
        ],
      },
    ]);

    await router.setRoutes(canary, { primary: 90, canary: 10, mirrored: false });
    expect(await rules()).toStrictEqual([
      {
        matches: [{ ...ALL, headers: [cookieHeader('flagger-cookie=v1')] }],
        backendRefs: [
          { ...PRIMARY, weight: 0 },
          { ...CANARY, weight: 100 },
        ],
      },
      {
        matches: [ALL],
        backendRefs: [
          { ...PRIMARY, weight: 90 },
          { ...CANARY, weight: 10, filters: [setCookie('flagger-cookie=v1; Max-Age=21600')] },
        ],
      },
    ]);
    expect(await router.getRoutes(canary)).toEqual({ primary: 90, canary: 10, mirrored: false });

    // The same cookie for the whole run, and an unchanged tick writes nothing.
    await router.setRoutes(canary, { primary: 70, canary: 30, mirrored: false });
    const before = writes();
    await router.reconcile(canary, TARGETS);
    await router.setRoutes(canary, { primary: 70, canary: 30, mirrored: false });
    expect(writes()).toBe(before);
    expect((await rules())![1]!.backendRefs![1]!.filters).toEqual([
      setCookie('flagger-cookie=v1; Max-Age=21600'),
    ]);
    expect(await router.getRoutes(canary)).toEqual({ primary: 70, canary: 30, mirrored: false });

    // Promoted: the holders go to the primary and their cookie is expired.
    await router.setRoutes(canary, { primary: 100, canary: 0, mirrored: false });
    expect(await rules()).toStrictEqual([
      {
        matches: [{ ...ALL, headers: [cookieHeader('flagger-cookie=v1')] }],
        filters: [setCookie('flagger-cookie=v1; Max-Age=-1')],
        backendRefs: [
          { ...PRIMARY, weight: 100 },
          { ...CANARY, weight: 0 },
        ],
      },
      {
        matches: [ALL],
        backendRefs: [
          { ...PRIMARY, weight: 100 },
          { ...CANARY, weight: 0 },
        ],
      },
    ]);
    expect(await router.getRoutes(canary)).toEqual({ primary: 100, canary: 0, mirrored: false });
    const idle = writes();
    await router.reconcile(canary, TARGETS);
    expect(writes()).toBe(idle);

    // The next run draws a new cookie.
    await router.setRoutes(canary, { primary: 90, canary: 10, mirrored: false });
    expect((await rules())![0]!.matches![0]!.headers).toEqual([cookieHeader('flagger-cookie=v2')]);
  });

  it('merges the Set-Cookie into the service response headers (the CRD allows one modifier per rule)', async () => {
    const { cluster, router, canary, rules } = setup({
      headers: { response: { set: { 'cache-control': 'no-store' } } },
    });
    await router.reconcile(canary, TARGETS);
    await router.setRoutes(canary, { primary: 50, canary: 50, mirrored: false });
    await router.setRoutes(canary, { primary: 100, canary: 0, mirrored: false });
    expect((await rules())![0]!.filters).toEqual([
      {
        type: 'ResponseHeaderModifier',
        responseHeaderModifier: {
          set: [{ name: 'cache-control', value: 'no-store' }],
          add: [{ name: 'Set-Cookie', value: 'flagger-cookie=v1; Max-Age=-1' }],
        },
      },
    ]);
    for (const object of cluster.snapshot()) expect(istioSchemaErrors(object)).toEqual([]);
  });
});
