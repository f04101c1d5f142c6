/**
 * A metrics provider for the sandbox: answers the builtin metrics from a {@link TrafficSource}
 * instead of Prometheus, so a demo can run rollouts with no mesh and no metrics server.
 */
import { MetricQueryError, type CountOf, type MetricQuery, type MetricsProvider } from '../provider.js';

/** Traffic observed at one workload over one interval. */
export interface TrafficSample {
  /** Percentage of requests that did not fail (0 to 100). */
  successRatePercent: number;
  /** 99th percentile of request latency, in milliseconds. */
  p99LatencyMs: number;
  /** Requests seen in the interval; 0 means no data. */
  requests: number;
}

/** One version's counts over one interval, as the judge's count queries ask them. */
export interface VersionCountSample {
  requests: number;
  /** Requests that failed (5xx). */
  errors: number;
  /** Requests that took at most the latency edge asked for; absent when none was. */
  withinEdge?: number | undefined;
}

/** Both versions' counts over one interval. */
export interface CountSample {
  canary: VersionCountSample;
  primary: VersionCountSample;
}

/** Where simulated measurements come from. */
export interface TrafficSource {
  /** The traffic `workload` in `namespace` received over the last `intervalMs`. */
  sample(namespace: string, workload: string, intervalMs: number): TrafficSample;
  /**
   * The requests the canary `target` and its primary served over the last `intervalMs`, for the
   * judge; `edgeMs` is the latency edge whose count is asked. Absent: count queries are an error.
   */
  counts?(namespace: string, target: string, intervalMs: number, edgeMs: number | undefined): CountSample;
}

/**
 * The share of requests slower than `edgeMs` for a version whose p99 is `p99LatencyMs`: an
 * exponential tail through the p99 (1% slower than it), so a slower version has more slow requests
 * at every edge.
 */
export function slowShare(p99LatencyMs: number, edgeMs: number): number {
  if (p99LatencyMs <= 0) return 0;
  return Math.pow(0.01, edgeMs / p99LatencyMs);
}

/** Metrics the sandbox can answer; any other name is an error. */
export const SIMULATED_METRICS = ['request-success-rate', 'request-duration'] as const;

/** Options of {@link SimulatedProvider}. */
export interface SimulatedProviderOptions {
  traffic: TrafficSource;
}

/** Answers `request-success-rate` and `request-duration` from a {@link TrafficSource}. */
export class SimulatedProvider implements MetricsProvider {
  private readonly traffic: TrafficSource;
  /**
   * The count sample of each canary's interval, and which of its counts were answered: the
   * queries of one interval (requests, 5xx, within the edge, per version) must read one sample, so
   * a count asked a second time means the next interval.
   */
  private readonly countSamples = new Map<string, { sample: CountSample; answered: Set<string> }>();

  constructor(options: SimulatedProviderOptions) {
    if (!options || typeof options.traffic?.sample !== 'function') {
      throw new TypeError('SimulatedProvider: options.traffic must be a TrafficSource');
    }
    this.traffic = options.traffic;
  }

  /** Resolves to the simulated value of a builtin metric, or `undefined` when there was no traffic. */
  async query(query: MetricQuery): Promise<number | undefined> {
    if (query.count) return this.count(query, query.count);
    if (!(SIMULATED_METRICS as readonly string[]).includes(query.metric)) {
      throw new MetricQueryError(
        `metric "${query.metric}" cannot be answered: the sandbox only simulates the builtin metrics (${SIMULATED_METRICS.join(', ')})`,
      );
    }
    const sample = this.traffic.sample(query.namespace, query.target, query.intervalMs);
    if (!(sample.requests > 0)) return undefined;
    return query.metric === 'request-success-rate' ? sample.successRatePercent : sample.p99LatencyMs;
  }

  /** A count query: one count of one version, from the interval's sample (no series without requests). */
  private count(query: MetricQuery, count: CountOf): number | undefined {
    if (!this.traffic.counts)
      throw new MetricQueryError('the simulated traffic gives no per-version counts for the judge');
    const key = `${query.namespace}/${query.target}/${query.intervalMs}/${count.edgeMs ?? ''}`;
    const asked = `${count.version}/${count.of}`;
    let entry = this.countSamples.get(key);
    if (!entry || entry.answered.has(asked)) {
      const sample = this.traffic.counts(query.namespace, query.target, query.intervalMs, count.edgeMs);
      entry = { sample, answered: new Set() };
      this.countSamples.set(key, entry);
    }
    entry.answered.add(asked);
    const version = entry.sample[count.version];
    if (version.requests === 0) return undefined;
    if (count.of === 'withinEdge') return version.withinEdge;
    return count.of === 'requests' ? version.requests : version.errors;
  }
}

/** The traffic one workload receives in {@link SimulatedTraffic}. */
export interface WorkloadTrafficProfile {
  /** Requests per second reaching the workload; 0 means it gets no traffic. */
  requestsPerSecond: number;
  /** Percentage of requests that fail (0 to 100). */
  errorRatePercent: number;
  /** Typical p99 latency, in milliseconds. */
  p99LatencyMs: number;
}

