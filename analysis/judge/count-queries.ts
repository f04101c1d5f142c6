/**
 * The judge's inputs from Prometheus: per version, the number of requests, of 5xx, and of requests
 * within the latency edge, over exactly one interval. Each query answers one number through the
 * same {@link MetricsProvider} port as the threshold checks, so the sandbox and the real Prometheus
 * answer them alike. The builtin forms follow each mesh's builtin metrics (`builtin-queries.ts`),
 * with `increase` over the interval instead of a ratio of rates.
 */
import { metricsMeshOf } from '../../src/api/providers.js';
import {
  BuiltinQueryError,
  isBuiltinQueryMesh,
  quoted,
  type BuiltinQueryMesh,
  type BuiltinQueryParams,
} from '../builtin-queries.js';
import { MetricQueryError, type CountOf, type MetricsProvider } from '../provider.js';
import type { IntervalObservation, VersionCounts } from './observation.js';

/** The PromQL of one version's counts. */
export interface VersionCountQueries {
  requests: string;
  /** Responses that failed (5xx). */
  errors: string;
  /** Requests that took at most the latency edge (its cumulative bucket); when latency is judged. */
  withinEdge?: string | undefined;
}

/** The count queries of one interval, for both versions. */
export interface CountQueries {
  canary: VersionCountQueries;
  primary: VersionCountQueries;
  /** The latency edge `withinEdge` counts up to, in ms; absent when latency is not judged. */
  edgeMs?: number | undefined;
}

/** What the builtin count queries are about. */
export interface CountQueryParams extends BuiltinQueryParams {
  /** The primary workload's name (`<target>-primary`). */
  primary: string;
  /** Latency edge in ms, a bucket bound of the mesh's histogram; absent: latency is not judged. */
  edgeMs?: number | undefined;
}

/** One version's selector and the metric names its counts are read from. */
interface VersionSource {
  /** Label matchers of every request of the version. */
  selector: string;
  /** Added to `selector` for the failed ones. */
  failed: string;
  counter: string;
  bucket: string;
  /** The histogram's unit: `le` is the edge in ms divided by this. */
  msPerUnit: number;
}

type SourceOf = (p: CountQueryParams, workload: string, version: 'canary' | 'primary') => VersionSource;

const istio: SourceOf = (p, workload) => ({
  selector: `reporter="destination",destination_workload_namespace="${quoted(p.namespace)}",destination_workload="${quoted(workload)}"`,
  failed: `response_code=~"5.*"`,
  counter: 'istio_requests_total',
  bucket: 'istio_request_duration_milliseconds_bucket',
  msPerUnit: 1,
});

const linkerd: SourceOf = (p, workload) => ({
  selector: `namespace="${quoted(p.namespace)}",deployment="${quoted(workload)}",direction="inbound"`,
  failed: `classification="failure"`,
  counter: 'response_total',
  bucket: 'response_latency_ms_bucket',
  msPerUnit: 1,
});

/** The app's own histogram, per pod: `<workload>-<replicaset hash>-<pod id>`. */
const http: SourceOf = (p, workload) => ({
  selector: `kubernetes_namespace="${quoted(p.namespace)}",kubernetes_pod_name=~"${quoted(workload)}-[0-9a-zA-Z]+(-[0-9a-zA-Z]+)"`,
  failed: `status=~"5.*"`,
  counter: 'http_request_duration_seconds_count',
  bucket: 'http_request_duration_seconds_bucket',
  msPerUnit: 1000,
});

/** NGINX labels the canary Ingress's requests with its upstream (`canary!=""`), the primary's with `canary=""`. */
const nginx: SourceOf = (p, _workload, version) => {
  if (!p.ingress) throw new BuiltinQueryError('the NGINX count queries need spec.ingressRef.name');
  return {
    selector: `namespace="${quoted(p.namespace)}",ingress="${quoted(p.ingress)}",canary${version === 'canary' ? '!=' : '='}""`,
    failed: `status=~"5.*"`,
    counter: 'nginx_ingress_controller_requests',
    // The upstream's time, as the builtin request-duration reads it (request_duration is the client's).
    bucket: 'nginx_ingress_controller_response_duration_seconds_bucket',
    msPerUnit: 1000,
  };
};

/** Keyed by the builtin catalogue's meshes: every mesh with builtin metrics has count queries. */
const SOURCES: Readonly<Record<BuiltinQueryMesh, SourceOf>> = {
  istio,
  linkerd,
  kubernetes: http,
  'gatewayapi:v1': http,
  'gatewayapi:v1beta1': http,
  nginx,
};

/** Meshes with builtin count queries. */
export const COUNT_QUERY_MESHES: readonly string[] = Object.keys(SOURCES);

/** Go's shortest `%g` (client_golang's exposition): the exponent form from 1e+06 and below 1e-04. */
function goFloat(value: number): string {
  const [mantissa, exponentText] = value.toExponential().split('e') as [string, string];
  const exponent = Number(exponentText);
  if (value === 0 || (exponent >= -4 && exponent < 6)) return String(value);
  // Go writes at least two exponent digits (`1e+06`), JavaScript one (`1e+6`).
  const digits = String(Math.abs(exponent)).padStart(2, '0');
  return `${mantissa}e${exponent < 0 ? '-' : '+'}${digits}`;
}

