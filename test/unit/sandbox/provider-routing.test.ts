/** The sandbox routes requests by an HTTPRoute, a canary Ingress and a Service selector as they say. */
import {
  canaryIngressRoutes,
  httpRouteRoutes,
  serviceSelectorRoutes,
} from '../../../src/sandbox/provider-routing.js';
import { routeRequest, type VirtualServiceSpec } from '../../../src/sandbox/virtual-service-routing.js';

/** Where `n` evenly spread requests with `headers` go, by host. */
function spread(
  spec: VirtualServiceSpec,
  headers: Record<string, string> = {},
  n = 100,
): Record<string, number> {
  const counts: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const host = routeRequest(spec, { headers }, (i + 0.5) / n)?.host ?? 'nowhere';
    counts[host] = (counts[host] ?? 0) + 1;
  }
  return counts;
}

const P = 'nginx.ingress.kubernetes.io';
const ingress = (annotations: Record<string, string>) =>
  canaryIngressRoutes({ annotations, prefix: P, primaryService: 'podinfo', canaryService: 'podinfo-canary' });

describe('httpRouteRoutes', () => {
  it('splits by the weighted backendRefs, a missing weight counting 1', () => {
    const spec = httpRouteRoutes({
      rules: [
        {
          backendRefs: [
            { name: 'podinfo-primary', weight: 70 },
            { name: 'podinfo-canary', weight: 30 },
          ],
        },
      ],
    });
    expect(spread(spec)).toEqual({ 'podinfo-primary': 70, 'podinfo-canary': 30 });
    const unweighted = httpRouteRoutes({ rules: [{ backendRefs: [{ name: 'a' }, { name: 'b' }] }] });
    expect(spread(unweighted)).toEqual({ a: 50, b: 50 });
  });

  it('A/B: the matched rule (header exact, cookie regex) first, the rest on the primary', () => {
    const spec = httpRouteRoutes({
      rules: [
        {
          matches: [
            { headers: [{ name: 'User-Type', type: 'Exact', value: 'premium' }] },
            {
              headers: [
                { name: 'cookie', type: 'RegularExpression', value: '^(.*?;)?(canary=always)(;.*)?$' },
              ],
            },
          ],
          backendRefs: [
            { name: 'podinfo-primary', weight: 0 },
            { name: 'podinfo-canary', weight: 100 },
          ],
        },
        { backendRefs: [{ name: 'podinfo-primary', weight: 100 }] },
      ],
    });
    expect(spread(spec, { 'user-type': 'premium' })).toEqual({ 'podinfo-canary': 100 });
    expect(spread(spec, { cookie: 'canary=always' })).toEqual({ 'podinfo-canary': 100 });
    expect(spread(spec, { 'user-type': 'basic' })).toEqual({ 'podinfo-primary': 100 });
    expect(spread(spec)).toEqual({ 'podinfo-primary': 100 });
  });

  it('routes nowhere without rules', () => {
    expect(spread(httpRouteRoutes(undefined), {}, 5)).toEqual({ nowhere: 5 });
  });
});

describe('canaryIngressRoutes', () => {
  it('sends nothing to the canary while canary is not "true", whatever the weight', () => {
    expect(spread(ingress({ [`${P}/canary`]: 'false', [`${P}/canary-weight`]: '50' }))).toEqual({
      podinfo: 100,
    });
  });

  it('splits by canary-weight out of canary-weight-total', () => {
    expect(spread(ingress({ [`${P}/canary`]: 'true', [`${P}/canary-weight`]: '20' }))).toEqual({
      podinfo: 80,
      'podinfo-canary': 20,
    });
    const total = { [`${P}/canary`]: 'true', [`${P}/canary-weight`]: '1', [`${P}/canary-weight-total`]: '4' };
    expect(spread(ingress(total))).toEqual({ podinfo: 75, 'podinfo-canary': 25 });
  });

  it('routes by header value, then by cookie (always / never), before the weight', () => {
    const spec = ingress({
      [`${P}/canary`]: 'true',
      [`${P}/canary-by-header`]: 'user-type',
      [`${P}/canary-by-header-value`]: 'premium',
      [`${P}/canary-by-cookie`]: 'canary',
    });
    expect(spread(spec, { 'user-type': 'premium' })).toEqual({ 'podinfo-canary': 100 });
    expect(spread(spec, { cookie: 'x=1; canary=always' })).toEqual({ 'podinfo-canary': 100 });
    expect(spread(spec, { cookie: 'canary=never' })).toEqual({ podinfo: 100 });
    expect(spread(spec, { 'user-type': 'basic', cookie: 'canary=later' })).toEqual({ podinfo: 100 });
  });

  it('a header without a value routes by always / never; a pattern is searched in the value', () => {
    const bare = ingress({
      [`${P}/canary`]: 'true',
      [`${P}/canary-by-header`]: 'X-Canary',
      [`${P}/canary-weight`]: '100',
    });
    expect(spread(bare, { 'x-canary': 'always' })).toEqual({ 'podinfo-canary': 100 });
    expect(spread(bare, { 'x-canary': 'never' })).toEqual({ podinfo: 100 });
    expect(spread(bare, { 'x-canary': 'maybe' })).toEqual({ 'podinfo-canary': 100 });
    const pattern = ingress({
      [`${P}/canary`]: 'true',
      [`${P}/canary-by-header`]: 'user-type',
      [`${P}/canary-by-header-pattern`]: 'prem',
    });
    expect(spread(pattern, { 'user-type': 'a-premium-user' })).toEqual({ 'podinfo-canary': 100 });
    expect(spread(pattern, { 'user-type': 'basic' })).toEqual({ podinfo: 100 });
  });
});

describe('serviceSelectorRoutes', () => {
  const names = { apex: 'podinfo', primaryService: 'podinfo-primary', canaryService: 'podinfo-canary' };

  it("sends everything to the pods the apex Service selects: the primary's or the target's", () => {
    expect(spread(serviceSelectorRoutes({ app: 'podinfo-primary' }, names))).toEqual({
      'podinfo-primary': 100,
    });
    expect(spread(serviceSelectorRoutes({ app: 'podinfo' }, names))).toEqual({ 'podinfo-canary': 100 });
  });

  it('routes nowhere for another selector', () => {
    expect(spread(serviceSelectorRoutes({ app: 'other' }, names), {}, 3)).toEqual({ nowhere: 3 });
    expect(spread(serviceSelectorRoutes(undefined, names), {}, 3)).toEqual({ nowhere: 3 });
  });
});
