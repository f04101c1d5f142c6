/**
 * Linkerd's proxy metrics, as the inbound side of the destination pod's proxy reports them:
 * `response_total` and `response_latency_ms` (Linkerd's buckets) with `direction="inbound"`,
 * `namespace`, `deployment`, `pod`, `status_code` and `classification` (`failure` for a 5xx, as
 * Linkerd classifies HTTP answers). Fledge's builtin Linkerd queries run on them unmodified.
 */
import type { Counter, Histogram } from 'prom-client';
import { MetricsEndpoint, type ObservedRequest } from './endpoint.js';

/** The proxy's buckets for `response_latency_ms`. */
export const LINKERD_LATENCY_BUCKETS_MS: readonly number[] = [
  1, 2, 3, 4, 5, 10, 20, 30, 40, 50, 100, 200, 300, 400, 500, 1000, 2000, 3000, 4000, 5000, 10000, 20000,
  30000, 40000, 50000,
];

const LINKERD_LABELS = [
  'direction',
  'authority',
  'target_addr',
  'tls',
  'namespace',
  'deployment',
  'pod',
  'status_code',
  'classification',
] as const;

type LinkerdLabel = (typeof LINKERD_LABELS)[number];

/** Linkerd's metrics in a registry of their own; see {@link MetricsEndpoint}. */
export class LinkerdMetrics extends MetricsEndpoint {
  private readonly responses: Counter<LinkerdLabel>;
  private readonly latency: Histogram<LinkerdLabel>;

  constructor() {
    super();
    const { counter, histogram } = this.series({
      labelNames: LINKERD_LABELS,
      counter: { name: 'response_total', help: 'Responses seen by the inbound proxy.' },
      histogram: {
        name: 'response_latency_ms',
        help: 'Response latencies seen by the inbound proxy, in milliseconds.',
        buckets: LINKERD_LATENCY_BUCKETS_MS,
      },
    });
    this.responses = counter;
    this.latency = histogram;
  }

  record(request: ObservedRequest): void {
    const labels: Record<LinkerdLabel, string> = {
      direction: 'inbound',
      authority: `${request.destinationService}.${request.namespace}.svc.cluster.local:${request.destinationPort}`,
      target_addr: `127.0.0.1:${request.destinationPort}`,
      tls: 'true',
      namespace: request.namespace,
      deployment: request.destinationWorkload,
      pod: request.destinationPod,
      status_code: String(request.responseCode),
      classification: request.responseCode >= 500 ? 'failure' : 'success',
    };
    this.responses.inc(labels);
    this.latency.observe(labels, request.durationMs);
  }
}