/**
 * The `le` matcher of a bucket bound, in every way exporters write it: `3600000` (prom-client),
 * `3.6e+06` (client_golang), `250.0` (OpenMetrics exporters, and Prometheus 3, which rewrites every
 * `le` so at scrape time). An exact `le="250"` finds no series written `250.0`, and the judge would
 * read no request as fast.
 */
export function leMatcher(bound: number): string {
  const go = goFloat(bound);
  const forms = new Set([String(bound), go, /[.e]/.test(go) ? go : `${go}.0`]);
  // Escaped for the regex, then the backslash escaped for the PromQL string.
  const escaped = [...forms].map((f) => f.replace(/[.+]/g, (c) => `\\\\${c}`));
  return `le=~"${escaped.join('|')}"`;
}

function versionQueries(s: VersionSource, interval: string, edgeMs: number | undefined): VersionCountQueries {
  const sum = (selector: string, metric: string) => `sum(increase(${metric}{${selector}}[${interval}]))`;
  return {
    requests: sum(s.selector, s.counter),
    errors: sum(`${s.selector},${s.failed}`, s.counter),
    withinEdge:
      edgeMs === undefined ? undefined : sum(`${s.selector},${leMatcher(edgeMs / s.msPerUnit)}`, s.bucket),
  };
}

/**
 * The builtin count queries of a provider's mesh (an SMI form reads the mesh it names). Throws
 * {@link BuiltinQueryError} for a mesh without them.
 */
export function builtinCountQueries(provider: string, p: CountQueryParams): CountQueries {
  const mesh = metricsMeshOf(provider) ?? provider;
  const source = isBuiltinQueryMesh(mesh) ? SOURCES[mesh] : undefined;
  if (!source)
    throw new BuiltinQueryError(
      `provider "${provider}" has no builtin count queries for the judge (they exist for: ${COUNT_QUERY_MESHES.join(', ')}); give the MetricTemplate count queries`,
    );
  return {
    canary: versionQueries(source(p, p.target, 'canary'), p.interval, p.edgeMs),
    primary: versionQueries(source(p, p.primary, 'primary'), p.interval, p.edgeMs),
    edgeMs: p.edgeMs,
  };
}

/** Where the count queries run, and what they are about (for the provider and its messages). */
export interface CountQueryContext {
  provider: MetricsProvider;
  /** The metric's name in the Canary. */
  metric: string;
  namespace: string;
  /** The canary workload (also for the primary's queries: `count.version` tells them apart). */
  target: string;
  intervalMs: number;
}

/** A count Prometheus extrapolated (`increase` gives 99.7 for 100), as the whole number the judge reads. */
function wholeCount(value: number | undefined, query: string): number {
  if (value === undefined) return 0;
  if (!Number.isFinite(value) || value < 0)
    throw new MetricQueryError(`count query returned ${value}, not a count >= 0: ${query}`);
  return Math.round(value);
}

async function versionCounts(
  version: CountOf['version'],
  queries: VersionCountQueries,
  edgeMs: number | undefined,
  context: CountQueryContext,
): Promise<VersionCounts | undefined> {
  const { provider, ...about } = context;
  const run = (text: string, of: CountOf['of']) =>
    provider.query({ ...about, text, count: { version, of, edgeMs } });
  const [requests, errors, within] = await Promise.all([
    run(queries.requests, 'requests'),
    run(queries.errors, 'errors'),
    queries.withinEdge === undefined ? Promise.resolve(undefined) : run(queries.withinEdge, 'withinEdge'),
  ]);
  // No series: the version served nothing in the interval (no comparison), not zero requests.
  if (requests === undefined) return undefined;
  const total = wholeCount(requests, queries.requests);
  // A 5xx or bucket series appears only once one request was counted in it: no data is 0.
  const failed = Math.min(total, wholeCount(errors, queries.errors));
  if (edgeMs === undefined || queries.withinEdge === undefined) return { requests: total, errors: failed };
  // Every bucket of a histogram exists once it has a series: none while requests were counted
  // means the edge is no bound of it, and reading 0 would call every request slow.
  if (within === undefined && total > 0)
    throw new MetricQueryError(
      `the ${version} served ${total} requests but no histogram bucket has le ${edgeMs} ms: make the judge's latency edge a bucket bound of the histogram (${queries.withinEdge})`,
    );
  const inside = Math.min(total, wholeCount(within, queries.withinEdge));
  return { requests: total, errors: failed, buckets: [{ le: edgeMs, count: inside }] };
}

/**
 * Runs the count queries of one interval. Rejects with the provider's {@link MetricQueryError}
 * when a query fails; a version with no series is absent from the observation.
 */
export async function observeCounts(
  queries: CountQueries,
  context: CountQueryContext,
): Promise<IntervalObservation> {
  const [canary, primary] = await Promise.all([
    versionCounts('canary', queries.canary, queries.edgeMs, context),
    versionCounts('primary', queries.primary, queries.edgeMs, context),
  ]);
  return { canary, primary };
}
