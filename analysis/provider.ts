/**
 * The metrics-provider port: runs one query and returns one number. The Prometheus
 * implementation lives in `providers/prometheus.ts` (the only file doing Prometheus I/O);
 * the sandbox uses `providers/simulated.ts`.
 */

/** One query, as the analysis runner hands it to a provider. */
export interface MetricQuery {
  /** The query text with every variable resolved (PromQL for Prometheus). */
  text: string;
  /** The metric's name in the Canary (e.g. `request-success-rate`). */
  metric: string;
  namespace: string;
  /** The workload the query is about (the canary Deployment). */
  target: string;
  /** Range of the query, in milliseconds. */
  intervalMs: number;
  /** For the judge's count queries: which count of which version the query gives. */
  count?: CountOf | undefined;
}

/** A count query's meaning, for providers that answer from something other than PromQL (the sandbox). */
export interface CountOf {
  version: 'canary' | 'primary';
  of: 'requests' | 'errors' | 'withinEdge';
  /** The latency edge in ms, for `withinEdge`. */
  edgeMs?: number | undefined;
}

/** Runs metric queries against one metrics server. */
export interface MetricsProvider {
  /**
   * Resolves to the query's single value, or `undefined` when there is no data (an empty result or
   * NaN). Rejects with {@link MetricQueryError} when the query fails or returns several series.
   */
  query(query: MetricQuery): Promise<number | undefined>;
}

/** A query that could not produce a value; the analysis turns it into a failed check. */
export class MetricQueryError extends Error {
  override name = 'MetricQueryError';
}
