/**
 * Flagger's load tester, as a scenario without user traffic on the canary needs it (blue/green
 * with `provider: kubernetes`, where the apex Service never selects the canary's pods): an HTTP
 * endpoint that receives the Canary's webhooks (Flagger's payload; the `cmd` metadata Flagger's
 * tutorials send is accepted, not run) and, on the first call, starts sending requests to the canary
 * Service `<apex>-canary`. That Service is followed like the apex one (`routes/kubernetes.ts`), so
 * requests go to the pods its selector, as Fledge's router wrote it, picks. The answers are reported
 * to the harness's metrics exporter, as the canary's own pods would be scraped.
 *
 * flagger-loadtester does not start a command again while a copy of it runs (`hey -z 1m` runs for a
 * minute whatever the calls in that minute): here the load, once started, runs until the harness
 * stops, and later calls change nothing.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Cluster } from '../../../src/kube/cluster.js';
import type { DestinationMap } from './destinations.js';
import { Mesh } from './mesh.js';
import type { MetricsExporter } from './metrics/endpoint.js';
import { KubernetesFollower, type PodLabels } from './routes/kubernetes.js';

/** The workload reported as the requests' source, as Flagger's load tester Deployment is named. */
export const LOAD_TESTER_WORKLOAD = 'flagger-loadtester';

/** Options of {@link startLoadTester}. */
export interface LoadTesterOptions {
  cluster: Cluster;
  namespace: string;
  /** The canary Service the load goes to, e.g. `podinfo-canary`. */
  service: string;
  /** Pod labels of each version, by destination key (the canary Service picks by its selector). */
  podLabels: PodLabels;
  destinations: DestinationMap;
  metrics: MetricsExporter;
  /** Requests per second once started (default 20). */
  requestsPerSecond?: number;
}

/** A running load tester. */
export interface LoadTester {
  /** Where the Canary's webhooks are sent, e.g. `http://127.0.0.1:41234/`. */
  url: string;
  /** The load generator; its traffic record holds only the load tester's requests (class `other`). */
  mesh: Mesh;
  /** Webhook calls received. */
  readonly calls: number;
  /** Whether the first call has started the load. */
  readonly started: boolean;
  /** Stops the load and the endpoint. Safe to call twice. */
  stop(): Promise<void>;
}

/** Starts the webhook endpoint on a loopback port; the load starts with the first call. */
export async function startLoadTester(o: LoadTesterOptions): Promise<LoadTester> {
  const mesh = new Mesh({
    cluster: o.cluster,
    namespace: o.namespace,
    follower: new KubernetesFollower(o.cluster, o.namespace, o.service, o.podLabels),
    destinations: o.destinations,
    metrics: o.metrics,
    sourceWorkload: LOAD_TESTER_WORKLOAD,
    requestsPerSecond: o.requestsPerSecond ?? 20,
  });
  let calls = 0;
  let started = false;
  let stopped = false;
  const server: Server = createServer((req, res) => {
    req.resume();
    req.once('end', () => {
      calls += 1;
      if (!started && !stopped) {
        started = true;
        mesh.start();
      }
      res.writeHead(200, { 'content-type': 'text/plain' }).end('OK');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    mesh,
    get calls() {
      return calls;
    },
    get started() {
      return started;
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await mesh.stop();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
