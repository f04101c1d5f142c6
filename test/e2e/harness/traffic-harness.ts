/**
 * Everything the e2e tests need to play Istio's data plane for one canary: the primary and canary
 * version servers, the `/metrics` endpoint with Istio's metrics, and the mesh sending traffic by
 * the VirtualService Fledge writes. Started together, stopped together, all or none.
 */
import type { Cluster } from '../../../src/kube/cluster.js';
import { apexDestinations, type MeshTarget } from './destinations.js';
import { IstioMetrics } from './istio-metrics.js';
import { Mesh, type HeaderClass, type MeshOptions } from './mesh.js';
import { startVersionServers, type VersionServer } from './versions.js';

/** Options of {@link startTrafficHarness}. */
export interface TrafficHarnessOptions {
  cluster: Cluster;
  namespace: string;
  /** The apex service, which names the VirtualService and the canary workload (e.g. `podinfo`). */
  apex: string;
  /** Workload names (defaults: `<apex>-primary` and `<apex>`, as Flagger names them). */
  workloads?: { primary?: string; canary?: string };
  /** Requests per second (default 50). */
  requestsPerSecond?: number;
  headerMix?: HeaderClass[];
  /** Port of the `/metrics` endpoint (default: any free one). */
  metricsPort?: number;
  /** Further mesh options (random source, timeouts, a request hook). */
  mesh?: Pick<
    MeshOptions,
    'random' | 'requestTimeoutMs' | 'maxInFlight' | 'onRequest' | 'path' | 'sourceWorkload'
  >;
}

/** A running harness. */
export interface TrafficHarness {
  primary: VersionServer;
  canary: VersionServer;
  mesh: Mesh;
  metrics: IstioMetrics;
  /** Scrape URL of Istio's metrics, e.g. `http://127.0.0.1:41234/metrics`. */
  metricsUrl: string;
  /** Stops the mesh, the metrics endpoint and both version servers. Safe to call twice. */
  stop(): Promise<void>;
}

/**
 * Starts the version servers and the metrics endpoint, then the mesh. Options are checked before
 * anything starts; if a step fails, what was started is stopped before the error is rethrown.
 */
export async function startTrafficHarness(options: TrafficHarnessOptions): Promise<TrafficHarness> {
  const primaryWorkload = options.workloads?.primary ?? `${options.apex}-primary`;
  const canaryWorkload = options.workloads?.canary ?? options.apex;
  const meshOptions = (primary: MeshTarget, canary: MeshTarget): MeshOptions => ({
    ...options.mesh,
    cluster: options.cluster,
    namespace: options.namespace,
    virtualService: options.apex,
    destinations: apexDestinations(options.apex, { primary, canary }),
    ...(options.requestsPerSecond !== undefined ? { requestsPerSecond: options.requestsPerSecond } : {}),
    ...(options.headerMix ? { headerMix: options.headerMix } : {}),
  });
  // Fails fast on bad options, before any process starts.
  const placeholder = { url: 'http://127.0.0.1:1', workload: 'placeholder' };
  new Mesh(meshOptions(placeholder, placeholder));

  const metrics = new IstioMetrics();
  let servers: VersionServer[] = [];
  let mesh: Mesh | undefined;
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    await mesh?.stop();
    await Promise.all([metrics.stop(), ...servers.map((s) => s.stop())]);
  };
  try {
    servers = await startVersionServers([primaryWorkload, canaryWorkload]);
    const [primary, canary] = servers as [VersionServer, VersionServer];
    const metricsUrl = await metrics.listen(options.metricsPort ?? 0);
    mesh = new Mesh({ ...meshOptions(primary, canary), metrics });
    mesh.start();
    return { primary, canary, mesh, metrics, metricsUrl, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
