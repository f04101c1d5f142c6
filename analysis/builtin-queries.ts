/**
 * The builtin metrics' queries, per mesh. The PromQL is Flagger's, so dashboards and alerts built
 * for Flagger's checks agree with Fledge's numbers.
 */
import { BUILTIN_METRIC_NAMES, type BuiltinMetricName } from '../src/api/builtin-metrics.js';

/** What a builtin query is about. */
export interface BuiltinQueryParams {
  /** Namespace of the canary workload. */
  namespace: string;
  /** The canary workload's name, matched with `=~` as Flagger does. */
  target: string;
  /** Prometheus range, e.g. `1m`. */
  interval: string;
}

type QueryBuilder = (p: BuiltinQueryParams) => string;

/** A mesh with no builtin catalogue, or a metric name that is not builtin. */
export class BuiltinQueryError extends Error {
  override name = 'BuiltinQueryError';
}

/** Escapes a value for a double-quoted PromQL string (label values). */
function quoted(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"');
}

const istio: Record<BuiltinMetricName, QueryBuilder> = {
  'request-success-rate': ({ namespace, target, interval }) => {
    const ns = quoted(namespace);
    const wl = quoted(target);
    return (
      `sum(rate(istio_requests_total{reporter="destination",destination_workload_namespace="${ns}",destination_workload=~"${wl}",response_code!~"5.*"}[${interval}])) / ` +
      `sum(rate(istio_requests_total{reporter="destination",destination_workload_namespace="${ns}",destination_workload=~"${wl}"}[${interval}])) * 100`
    );
  },
  'request-duration': ({ namespace, target, interval }) =>
    `histogram_quantile(0.99, sum(rate(istio_request_duration_milliseconds_bucket{reporter="destination",destination_workload_namespace="${quoted(namespace)}",destination_workload=~"${quoted(target)}"}[${interval}])) by (le))`,
};

const linkerd: Record<BuiltinMetricName, QueryBuilder> = {
  'request-success-rate': ({ namespace, target, interval }) => {
    const ns = quoted(namespace);
    const wl = quoted(target);
    return (
      `sum(rate(response_total{namespace="${ns}",deployment=~"${wl}",classification!="failure",direction="inbound"}[${interval}])) / ` +
      `sum(rate(response_total{namespace="${ns}",deployment=~"${wl}",direction="inbound"}[${interval}])) * 100`
    );
  },
  'request-duration': ({ namespace, target, interval }) =>
    `histogram_quantile(0.99, sum(rate(response_latency_ms_bucket{namespace="${quoted(namespace)}",deployment=~"${quoted(target)}",direction="inbound"}[${interval}])) by (le))`,
};

/**
 * Flagger's HTTP observer: the application's own `http_request_duration_seconds` histogram, labelled
 * by the pods' namespace and name, so it does not depend on the gateway implementation. Durations
 * are in seconds there; Flagger converts them to milliseconds, as the `* 1000` does here.
 */
const httpObserver: Record<BuiltinMetricName, QueryBuilder> = {
  'request-success-rate': ({ namespace, target, interval }) => {
    const selector = `kubernetes_namespace="${quoted(namespace)}",kubernetes_pod_name=~"${quoted(target)}-[0-9a-zA-Z]+(-[0-9a-zA-Z]+)"`;
    return (
      `sum(rate(http_request_duration_seconds_count{${selector},status!~"5.*"}[${interval}])) / ` +
      `sum(rate(http_request_duration_seconds_count{${selector}}[${interval}])) * 100`
    );
  },
  'request-duration': ({ namespace, target, interval }) =>
    `histogram_quantile(0.99, sum(rate(http_request_duration_seconds_bucket{kubernetes_namespace="${quoted(namespace)}",kubernetes_pod_name=~"${quoted(target)}-[0-9a-zA-Z]+(-[0-9a-zA-Z]+)"}[${interval}])) by (le)) * 1000`,
};

const CATALOGUE: Readonly<Record<string, Record<BuiltinMetricName, QueryBuilder>>> = {
  istio,
  linkerd,
  'gatewayapi:v1': httpObserver,
  'gatewayapi:v1beta1': httpObserver,
};

/** Meshes with builtin queries. */
export const BUILTIN_QUERY_MESHES: readonly string[] = Object.keys(CATALOGUE);

/** True when `name` is one of {@link BUILTIN_METRIC_NAMES}. */
export function isBuiltinMetric(name: string): name is BuiltinMetricName {
  return (BUILTIN_METRIC_NAMES as readonly string[]).includes(name);
}

/**
 * The PromQL of a builtin metric for a mesh. Throws {@link BuiltinQueryError} for a mesh without a
 * catalogue entry or a name that is not builtin.
 */
export function builtinQuery(mesh: string, metric: string, params: BuiltinQueryParams): string {
  if (!Object.prototype.hasOwnProperty.call(CATALOGUE, mesh)) {
    throw new BuiltinQueryError(
      `builtin metric "${metric}" is not available for provider "${mesh}" (builtin queries exist for: ${BUILTIN_QUERY_MESHES.join(', ')}); use a MetricTemplate`,
    );
  }
  if (!isBuiltinMetric(metric)) {
    throw new BuiltinQueryError(
      `"${metric}" is not a builtin metric (builtins: ${BUILTIN_METRIC_NAMES.join(', ')})`,
    );
  }
  return (CATALOGUE[mesh] as Record<BuiltinMetricName, QueryBuilder>)[metric](params);
}
