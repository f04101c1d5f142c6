/**
 * The controller under measurement against a real API server: the core `fledge controller` runs
 * (createCore over a ClientNodeCluster with informer-backed reads, BullMQ or in-process scheduling), with the
 * simulated metrics provider in place of Prometheus. Lives in a benchmark child process; the parent
 * drives it through {@link serveRealController}'s calls.
 */
import type { EventMode } from '../src/controller/event-recorder.js';
import { SimulatedProvider } from '../analysis/providers/simulated.js';
import { createCore } from '../src/cli/wiring.js';
import type { CanaryWatcher } from '../src/controller/canary-watcher.js';
import { ClientNodeCluster } from '../src/kube/client/client-node-cluster.js';
import type { KubeCredentials } from '../src/kube/client/credentials.js';
import { loadCredentials } from '../src/kube/client/load-credentials.js';
import { API } from '../src/kube/resources.js';
import { InProcessScheduler } from '../src/scheduler/in-process-scheduler.js';
import type { Scheduler } from '../src/scheduler/scheduler.js';
import type { InClusterIdentity } from './service-account.js';
import { BenchTraffic } from './bench-traffic.js';
import { InstrumentedProvider, type ProviderCounts } from './instrumented-provider.js';
import { diffCounts } from './stats.js';
import { benchLogger } from './support.js';
import { TickRecorder, type CanaryProgress, type WindowFigures } from './tick-recorder.js';
import { WindowProfiler } from './window-profiler.js';

export interface RealControllerOptions {
  /** The controller's in-cluster identity, as the chart gives it ({@link prepareServiceAccount}). */
  inCluster: InClusterIdentity;
  /** Watch Canaries in this namespace only (`--namespace`). */
  namespace: string;
  kubeQps: number;
  kubeBurst: number;
  /** `--min-interval`. */
  minIntervalMs: number;
  queryLatencyMs: number;
  logLevel: string;
  logFile: string | undefined;
  scheduler: BenchScheduler;
  /** The controller's `--events`. */
  events: EventMode;
}

/**
 * How the controller under measurement schedules its ticks: in this process, or through BullMQ
 * on a Redis as `fledge controller --redis-url` does (a `prefix` of the run's own keeps runs apart).
 */
export type BenchScheduler =
  | { kind: 'in-process'; concurrency: number }
  | { kind: 'bullmq'; redisUrl: string; concurrency: number; prefix: string };

/** bullmq is loaded only when used, as `fledge controller` does, so that it does not count in RSS otherwise. */
async function createScheduler(choice: BenchScheduler): Promise<Scheduler> {
  if (choice.kind === 'in-process') return new InProcessScheduler({ concurrency: choice.concurrency });
  const { BullMqScheduler } = await import('../src/scheduler/bullmq-scheduler.js');
  return new BullMqScheduler({
    connection: { url: choice.redisUrl },
    concurrency: choice.concurrency,
    prefix: choice.prefix,
  });
}

/**
 * A measured window, as seen from inside the controller's process. The API server's own counters
 * are read by the parent, right after the window opens and closes: read here, the several MB of
 * the server's `/metrics` would be charged to the controller's RSS (12 MB at 100 canaries).
 */
export interface ControllerWindow {
  figures: WindowFigures;
  /** The adapter's own request counters over the window (`${verb} ${resource}`): a cross-check only. */
  fledgeCountedRequests: Record<string, number>;
  queries: ProviderCounts;
}

/** How the parent opens and closes a window. */
export interface WindowParams {
  /** Write a CPU profile of the window here. */
  profileFile: string | undefined;
}

/** `namespace/target` of each canary whose success-rate check first failed after errors were injected, with when. */
export type FailedCheckTimes = Record<string, number>;

/** Longest wait for a moment with no tick running at either end of a window. */
const QUIET_WAIT_MAX_MS = 3_000;

/** Success rate below this fails the benchmark canaries' check (their `thresholdRange.min`). */
const SUCCESS_RATE_MIN = 99;

