import { MetricQueryError, type MetricQuery } from '../../../analysis/provider.js';
import {
  SimulatedProvider,
  SimulatedTraffic,
  type TrafficSample,
  type TrafficSource,
} from '../../../analysis/providers/simulated.js';

function q(metric: string, target = 'podinfo'): MetricQuery {
  return { text: 'ignored', metric, namespace: 'test', target, intervalMs: 60_000 };
}

class FixedTraffic implements TrafficSource {
  readonly calls: [string, string, number][] = [];
  constructor(private readonly value: TrafficSample) {}
  sample(namespace: string, workload: string, intervalMs: number): TrafficSample {
    this.calls.push([namespace, workload, intervalMs]);
    return this.value;
  }
}

describe('SimulatedProvider', () => {
  it('answers the builtin metrics from the traffic source for the queried workload', async () => {
    const traffic = new FixedTraffic({ successRatePercent: 97.5, p99LatencyMs: 120, requests: 600 });
    const provider = new SimulatedProvider({ traffic });
    expect(await provider.query(q('request-success-rate'))).toBe(97.5);
    expect(await provider.query(q('request-duration', 'other'))).toBe(120);
    expect(traffic.calls).toEqual([
      ['test', 'podinfo', 60_000],
      ['test', 'other', 60_000],
    ]);
  });

  it('returns no data when there were no requests', async () => {
    const provider = new SimulatedProvider({
      traffic: new FixedTraffic({ successRatePercent: 100, p99LatencyMs: 0, requests: 0 }),
    });
    expect(await provider.query(q('request-success-rate'))).toBeUndefined();
    expect(await provider.query(q('request-duration'))).toBeUndefined();
  });

  it('rejects any other metric, saying the sandbox only simulates the builtins', async () => {
    const provider = new SimulatedProvider({
      traffic: new FixedTraffic({ successRatePercent: 100, p99LatencyMs: 1, requests: 1 }),
    });
    const error = await provider.query(q('error-rate')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MetricQueryError);
    expect((error as Error).message).toBe(
      'metric "error-rate" cannot be answered: the sandbox only simulates the builtin metrics (request-success-rate, request-duration)',
    );
  });

  it('needs a traffic source', () => {
    expect(() => new SimulatedProvider({} as never)).toThrow('options.traffic must be a TrafficSource');
  });
});

describe('SimulatedTraffic', () => {
  it('samples the configured error rate and latency within the jitter', () => {
    const traffic = new SimulatedTraffic({ seed: 7, jitterPercent: 2 });
    traffic.set('test', 'podinfo', { requestsPerSecond: 10, errorRatePercent: 5, p99LatencyMs: 200 });
    for (let i = 0; i < 50; i++) {
      const s = traffic.sample('test', 'podinfo', 60_000);
      expect(s.successRatePercent).toBeGreaterThanOrEqual(100 - 5 * 1.02);
      expect(s.successRatePercent).toBeLessThanOrEqual(100 - 5 * 0.98);
      expect(s.p99LatencyMs).toBeGreaterThanOrEqual(196);
      expect(s.p99LatencyMs).toBeLessThanOrEqual(204);
      expect(s.requests).toBeGreaterThanOrEqual(588);
      expect(s.requests).toBeLessThanOrEqual(612);
    }
  });

  it('jitters: samples are not all equal', () => {
    const traffic = new SimulatedTraffic({ seed: 3 });
    traffic.set('test', 'podinfo', { p99LatencyMs: 100 });
    const values = new Set(
      Array.from({ length: 5 }, () => traffic.sample('test', 'podinfo', 1_000).p99LatencyMs),
    );
    expect(values.size).toBe(5);
  });

  it('is deterministic for a seed', () => {
    const run = (seed: number): TrafficSample[] => {
      const traffic = new SimulatedTraffic({ seed });
      traffic.set('test', 'podinfo', { errorRatePercent: 10, p99LatencyMs: 300 });
      return Array.from({ length: 5 }, () => traffic.sample('test', 'podinfo', 30_000));
    };
    expect(run(42)).toEqual(run(42));
    expect(run(42)).not.toEqual(run(43));
  });

  it('keeps a zero error rate at exactly 100% success, and no jitter gives exact values', () => {
    const traffic = new SimulatedTraffic({ jitterPercent: 0 });
    traffic.set('test', 'podinfo', { requestsPerSecond: 2, errorRatePercent: 0, p99LatencyMs: 50 });
    expect(traffic.sample('test', 'podinfo', 10_000)).toEqual({
      successRatePercent: 100,
      p99LatencyMs: 50,
      requests: 20,
    });
  });

  it('gives no traffic to a workload without a profile, with zero requests per second, or after clear', () => {
    const traffic = new SimulatedTraffic();
    expect(traffic.sample('test', 'unknown', 60_000).requests).toBe(0);
    traffic.set('test', 'idle', { requestsPerSecond: 0 });
    expect(traffic.sample('test', 'idle', 60_000).requests).toBe(0);
    traffic.set('test', 'podinfo', {});
    expect(traffic.sample('test', 'podinfo', 60_000).requests).toBeGreaterThan(0);
    traffic.clear('test', 'podinfo');
    expect(traffic.sample('test', 'podinfo', 60_000).requests).toBe(0);
  });

  it('updates part of a profile and keeps the rest', () => {
    const traffic = new SimulatedTraffic();
    traffic.set('test', 'podinfo', { errorRatePercent: 20, p99LatencyMs: 900 });
    traffic.set('test', 'podinfo', { errorRatePercent: 1 });
    expect(traffic.get('test', 'podinfo')).toEqual({
      requestsPerSecond: 10,
      errorRatePercent: 1,
      p99LatencyMs: 900,
    });
  });

  it('rejects impossible profiles and options', () => {
    const traffic = new SimulatedTraffic();
    expect(() => traffic.set('test', 'a', { errorRatePercent: 101 })).toThrow(
      'SimulatedTraffic test/a: errorRatePercent must be between 0 and 100, got 101',
    );
    expect(() => traffic.set('test', 'a', { requestsPerSecond: -1 })).toThrow(
      'requestsPerSecond must be >= 0',
    );
    expect(() => traffic.set('test', 'a', { p99LatencyMs: NaN })).toThrow('p99LatencyMs must be >= 0');
    expect(() => new SimulatedTraffic({ jitterPercent: 100 })).toThrow('jitterPercent must be in [0, 100)');
  });

  it('drives the provider end to end: a bad canary shows its error rate', async () => {
    const traffic = new SimulatedTraffic({ seed: 1, jitterPercent: 1 });
    traffic.set('test', 'podinfo', { errorRatePercent: 30, p99LatencyMs: 800 });
    const provider = new SimulatedProvider({ traffic });
    const rate = await provider.query(q('request-success-rate'));
    expect(rate).toBeGreaterThan(69);
    expect(rate).toBeLessThan(71);
  });
});
