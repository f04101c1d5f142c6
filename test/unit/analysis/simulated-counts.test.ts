/**
 * The sandbox's answers to the judge's count queries: per version from `count.version`, one sample
 * per interval for all of its counts, consistent with the simulated traffic, and the same
 * observation `observeCounts` builds from Prometheus.
 */
import { builtinCountQueries, observeCounts } from '../../../analysis/judge/count-queries.js';
import type { MetricQuery } from '../../../analysis/provider.js';
import {
  SimulatedProvider,
  SimulatedTraffic,
  slowShare,
  type CountSample,
  type TrafficSample,
  type TrafficSource,
} from '../../../analysis/providers/simulated.js';

const context = (provider: SimulatedProvider) => ({
  provider,
  metric: 'request-success-rate',
  namespace: 'test',
  target: 'podinfo',
  intervalMs: 60_000,
});

const queries = (edgeMs?: number) =>
  builtinCountQueries('istio', {
    namespace: 'test',
    target: 'podinfo',
    primary: 'podinfo-primary',
    interval: '1m',
    edgeMs,
  });

/** Hands out numbered samples, so a test sees which interval each count came from. */
class NumberedCounts implements TrafficSource {
  calls = 0;
  sample(): TrafficSample {
    return { successRatePercent: 100, p99LatencyMs: 0, requests: 0 };
  }
  counts(): CountSample {
    this.calls += 1;
    const n = this.calls * 1000;
    return {
      canary: { requests: n, errors: this.calls, withinEdge: n - 10 },
      primary: { requests: 9 * n, errors: 2 * this.calls, withinEdge: 9 * n - 20 },
    };
  }
}

describe('SimulatedProvider count queries', () => {
  it('answers all counts of one interval from one sample, and the next interval from the next', async () => {
    const traffic = new NumberedCounts();
    const provider = new SimulatedProvider({ traffic });
    const first = await observeCounts(queries(250), context(provider));
    expect(first).toEqual({
      canary: { requests: 1000, errors: 1, buckets: [{ le: 250, count: 990 }] },
      primary: { requests: 9000, errors: 2, buckets: [{ le: 250, count: 8980 }] },
    });
    const second = await observeCounts(queries(), context(provider));
    expect(second).toEqual({
      canary: { requests: 2000, errors: 2 },
      primary: { requests: 18000, errors: 4 },
    });
    expect(traffic.calls).toBe(2);
  });

  it('gives counts consistent with the profiles: requests = rps x interval, errors by the error rate', async () => {
    const traffic = new SimulatedTraffic({ jitterPercent: 0 });
    traffic.set('test', 'podinfo', { requestsPerSecond: 20, errorRatePercent: 1, p99LatencyMs: 250 });
    traffic.set('test', 'podinfo-primary', {
      requestsPerSecond: 180,
      errorRatePercent: 0.5,
      p99LatencyMs: 250,
    });
    const observation = await observeCounts(queries(250), context(new SimulatedProvider({ traffic })));
    expect(observation).toEqual({
      canary: { requests: 1200, errors: 12, buckets: [{ le: 250, count: 1188 }] },
      primary: { requests: 10800, errors: 54, buckets: [{ le: 250, count: 10692 }] },
    });
  });

  it('answers no series for a version without traffic, as Prometheus does', async () => {
    const traffic = new SimulatedTraffic({ jitterPercent: 0 });
    traffic.set('test', 'podinfo', { requestsPerSecond: 1 });
    const observation = await observeCounts(queries(), context(new SimulatedProvider({ traffic })));
    expect(observation).toEqual({ canary: { requests: 60, errors: 0 }, primary: undefined });
  });

  it('rejects count queries a traffic source cannot answer', async () => {
    const provider = new SimulatedProvider({
      traffic: { sample: () => ({ successRatePercent: 100, p99LatencyMs: 1, requests: 1 }) },
    });
    const query: MetricQuery = {
      ...context(provider),
      text: 'x',
      count: { version: 'canary', of: 'requests' },
    };
    await expect(provider.query(query)).rejects.toThrow(
      'the simulated traffic gives no per-version counts for the judge',
    );
  });

  it('puts 1% of requests above the p99 and fewer above a higher edge', () => {
    expect(slowShare(250, 250)).toBeCloseTo(0.01);
    expect(slowShare(250, 500)).toBeCloseTo(0.0001);
    expect(slowShare(325, 250)).toBeGreaterThan(slowShare(250, 250));
    expect(slowShare(0, 250)).toBe(0);
  });
});
