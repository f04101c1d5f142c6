/**
 * The app's own HTTP metrics, which Flagger's HTTP observer reads for the `kubernetes` and
 * `gatewayapi` providers: the `http_request_duration_seconds` histogram (Prometheus' default
 * buckets) with `method`, `path` and `status`, plus the `kubernetes_namespace` and
 * `kubernetes_pod_name` labels the usual pod scrape configuration adds. The pod names have
 * Deployments' shape (`<workload>-<hash>-<suffix>`), which the builtin queries match.
 */
import { Histogram } from 'prom-client';
import { MetricsEndpoint, PROMETHEUS_DEFAULT_BUCKETS_S, type ObservedRequest } from './endpoint.js';

const HTTP_LABELS = ['kubernetes_namespace', 'kubernetes_pod_name', 'method', 'path', 'status'] as const;

type HttpLabel = (typeof HTTP_LABELS)[number];

/** The apps' HTTP metrics in a registry of their own; see {@link MetricsEndpoint}. */
export class HttpObserverMetrics extends MetricsEndpoint {
  private readonly duration: Histogram<HttpLabel>;

  constructor() {
    super();
    this.duration = new Histogram({
      name: 'http_request_duration_seconds',
      help: 'Time the app took to answer, in seconds.',
      labelNames: HTTP_LABELS,
      buckets: [...PROMETHEUS_DEFAULT_BUCKETS_S],
      registers: [this.registry],
    });
  }

  record(request: ObservedRequest): void {
    this.duration.observe(
      {
        kubernetes_namespace: request.namespace,
        kubernetes_pod_name: request.destinationPod,
        method: request.method,
        path: request.path,
        status: String(request.responseCode),
      },
      request.durationMs / 1000,
    );
  }
}