/** Options of {@link SimulatedTraffic}. */
export interface SimulatedTrafficOptions {
  /** Seed of the jitter; the same seed and the same calls give the same samples (default 1). */
  seed?: number;
  /** Relative jitter applied to each value, in percent of it (default 2). */
  jitterPercent?: number;
}

/** A deterministic 32-bit PRNG (mulberry32): tiny, seedable, good enough for jitter and simulated traffic. */
export function createRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

function checkProfile(key: string, profile: WorkloadTrafficProfile): void {
  const { requestsPerSecond, errorRatePercent, p99LatencyMs } = profile;
  if (!Number.isFinite(requestsPerSecond) || requestsPerSecond < 0) {
    throw new RangeError(`SimulatedTraffic ${key}: requestsPerSecond must be >= 0, got ${requestsPerSecond}`);
  }
  if (!Number.isFinite(errorRatePercent) || errorRatePercent < 0 || errorRatePercent > 100) {
    throw new RangeError(
      `SimulatedTraffic ${key}: errorRatePercent must be between 0 and 100, got ${errorRatePercent}`,
    );
  }
  if (!Number.isFinite(p99LatencyMs) || p99LatencyMs < 0) {
    throw new RangeError(`SimulatedTraffic ${key}: p99LatencyMs must be >= 0, got ${p99LatencyMs}`);
  }
}

/**
 * A {@link TrafficSource} the demo drives: each workload has a configured error rate, latency and
 * request rate, and every sample adds a small seeded jitter, so runs are repeatable. A workload
 * with no profile receives no traffic.
 */
export class SimulatedTraffic implements TrafficSource {
  private readonly profiles = new Map<string, WorkloadTrafficProfile>();
  private readonly random: () => number;
  private readonly jitter: number;

  constructor(options: SimulatedTrafficOptions = {}) {
    const jitterPercent = options.jitterPercent ?? 2;
    if (!Number.isFinite(jitterPercent) || jitterPercent < 0 || jitterPercent >= 100) {
      throw new RangeError(`SimulatedTraffic: jitterPercent must be in [0, 100), got ${jitterPercent}`);
    }
    this.jitter = jitterPercent / 100;
    this.random = createRandom(options.seed ?? 1);
  }

  /** Sets (or updates part of) the traffic of one workload. */
  set(namespace: string, workload: string, profile: Partial<WorkloadTrafficProfile>): void {
    const key = `${namespace}/${workload}`;
    const next: WorkloadTrafficProfile = {
      requestsPerSecond: 10,
      errorRatePercent: 0,
      p99LatencyMs: 50,
      ...this.profiles.get(key),
      ...profile,
    };
    checkProfile(key, next);
    this.profiles.set(key, next);
  }

  /** The current profile of a workload, if any. */
  get(namespace: string, workload: string): WorkloadTrafficProfile | undefined {
    const profile = this.profiles.get(`${namespace}/${workload}`);
    return profile ? { ...profile } : undefined;
  }

  /** Stops the traffic of one workload (its samples become "no data"). */
  clear(namespace: string, workload: string): void {
    this.profiles.delete(`${namespace}/${workload}`);
  }

  /** A jittered sample of the workload's configured traffic; no profile gives zero requests. */
  sample(namespace: string, workload: string, intervalMs: number): TrafficSample {
    const profile = this.profiles.get(`${namespace}/${workload}`);
    if (!profile || profile.requestsPerSecond === 0 || intervalMs <= 0) {
      return { successRatePercent: 100, p99LatencyMs: 0, requests: 0 };
    }
    const errorRate = Math.min(100, this.jittered(profile.errorRatePercent));
    return {
      successRatePercent: 100 - errorRate,
      p99LatencyMs: this.jittered(profile.p99LatencyMs),
      requests: Math.max(1, Math.round(this.jittered((profile.requestsPerSecond * intervalMs) / 1_000))),
    };
  }

  /**
   * The expected counts of `target` and `<target>-primary` over the interval, each from its own
   * profile (jittered): requests = rate x interval, 5xx and slow requests by their shares.
   */
  counts(namespace: string, target: string, intervalMs: number, edgeMs: number | undefined): CountSample {
    const version = (workload: string): VersionCountSample => {
      const profile = this.profiles.get(`${namespace}/${workload}`);
      if (!profile || profile.requestsPerSecond === 0 || intervalMs <= 0) return { requests: 0, errors: 0 };
      const requests = Math.round(this.jittered((profile.requestsPerSecond * intervalMs) / 1_000));
      const errors = Math.min(
        requests,
        Math.round((requests * this.jittered(profile.errorRatePercent)) / 100),
      );
      if (edgeMs === undefined) return { requests, errors };
      const slow = Math.round(requests * slowShare(this.jittered(profile.p99LatencyMs), edgeMs));
      return { requests, errors, withinEdge: requests - slow };
    };
    return { canary: version(target), primary: version(`${target}-primary`) };
  }

  /** `value` times a factor in [1 - jitter, 1 + jitter]; zero stays zero. */
  private jittered(value: number): number {
    return value * (1 + (this.random() * 2 - 1) * this.jitter);
  }
}