export class RealController {
  private readonly cluster: ClientNodeCluster;
  private readonly traffic = new BenchTraffic();
  private readonly provider: InstrumentedProvider;
  private readonly recorder: TickRecorder;
  private readonly watcher: CanaryWatcher;
  private readonly failedChecks: FailedCheckTimes = {};
  private errorsInjected = false;
  private requestsAtOpen: Record<string, number> = {};
  private readonly profiler = new WindowProfiler();

  /** Loads the in-cluster credentials as `fledge controller` does in a pod, then builds the controller. */
  static async create(o: RealControllerOptions): Promise<RealController> {
    const credentials = await loadCredentials({
      env: o.inCluster.env,
      inClusterPathPrefix: o.inCluster.pathPrefix,
    });
    return new RealController(o, credentials, await createScheduler(o.scheduler));
  }

  private constructor(
    private readonly o: RealControllerOptions,
    credentials: KubeCredentials,
    scheduler: Scheduler,
  ) {
    this.cluster = new ClientNodeCluster({
      credentials,
      qps: o.kubeQps,
      burst: o.kubeBurst,
    });
    this.provider = new InstrumentedProvider({
      inner: new SimulatedProvider({ traffic: this.traffic }),
      latencyMs: o.queryLatencyMs,
      onResult: (query, value, atMs) => {
        if (!this.errorsInjected || query.metric !== 'request-success-rate') return;
        const key = `${query.namespace}/${query.target}`;
        if (value !== undefined && value < SUCCESS_RATE_MIN && this.failedChecks[key] === undefined)
          this.failedChecks[key] = atMs;
      },
    });
    this.recorder = new TickRecorder({
      scheduler,
      queriesOf: (namespace, name) => this.provider.queriesFor(namespace, name),
    });
    const now = () => new Date();
    this.watcher = createCore({
      cluster: this.cluster,
      scheduler,
      logger: benchLogger(o.logLevel, o.logFile),
      now,
      resolve: {
        defaultProvider: 'istio',
        defaultMetricsServer: 'simulated://bench',
        minIntervalMs: o.minIntervalMs,
      },
      providerFor: () => this.provider,
      instance: 'bench',
      namespace: o.namespace,
      events: o.events,
      onTick: this.recorder.observe,
    }).watcher;
  }

  /** As `fledge controller` starts: sync the Canary informer, then watch and tick. */
  async start(): Promise<void> {
    await this.cluster.list({ ...API.canary, namespace: this.o.namespace });
    this.watcher.start();
  }

  /** Opens a window at a moment when no tick runs (waiting up to an interval). */
  async open({ profileFile }: WindowParams): Promise<void> {
    await this.recorder.open({
      quietWithinMs: Math.min(this.o.minIntervalMs, QUIET_WAIT_MAX_MS),
      atBoundary: async () => {
        this.requestsAtOpen = { ...this.cluster.requests };
        this.provider.reset();
      },
    });
    if (profileFile) await this.profiler.start();
  }

  /** Closes the window as {@link open} opened it. */
  async close({ profileFile }: WindowParams): Promise<ControllerWindow> {
    if (profileFile) await this.profiler.stop(profileFile);
    let fledgeCountedRequests: Record<string, number> = {};
    let queries = this.provider.counts();
    const figures = await this.recorder.close({
      quietWithinMs: Math.min(this.o.minIntervalMs, QUIET_WAIT_MAX_MS),
      atBoundary: async () => {
        fledgeCountedRequests = diffCounts(this.requestsAtOpen, this.cluster.requests);
        queries = this.provider.counts();
      },
    });
    return { figures, fledgeCountedRequests, queries };
  }

  /** Every workload answers with `errorRatePercent` errors from now on. */
  injectErrors(errorRatePercent: number): { atMs: number } {
    this.errorsInjected = true;
    this.traffic.setErrorRate(errorRatePercent);
    return { atMs: Date.now() };
  }

  /** Where each canary stood after its last completed tick. */
  progress(): CanaryProgress[] {
    return [...this.recorder.snapshot().values()];
  }

  failedCheckTimes(): FailedCheckTimes {
    return { ...this.failedChecks };
  }

  async stop(): Promise<void> {
    await this.watcher.stop();
    this.cluster.stop();
  }
}
