/**
 * What every metrics exporter of the harness shares: one request as the data plane saw it, and a
 * dedicated prom-client Registry served at `/metrics` on a loopback port for Prometheus to scrape
 * (nothing else of the test process leaks into the scrape). Each provider's exporter (one file each
 * beside this one) defines its series with the names and labels its builtin queries select on.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, Histogram, Registry } from 'prom-client';

/** Prometheus' default histogram buckets, in seconds (client_golang's `DefBuckets`). */
export const PROMETHEUS_DEFAULT_BUCKETS_S: readonly number[] = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

/** One request as the data plane reports it. */
export interface ObservedRequest {
  /** Workload that sent it (the load generator, `loadtester` by default). */
  sourceWorkload: string;
  /** Namespace of the canary (source and destination alike). */
  namespace: string;
  /** Workload that answered, e.g. `podinfo-primary`. */
  destinationWorkload: string;
  /** Pod that answered, e.g. `podinfo-primary-6b9c5d8f7d-x2k4p`. */
  destinationPod: string;
  /** Short service name the request was routed to, e.g. `podinfo-canary`. */
  destinationService: string;
  /** Port of that service. */
  destinationPort: number;
  method: string;
  path: string;
  responseCode: number;
  /** Envoy response flags: `-` for none, `UF` connection failure, `UT` upstream timeout. */
  responseFlags: string;
  /** Time the answer took at the destination, in ms. */
  durationMs: number;
  /** NGINX: the Ingress that took it. */
  ingress?: string;
  /** NGINX: the canary upstream, when the canary Ingress took it. */
  canaryUpstream?: string;
}

/** Records requests as one provider's metrics. */
export interface MetricsExporter {
  record(request: ObservedRequest): void;
}

/** Registry and, once {@link MetricsEndpoint.listen} is called, the `/metrics` server. */
export abstract class MetricsEndpoint implements MetricsExporter {
  /** Dedicated registry: nothing else of the test process leaks into the scrape. */
  readonly registry = new Registry();
  private server: Server | undefined;
  private snapshotText = '';
  private snapshotTimer: NodeJS.Timeout | undefined;

  abstract record(request: ObservedRequest): void;

  /** A counter and a histogram with the same labels, in this endpoint's registry. */
  protected series<L extends string>(spec: {
    labelNames: readonly L[];
    counter: { name: string; help: string };
    histogram: { name: string; help: string; buckets: readonly number[] };
  }): { counter: Counter<L>; histogram: Histogram<L> } {
    const registers = [this.registry];
    const counter = new Counter({ ...spec.counter, labelNames: spec.labelNames, registers });
    const histogram = new Histogram({
      ...spec.histogram,
      buckets: [...spec.histogram.buckets],
      labelNames: spec.labelNames,
      registers,
    });
    return { counter, histogram };
  }

  /** The exposition text, as served at `/metrics`. */
  metrics(): Promise<string> {
    return this.registry.metrics();
  }

  /**
   * A synchronous view of the metrics, refreshed every `refreshMs` (default 100) until
   * {@link MetricsEndpoint.stop}: for scrape targets that want text at once, such as the feed of
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
    if (this.server) throw new Error(`${this.constructor.name}: already listening`);
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
