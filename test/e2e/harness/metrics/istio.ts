/**
 * Istio's standard request metrics, as the destination sidecars would report them:
 * `istio_requests_total` and `istio_request_duration_milliseconds` with Istio's labels and default
 * buckets. Fledge's builtin Istio queries run on them unmodified.
 */
import type { Counter, Histogram } from 'prom-client';
import { MetricsEndpoint, type ObservedRequest } from './endpoint.js';

/** Istio's default buckets for `istio_request_duration_milliseconds`. */
export const ISTIO_DURATION_BUCKETS_MS: readonly number[] = [
  0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 600000, 1800000,
  3600000,
];

/** The labels Istio's standard metrics carry that the harness fills in. */
export const ISTIO_LABELS = [
  'reporter',
  'source_workload',
  'source_workload_namespace',
  'source_canonical_service',
  'destination_workload',
  'destination_workload_namespace',
  'destination_canonical_service',
  'destination_service',
  'destination_service_name',
  'destination_service_namespace',
  'request_protocol',
  'response_code',
  'response_flags',
  'connection_security_policy',
] as const;

type IstioLabel = (typeof ISTIO_LABELS)[number];

/** Istio's metrics in a registry of their own; see {@link MetricsEndpoint}. */
export class IstioMetrics extends MetricsEndpoint {
  private readonly requests: Counter<IstioLabel>;
  private readonly duration: Histogram<IstioLabel>;

  constructor() {
    super();
    const { counter, histogram } = this.series({
      labelNames: ISTIO_LABELS,
      counter: { name: 'istio_requests_total', help: 'Requests seen by the destination proxy.' },
      histogram: {
        name: 'istio_request_duration_milliseconds',
        help: 'Request durations seen by the destination proxy, in milliseconds.',
        buckets: ISTIO_DURATION_BUCKETS_MS,
      },
    });
    this.requests = counter;
    this.duration = histogram;
  }

  /** Counts one request and observes its duration. */
  record(request: ObservedRequest): void {
    const service = request.destinationService;
    const ns = request.namespace;
    const labels: Record<IstioLabel, string> = {
      reporter: 'destination',
      source_workload: request.sourceWorkload,
      source_workload_namespace: ns,
      source_canonical_service: request.sourceWorkload,
      destination_workload: request.destinationWorkload,
      destination_workload_namespace: ns,
      destination_canonical_service: request.destinationWorkload,
      destination_service: `${service}.${ns}.svc.cluster.local`,
      destination_service_name: service,
      destination_service_namespace: ns,
      request_protocol: 'http',
      response_code: String(request.responseCode),
      response_flags: request.responseFlags,
      connection_security_policy: 'mutual_tls',
    };
    this.requests.inc(labels);
    this.duration.observe(labels, request.durationMs);
  }
}
