/**
 * Everything the e2e tests need to play one provider's data plane for one canary: the primary and
 * canary version servers, the `/metrics` endpoint with that provider's metrics, and the mesh sending
 * traffic by the objects Fledge's router writes (see `providers.ts`). Started together, stopped
 * together, all or none.
 */
import type { Cluster } from '../../../src/kube/cluster.js';
import { apexDestinations, type MeshTarget } from './destinations.js';
import { Mesh, type HeaderClass, type MeshOptions } from './mesh.js';
import type { MetricsEndpoint } from './metrics/endpoint.js';
import {
  checkProvider,
  createFollower,
  createMetrics,
  type HarnessProvider,
  type ProviderOptions,
  versionPodLabels,
} from './providers.js';
import { startLoadTester, type LoadTester } from './load-tester.js';
import { RouteFollowerError } from './routes/follower.js';
import { MeshConfigError } from './user-classes.js';
import { startVersionServers, type VersionServer } from './versions.js';

/** Options of {@link startTrafficHarness}. */
export interface TrafficHarnessOptions {
  cluster: Cluster;
  namespace: string;
  /** The router provider played (default `istio`); see `providers.ts`. */
  provider?: HarnessProvider;
  /** The apex service, which names the routing object and the canary workload (e.g. `podinfo`). */
  apex: string;
  /** Provider settings: NGINX Ingress name and annotation prefix, SMI and HTTPRoute API versions. */
  routing?: Pick<
    ProviderOptions,
    'ingress' | 'ingressAnnotationsPrefix' | 'trafficSplitApiVersion' | 'httpRouteApiVersion'
  >;
  /** Workload names (defaults: `<apex>-primary` and `<apex>`, as Flagger names them). */
  workloads?: { primary?: string; canary?: string };
  /** Requests per second (default 50). */
  requestsPerSecond?: number;
  headerMix?: HeaderClass[];
  /**
   * Also start a load tester (`load-tester.ts`) sending to `<apex>-canary` once a webhook reaches
   * it, as Flagger's does; its answers are reported in the provider's metrics.
   */
  loadTester?: { requestsPerSecond?: number };
  /** Port of the `/metrics` endpoint (default: any free one). */
  metricsPort?: number;
  /** Further mesh options (random source, timeouts, a request hook). */
  mesh?: Pick<
    MeshOptions,
    'random' | 'requestTimeoutMs' | 'maxInFlight' | 'onRequest' | 'path' | 'sourceWorkload' | 'servicePort'
  >;
}

/** A running harness. */
export interface TrafficHarness {
  primary: VersionServer;
  canary: VersionServer;
  mesh: Mesh;
  /** The load tester, when {@link TrafficHarnessOptions.loadTester} asked for one. */
  loadTester?: LoadTester;
  provider: HarnessProvider;
  /** The provider's metrics (`IstioMetrics`, `LinkerdMetrics`, `NginxMetrics`, `HttpObserverMetrics`). */
  metrics: MetricsEndpoint;
  /** Scrape URL of the provider's metrics, e.g. `http://127.0.0.1:41234/metrics`. */
  metricsUrl: string;
  /** Stops the mesh, the load tester, the metrics endpoint and both version servers. Safe to call twice. */
  stop(): Promise<void>;
}

/**
 * Starts the version servers and the metrics endpoint, then the mesh. Options are checked before
 * anything starts; if a step fails, what was started is stopped before the error is rethrown.
 */
export async function startTrafficHarness(options: TrafficHarnessOptions): Promise<TrafficHarness> {
  const primaryWorkload = options.workloads?.primary ?? `${options.apex}-primary`;
  const canaryWorkload = options.workloads?.canary ?? options.apex;
  const provider = checkProvider(options.provider ?? 'istio');
  const follower = (): ReturnType<typeof createFollower> => {
    try {
      return createFollower(provider, {
        ...options.routing,
        cluster: options.cluster,
        namespace: options.namespace,
        apex: options.apex,
        workloads: { primary: primaryWorkload, canary: canaryWorkload },
      });
    } catch (error) {
      if (error instanceof RouteFollowerError) throw new MeshConfigError(error.message, { cause: error });
      throw error;
    }
  };
  const meshOptions = (primary: MeshTarget, canary: MeshTarget): MeshOptions => ({
    ...options.mesh,
    cluster: options.cluster,
    namespace: options.namespace,
    follower: follower(),
    destinations: apexDestinations(options.apex, { primary, canary }),
    ...(options.requestsPerSecond !== undefined ? { requestsPerSecond: options.requestsPerSecond } : {}),
    ...(options.headerMix ? { headerMix: options.headerMix } : {}),
  });
  // Fails fast on bad options, before any process starts.
  const placeholder = { url: 'http://127.0.0.1:1', workload: 'placeholder' };
  new Mesh(meshOptions(placeholder, placeholder));

  const metrics = createMetrics(provider);
  let servers: VersionServer[] = [];
  let mesh: Mesh | undefined;
  let loadTester: LoadTester | undefined;
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    await Promise.all([mesh?.stop(), loadTester?.stop()]);
    await Promise.all([metrics.stop(), ...servers.map((s) => s.stop())]);
  };
  try {
    servers = await startVersionServers([primaryWorkload, canaryWorkload]);
    const [primary, canary] = servers as [VersionServer, VersionServer];
    const metricsUrl = await metrics.listen(options.metricsPort ?? 0);
    mesh = new Mesh({ ...meshOptions(primary, canary), metrics });
    mesh.start();
    if (options.loadTester) {
      loadTester = await startLoadTester({
        cluster: options.cluster,
        namespace: options.namespace,
        service: `${options.apex}-canary`,
        podLabels: versionPodLabels(options.apex, { primary: primaryWorkload, canary: canaryWorkload }),
        destinations: apexDestinations(options.apex, { primary, canary }),
        metrics,
        ...options.loadTester,
      });
    }
    return {
      primary,
      canary,
      mesh,
      ...(loadTester ? { loadTester } : {}),
      provider,
      metrics,
      metricsUrl,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
