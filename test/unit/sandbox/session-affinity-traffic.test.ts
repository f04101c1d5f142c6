/**
 * Browsers that keep cookies, sent through the VirtualService the Istio router writes with session
 * affinity: whoever reached a version stays on it, and the canary cookie is dropped once the
 * rollout ends.
 */
import { createRandom } from '../../../analysis/providers/simulated.js';
import { MemoryCluster } from '../../../src/kube/memory/memory-cluster.js';
import { API, objectKey } from '../../../src/kube/resources.js';
import { IstioRouter } from '../../../src/routers/istio.js';
import type { Routes } from '../../../src/routers/router.js';
import {
  pickDestination,
  responseCookies,
  selectRoute,
  type VirtualServiceSpec,
} from '../../../src/sandbox/virtual-service-routing.js';
import { NAMESPACE, TARGETS, canaryFor } from '../routers/fixtures.js';

/** A browser's cookie jar: it sends what it holds and obeys Set-Cookie, Max-Age=-1 included. */
class Browser {
  readonly jar = new Map<string, string>();
  readonly versions: string[] = [];

  request(spec: VirtualServiceSpec, random: () => number): void {
    const cookie = [...this.jar].map(([k, v]) => `${k}=${v}`).join('; ');
    const route = selectRoute(spec, { headers: cookie ? { cookie } : {} });
    const destination = pickDestination(route, random());
    this.versions.push(destination?.host ?? 'none');
    for (const set of responseCookies(route, destination)) {
      const [pair = '', ...attributes] = set.split(';').map((p) => p.trim());
      const [name = '', value = ''] = pair.split('=');
      if (attributes.some((a) => a === 'Max-Age=-1')) this.jar.delete(name);
      else this.jar.set(name, value);
    }
  }
}

async function specAfter(canary: ReturnType<typeof canaryFor>, routes: Routes, cluster: MemoryCluster) {
  const router = new IstioRouter({ cluster });
  await router.reconcile(canary, TARGETS);
  await router.setRoutes(canary, routes);
  const vs = await cluster.get<{
    apiVersion: string;
    kind: string;
    metadata: { name: string };
    spec: VirtualServiceSpec;
  }>(objectKey(API.virtualService, NAMESPACE, 'podinfo'));
  return vs!.spec;
}

describe('session affinity, seen from browsers', () => {
  it('keeps every browser on the version it first reached, then sends all back and drops the cookie', async () => {
    const canary = canaryFor(
      {},
      { sessionAffinity: { cookieName: 'flagger-cookie', primaryCookieName: 'flagger-primary' } },
    );
    const cluster = new MemoryCluster();
    const random = createRandom(42);
    const cookies = { canary: 'flagger-cookie=AAAAAAAAAA', primary: 'flagger-primary=BBBBBBBBBB' };
    const during = await specAfter(canary, { primary: 80, canary: 20, mirrored: false, cookies }, cluster);

    const browsers = Array.from({ length: 500 }, () => new Browser());
    for (let i = 0; i < 10; i++) for (const b of browsers) b.request(during, random);
    for (const b of browsers) expect(new Set(b.versions).size).toBe(1);
    const onCanary = browsers.filter((b) => b.versions[0] === 'podinfo-canary');
    expect(onCanary.length).toBeGreaterThan(50);
    expect(onCanary.length).toBeLessThan(150);
    for (const b of onCanary) expect(b.jar.get('flagger-cookie')).toBe('AAAAAAAAAA');

    const after = await specAfter(
      canary,
      { primary: 100, canary: 0, mirrored: false, cookies: { previous: cookies.canary } },
      cluster,
    );
    for (const b of onCanary) {
      b.request(after, random);
      expect(b.versions.at(-1)).toBe('podinfo-primary');
      expect(b.jar.has('flagger-cookie')).toBe(false);
    }
  });
});
