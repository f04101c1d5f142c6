/** The sandbox routes requests by a TrafficSplit as the split says, quantities included. */
import { trafficSplitRoutes } from '../../../src/sandbox/traffic-split-routing.js';
import { routeRequest } from '../../../src/sandbox/virtual-service-routing.js';

/** Where `n` evenly spread requests go, by host. */
function spread(spec: ReturnType<typeof trafficSplitRoutes>, n = 1000): Record<string, number> {
  const counts: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const host = routeRequest(spec, { headers: {} }, (i + 0.5) / n)?.host ?? 'nowhere';
    counts[host] = (counts[host] ?? 0) + 1;
  }
  return counts;
}

describe('trafficSplitRoutes', () => {
  it('sends requests to the backends in proportion to their weights', () => {
    const routes = trafficSplitRoutes({
      backends: [
        { service: 'podinfo-canary', weight: 30 },
        { service: 'podinfo-primary', weight: 70 },
      ],
    });
    expect(spread(routes)).toEqual({ 'podinfo-canary': 300, 'podinfo-primary': 700 });
  });

  it('reads v1alpha1 quantities, and headers change nothing', () => {
    const routes = trafficSplitRoutes({
      backends: [
        { service: 'podinfo-canary', weight: '100m' },
        { service: 'podinfo-primary', weight: '900m' },
      ],
    });
    expect(spread(routes)).toEqual({ 'podinfo-canary': 100, 'podinfo-primary': 900 });
    expect(routeRequest(routes, { headers: { 'user-type': 'premium' } }, 0.95)?.host).toBe('podinfo-primary');
  });

  it('routes nowhere without backends, and counts a bad weight as 0', () => {
    expect(spread(trafficSplitRoutes({}), 10)).toEqual({ nowhere: 10 });
    const routes = trafficSplitRoutes({
      backends: [
        { service: 'podinfo-canary', weight: 'lots' },
        { service: 'podinfo-primary', weight: '1' },
      ],
    });
    expect(spread(routes, 10)).toEqual({ 'podinfo-primary': 10 });
  });
});
