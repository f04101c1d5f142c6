/**
 * ingress-nginx's request metrics: `nginx_ingress_controller_requests` and the
 * `nginx_ingress_controller_response_duration_seconds` histogram. As ingress-nginx merges a canary
 * Ingress into the location of the Ingress it copies, `ingress` is the user's Ingress for every
 * request and `canary` names the canary upstream (`<namespace>-<service>-<port>`) for those the
 * canary took, empty for the rest: Flagger's NGINX queries select `canary!=""`.
 */
import type { Counter, Histogram } from 'prom-client';
import { MetricsEndpoint, PROMETHEUS_DEFAULT_BUCKETS_S, type ObservedRequest } from './endpoint.js';

const NGINX_LABELS = [
  'controller_class',
  'controller_namespace',
  'controller_pod',
  'host',
  'ingress',
  'method',
  'namespace',
  'path',
  'service',
  'status',
  'canary',
] as const;

type NginxLabel = (typeof NGINX_LABELS)[number];

/** ingress-nginx's metrics in a registry of their own; see {@link MetricsEndpoint}. */
export class NginxMetrics extends MetricsEndpoint {
  private readonly requests: Counter<NginxLabel>;
  private readonly duration: Histogram<NginxLabel>;

  constructor() {
    super();
    const { counter, histogram } = this.series({
      labelNames: NGINX_LABELS,
      counter: {
        name: 'nginx_ingress_controller_requests',
        help: 'Client requests handled by the ingress controller.',
      },
      histogram: {
        name: 'nginx_ingress_controller_response_duration_seconds',
        help: 'Time the upstream took to answer, in seconds.',
        buckets: PROMETHEUS_DEFAULT_BUCKETS_S,
      },
    });
    this.requests = counter;
    this.duration = histogram;
  }

  record(request: ObservedRequest): void {
    const labels: Record<NginxLabel, string> = {
      controller_class: 'k8s.io/ingress-nginx',
      controller_namespace: 'ingress-nginx',
      controller_pod: 'ingress-nginx-controller-0',
      host: `${request.destinationService}.${request.namespace}`,
      ingress: request.ingress ?? '',
      method: request.method,
      namespace: request.namespace,
      path: request.path,
      service: request.destinationService,
      status: String(request.responseCode),
      canary: request.canaryUpstream ?? '',
    };
    this.requests.inc(labels);
    this.duration.observe(labels, request.durationMs / 1000);
  }
}
