import { InstrumentedProvider } from '../../../bench/instrumented-provider.js';
import { BenchTraffic } from '../../../bench/bench-traffic.js';
import { SimulatedProvider } from '../../../analysis/providers/simulated.js';
import type { MetricQuery } from '../../../analysis/provider.js';

function query(metric: string, target: string): MetricQuery {
  return { text: metric, metric, namespace: 'ns', target, intervalMs: 60_000 };
}

describe('InstrumentedProvider', () => {
  it('counts queries by metric and the most in flight, overall and for one canary', async () => {
    const traffic = new BenchTraffic();
    const provider = new InstrumentedProvider({ inner: new SimulatedProvider({ traffic }), latencyMs: 5 });
    const values = await Promise.all([
      provider.query(query('request-success-rate', 'a')),
      provider.query(query('request-duration', 'a')),
      provider.query(query('request-success-rate', 'b')),
    ]);
    expect(values[0]).toBe(100);
    expect(values[1]).toBeGreaterThan(0);
    expect(provider.counts()).toEqual({
      queriesByMetric: { 'request-success-rate': 2, 'request-duration': 1 },
      maxInFlight: 3,
      maxInFlightPerCanary: 2,
    });
    provider.reset();
    await provider.query(query('request-duration', 'b'));
    expect(provider.counts()).toEqual({
      queriesByMetric: { 'request-duration': 1 },
      maxInFlight: 1,
      maxInFlightPerCanary: 1,
    });
  });

  it('tells the observer each value, and the traffic can turn bad for every workload', async () => {
    const traffic = new BenchTraffic();
    const seen: (number | undefined)[] = [];
    const provider = new InstrumentedProvider({
      inner: new SimulatedProvider({ traffic }),
      onResult: (_q, value, atMs) => {
        expect(atMs).toBeGreaterThan(0);
        seen.push(value);
      },
    });
    await provider.query(query('request-success-rate', 'a'));
    traffic.setErrorRate(50);
    await provider.query(query('request-success-rate', 'a'));
    await provider.query(query('request-success-rate', 'new'));
    expect(seen[0]).toBe(100);
    expect(seen[1]).toBeLessThan(60);
    expect(seen[2]).toBeLessThan(60);
  });

  it('refuses a negative latency', () => {
    expect(() => new InstrumentedProvider({ inner: { query: async () => 1 }, latencyMs: -1 })).toThrow(
      /latencyMs must be >= 0, got -1/,
    );
  });
});
