/**
 * The metrics provider the benchmark hands the controller: simulated answers (no Prometheus), an
 * optional delay standing in for Prometheus' response time, and counts taken at the provider
 * boundary: queries by metric, and queries in flight at once (overall and for one canary).
 */
import type { MetricQuery, MetricsProvider } from '../analysis/provider.js';

/** Told when a query has produced its value (`undefined`: no data), at `atMs` (epoch ms). */
export type QueryObserver = (query: MetricQuery, value: number | undefined, atMs: number) => void;

export interface InstrumentedProviderOptions {
  /** Produces the values. */
  inner: MetricsProvider;
  /** Time each query takes before it answers (default 0: answers on the next microtask). */
  latencyMs?: number;
  onResult?: QueryObserver;
  /** Epoch milliseconds (default `Date.now`). */
  now?: () => number;
}

/** What the provider saw since the last {@link InstrumentedProvider.reset}. */
export interface ProviderCounts {
  /** Queries answered or failed, by metric name. */
  queriesByMetric: Record<string, number>;
  /** Most queries in flight at once, over all canaries. */
  maxInFlight: number;
  /** Most queries in flight at once for one canary (`namespace/target`). */
  maxInFlightPerCanary: number;
}

export class InstrumentedProvider implements MetricsProvider {
  private readonly latencyMs: number;
  private readonly now: () => number;
  private queriesByMetric: Record<string, number> = {};
  private inFlight = 0;
  private maxInFlight = 0;
  private readonly inFlightByCanary = new Map<string, number>();
  private maxInFlightPerCanary = 0;
  private readonly totalByCanary = new Map<string, number>();

  constructor(private readonly o: InstrumentedProviderOptions) {
    if (!o?.inner) throw new TypeError('InstrumentedProvider: options.inner is required');
    const latencyMs = o.latencyMs ?? 0;
    if (!(latencyMs >= 0))
      throw new RangeError(`InstrumentedProvider: latencyMs must be >= 0, got ${latencyMs}`);
    this.latencyMs = latencyMs;
    this.now = o.now ?? Date.now;
  }

  async query(query: MetricQuery): Promise<number | undefined> {
    const canary = `${query.namespace}/${query.target}`;
    this.inFlight += 1;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    const mine = (this.inFlightByCanary.get(canary) ?? 0) + 1;
    this.inFlightByCanary.set(canary, mine);
    this.maxInFlightPerCanary = Math.max(this.maxInFlightPerCanary, mine);
    try {
      if (this.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, this.latencyMs));
      const value = await this.o.inner.query(query);
      this.o.onResult?.(query, value, this.now());
      return value;
    } finally {
      this.inFlight -= 1;
      const left = (this.inFlightByCanary.get(canary) ?? 1) - 1;
      if (left === 0) this.inFlightByCanary.delete(canary);
      else this.inFlightByCanary.set(canary, left);
      this.queriesByMetric[query.metric] = (this.queriesByMetric[query.metric] ?? 0) + 1;
      this.totalByCanary.set(canary, (this.totalByCanary.get(canary) ?? 0) + 1);
    }
  }

  /** Queries made for one workload since the provider was created (never reset). */
  queriesFor(namespace: string, target: string): number {
    return this.totalByCanary.get(`${namespace}/${target}`) ?? 0;
  }

  /** The counts since the last reset. */
  counts(): ProviderCounts {
    return {
      queriesByMetric: { ...this.queriesByMetric },
      maxInFlight: this.maxInFlight,
      maxInFlightPerCanary: this.maxInFlightPerCanary,
    };
  }

  /** Starts counting afresh (queries in flight now still count towards the new maxima). */
  reset(): void {
    this.queriesByMetric = {};
    this.maxInFlight = this.inFlight;
    this.maxInFlightPerCanary = Math.max(0, ...this.inFlightByCanary.values());
  }
}
