/**
 * Istio's standard request metrics, as the destination sidecars would report them, for the
 * requests the harness mesh sends: `istio_requests_total` and `istio_request_duration_milliseconds`
 * with Istio's labels and default buckets, in a dedicated prom-client Registry, served at
 * `/metrics` on a loopback port for Prometheus to scrape. Fledge's builtin Istio queries run on them
 * unmodified.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, Histogram, Registry } from 'prom-client';

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

/** One request as the destination proxy saw it. */
export interface IstioRequest {
  sourceWorkload: string;
  sourceNamespace: string;
  destinationWorkload: string;
  destinationNamespace: string;
  /** Short service name the request was routed to, e.g. `podinfo-canary` (or `podinfo` with subsets). */
  destinationServiceName: string;
  responseCode: number;
  /** Envoy response flags: `-` for none, `UF` connection failure, `UT` upstream timeout. */
  responseFlags?: string;
  durationMs: number;
}

/** Registry and, once {@link IstioMetrics.listen} is called, the `/metrics` server. */
export class IstioMetrics {
  /** Dedicated registry: nothing else of the test process leaks into the scrape. */
  readonly registry = new Registry();
  private readonly requests: Counter<IstioLabel>;
  private readonly duration: Histogram<IstioLabel>;
  private server: Server | undefined;
  private snapshotText = '';
  private snapshotTimer: NodeJS.Timeout | undefined;

  constructor() {
    this.requests = new Counter({
      name: 'istio_requests_total',
      help: 'Requests seen by the destination proxy.',
      labelNames: ISTIO_LABELS,
      registers: [this.registry],
    });
    this.duration = new Histogram({
      name: 'istio_request_duration_milliseconds',
      help: 'Request durations seen by the destination proxy, in milliseconds.',
      labelNames: ISTIO_LABELS,
      buckets: [...ISTIO_DURATION_BUCKETS_MS],
      registers: [this.registry],
    });
  }

  /** Counts one request and observes its duration. */
  record(request: IstioRequest): void {
    const service = request.destinationServiceName;
    const labels: Record<IstioLabel, string> = {
      reporter: 'destination',
      source_workload: request.sourceWorkload,
      source_workload_namespace: request.sourceNamespace,
      source_canonical_service: request.sourceWorkload,
      destination_workload: request.destinationWorkload,
      destination_workload_namespace: request.destinationNamespace,
      destination_canonical_service: request.destinationWorkload,
      destination_service: `${service}.${request.destinationNamespace}.svc.cluster.local`,
      destination_service_name: service,
      destination_service_namespace: request.destinationNamespace,
      request_protocol: 'http',
      response_code: String(request.responseCode),
      response_flags: request.responseFlags ?? '-',
      connection_security_policy: 'mutual_tls',
    };
    this.requests.inc(labels);
    this.duration.observe(labels, request.durationMs);
  }

  /** The exposition text, as served at `/metrics`. */
  metrics(): Promise<string> {
    return this.registry.metrics();
  }

  /**
   * A synchronous view of the metrics, refreshed every `refreshMs` (default 100) until
   * {@link IstioMetrics.stop}: for scrape targets that want text at once, such as the feed of
   * `test/support/prometheus.ts` (prom-client only renders asynchronously).
   */
  snapshotFeed(refreshMs = 100): () => string {
    if (!this.snapshotTimer) {
      const refresh = (): void => {
        this.registry.metrics().then(
          (text) => (this.snapshotText = text),
          () => undefined,
        );
      };
      refresh();
      this.snapshotTimer = setInterval(refresh, refreshMs);
      this.snapshotTimer.unref();
    }
    return () => this.snapshotText;
  }

  /** Serves `/metrics` on a loopback port (0: any free one); resolves to the scrape URL. */
  async listen(port = 0): Promise<string> {
    if (this.server) throw new Error('IstioMetrics: already listening');
    const server = createServer((req, res) => {
      if (req.method === 'GET' && req.url?.split('?')[0] === '/metrics') {
        this.registry.metrics().then(
          (text) => {
            res.writeHead(200, { 'content-type': this.registry.contentType });
            res.end(text);
          },
          (error: unknown) => {
            res.writeHead(500, { 'content-type': 'text/plain' });
            res.end(String(error));
          },
        );
      } else {
        res.writeHead(404).end();
      }
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    this.server = server;
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`;
  }

  /** Closes the server and stops the snapshot refresh. Safe to call twice. */
  async stop(): Promise<void> {
    if (this.snapshotTimer) clearInterval(this.snapshotTimer);
    this.snapshotTimer = undefined;
    const server = this.server;
    this.server = undefined;
    if (server?.listening) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  }
}
