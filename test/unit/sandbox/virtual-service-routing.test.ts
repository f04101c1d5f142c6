/** Istio route matching as the sandbox and the e2e traffic harness model it. */
import {
  pickDestination,
  pickMirror,
  routeRequest,
  selectRoute,
  type VirtualServiceSpec,
} from '../../../src/sandbox/virtual-service-routing.js';

const primary = { host: 'podinfo-primary' };
const canary = { host: 'podinfo-canary' };

const split = (p: number, c: number): VirtualServiceSpec => ({
  http: [
    {
      route: [
        { destination: primary, weight: p },
        { destination: canary, weight: c },
      ],
    },
  ],
});

const abTest: VirtualServiceSpec = {
  http: [
    {
      match: [
        { headers: { 'user-type': { exact: 'premium' } } },
        { headers: { cookie: { regex: '.*canary=always.*' } } },
        { headers: { 'X-Build': { prefix: 'beta-' } } },
      ],
      route: [
        { destination: primary, weight: 0 },
        { destination: canary, weight: 100 },
      ],
    },
    { route: [{ destination: primary, weight: 100 }] },
  ],
};

describe('routeRequest', () => {
  it('splits by weight along the random draw', () => {
    expect(routeRequest(split(90, 10), { headers: {} }, 0)).toEqual(primary);
    expect(routeRequest(split(90, 10), { headers: {} }, 0.899)).toEqual(primary);
    expect(routeRequest(split(90, 10), { headers: {} }, 0.9)).toEqual(canary);
    expect(routeRequest(split(90, 10), { headers: {} }, 0.999)).toEqual(canary);
    expect(routeRequest(split(100, 0), { headers: {} }, 0.999)).toEqual(primary);
  });

  it('sends everything to a sole destination whatever its weight', () => {
    const spec: VirtualServiceSpec = { http: [{ route: [{ destination: canary, weight: 5 }] }] };
    expect(routeRequest(spec, { headers: {} }, 0.99)).toEqual(canary);
  });

  it('matches headers exactly, by prefix and by anchored regex, case-insensitively by name', () => {
    expect(routeRequest(abTest, { headers: { 'user-type': 'premium' } }, 0.5)).toEqual(canary);
    expect(routeRequest(abTest, { headers: { 'user-type': 'premium-plus' } }, 0.5)).toEqual(primary);
    expect(routeRequest(abTest, { headers: { cookie: 'a=1; canary=always; b=2' } }, 0.5)).toEqual(canary);
    expect(routeRequest(abTest, { headers: { cookie: 'canary=never' } }, 0.5)).toEqual(primary);
    expect(routeRequest(abTest, { headers: { 'x-build': 'beta-7' } }, 0.5)).toEqual(canary);
    expect(routeRequest(abTest, { headers: { 'x-build': 'rc-beta-7' } }, 0.5)).toEqual(primary);
    expect(routeRequest(abTest, { headers: {} }, 0.5)).toEqual(primary);
  });

  it('answers undefined when no route matches', () => {
    const spec: VirtualServiceSpec = { http: [abTest.http![0]!] };
    expect(routeRequest(spec, { headers: {} }, 0.5)).toBeUndefined();
    expect(routeRequest({}, { headers: {} }, 0.5)).toBeUndefined();
  });
});

describe('selectRoute and pickDestination', () => {
  it('takes the first matching route', () => {
    expect(selectRoute(abTest, { headers: { 'user-type': 'premium' } })).toBe(abTest.http![0]);
    expect(selectRoute(abTest, { headers: { 'user-type': 'free' } })).toBe(abTest.http![1]);
  });

  it('has no destination for a route without any', () => {
    expect(pickDestination({ route: [] }, 0.1)).toBeUndefined();
    expect(pickDestination(undefined, 0.1)).toBeUndefined();
  });
});

describe('pickMirror', () => {
  it('mirrors every request when mirrorPercentage is absent', () => {
    expect(pickMirror({ route: [{ destination: primary }], mirror: canary }, 0.999)).toEqual(canary);
  });

  it('mirrors the given share of requests', () => {
    const route = { route: [{ destination: primary }], mirror: canary, mirrorPercentage: { value: 25 } };
    expect(pickMirror(route, 0.2)).toEqual(canary);
    expect(pickMirror(route, 0.25)).toBeUndefined();
    expect(pickMirror(route, 0.9)).toBeUndefined();
  });

  it('mirrors nothing without a mirror', () => {
    expect(pickMirror({ route: [{ destination: primary }] }, 0)).toBeUndefined();
  });
});
