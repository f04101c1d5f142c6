/**
 * The builtin metrics' queries, per mesh. The PromQL is Flagger's, so dashboards and alerts built
 * for Flagger's checks agree with Fledge's numbers.
 */
import { BUILTIN_METRIC_NAMES, type BuiltinMetricName } from '../src/api/builtin-metrics.js';
import { metricsMeshOf } from '../src/api/providers.js';

/** What a builtin query is about. */
export interface BuiltinQueryParams {
  /** Namespace of the canary workload. */
  namespace: string;
  /** The canary workload's name, matched with `=~` as Flagger does. */
  target: string;
  /** Prometheus range, e.g. `1m`. */
  interval: string;
  /** The user's Ingress (`spec.ingressRef.name`): NGINX labels its metrics with it. */
  ingress?: string | undefined;
}

type QueryBuilder = (p: BuiltinQueryParams) => string;

/** A mesh with no builtin catalogue, or a metric name that is not builtin. */
export class BuiltinQueryError extends Error {
  override name = 'BuiltinQueryError';
}

/** Escapes a value for a double-quoted PromQL string (label values); the count queries use it too. */
export function quoted(value: string): string {
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
 * Flagger's HTTP observer (`kubernetes`, `gatewayapi:*`): the app's own `http_request_duration_seconds`
 * histogram, scraped per pod, so it does not depend on the gateway implementation; the pod name of the target (not `-primary`) is `<target>-<hash>-<id>`.
 * The duration is in seconds, hence x 1000 (Flagger converts in code).
 */
const http: Record<BuiltinMetricName, QueryBuilder> = {
  'request-success-rate': ({ namespace, target, interval }) => {
    const sel = `kubernetes_namespace="${quoted(namespace)}",kubernetes_pod_name=~"${quoted(target)}-[0-9a-zA-Z]+(-[0-9a-zA-Z]+)"`;
    return (
      `sum(rate(http_request_duration_seconds_count{${sel},status!~"5.*"}[${interval}])) / ` +
      `sum(rate(http_request_duration_seconds_count{${sel}}[${interval}])) * 100`
    );
  },
  'request-duration': ({ namespace, target, interval }) =>
    `histogram_quantile(0.99, sum(rate(http_request_duration_seconds_bucket{kubernetes_namespace="${quoted(namespace)}",kubernetes_pod_name=~"${quoted(target)}-[0-9a-zA-Z]+(-[0-9a-zA-Z]+)"}[${interval}])) by (le)) * 1000`,
};

/** The NGINX label selector of the canary backend's requests through the user's Ingress. */
function nginxSelector({ namespace, ingress }: BuiltinQueryParams): string {
  if (!ingress) throw new BuiltinQueryError('the NGINX builtin metrics need spec.ingressRef.name');
  return `namespace="${quoted(namespace)}",ingress="${quoted(ingress)}",canary!=""`;
}

/** NGINX ingress controller metrics of the canary Ingress's backend (`canary!=""`). */
const nginx: Record<BuiltinMetricName, QueryBuilder> = {
  'request-success-rate': (p) => {
    const sel = nginxSelector(p);
    return (
      `sum(rate(nginx_ingress_controller_requests{${sel},status!~"5.*"}[${p.interval}])) / ` +
      `sum(rate(nginx_ingress_controller_requests{${sel}}[${p.interval}])) * 100`
    );
  },
  'request-duration': (p) => {
    const sel = nginxSelector(p);
    return (
      `sum(rate(nginx_ingress_controller_response_duration_seconds_sum{${sel}}[${p.interval}])) / ` +
      `sum(rate(nginx_ingress_controller_response_duration_seconds_count{${sel}}[${p.interval}])) * 1000`
    );
  },
};

const CATALOGUE = {
  istio,
  linkerd,
  kubernetes: http,
  'gatewayapi:v1': http,
  'gatewayapi:v1beta1': http,
  nginx,
} as const satisfies Readonly<Record<string, Record<BuiltinMetricName, QueryBuilder>>>;

/**
 * A mesh with builtin queries. The judge's count queries (`judge/count-queries.ts`) are keyed by
 * this type too, so a mesh added to one table and not the other fails type checking.
 */
export type BuiltinQueryMesh = keyof typeof CATALOGUE;

/** Meshes with builtin queries. */
export const BUILTIN_QUERY_MESHES: readonly string[] = Object.keys(CATALOGUE);

/** True when `mesh` has builtin queries (an own key of the catalogue, never an inherited one). */
export function isBuiltinQueryMesh(mesh: string): mesh is BuiltinQueryMesh {
  return Object.prototype.hasOwnProperty.call(CATALOGUE, mesh);
}

/** True when `name` is one of {@link BUILTIN_METRIC_NAMES}. */
export function isBuiltinMetric(name: string): name is BuiltinMetricName {
  return (BUILTIN_METRIC_NAMES as readonly string[]).includes(name);
}

/**
 * The PromQL of a builtin metric for a provider: its mesh's catalogue entry (an SMI form reads the
 * mesh it names, `smi:v1alpha1:linkerd` Linkerd's). Throws {@link BuiltinQueryError} for a mesh
 * without a catalogue entry or a name that is not builtin.
 */
export function builtinQuery(provider: string, metric: string, params: BuiltinQueryParams): string {
  const mesh = metricsMeshOf(provider) ?? provider;
  if (!isBuiltinQueryMesh(mesh)) {
    throw new BuiltinQueryError(
      `builtin metric "${metric}" is not available for provider "${provider}" (builtin queries exist for: ${BUILTIN_QUERY_MESHES.join(', ')}); use a MetricTemplate`,
    );
  }
  if (!isBuiltinMetric(metric)) {
    throw new BuiltinQueryError(
      `"${metric}" is not a builtin metric (builtins: ${BUILTIN_METRIC_NAMES.join(', ')})`,
    );
  }
  return CATALOGUE[mesh][metric](params);
}
