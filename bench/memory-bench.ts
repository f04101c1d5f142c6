/**
 * Controller overhead on the in-memory cluster: N canaries progressing at once with simulated
 * metrics, driven by the controller core `fledge controller` runs (createCore, InProcessScheduler).
 * Runs in the calling process; `main.ts` runs it in a child process per N so that CPU and peak RSS
 * are that N's alone.
 */
import type { EventMode } from '../src/controller/event-recorder.js';
import { SimulatedProvider } from '../analysis/providers/simulated.js';
import { createCore } from '../src/cli/wiring.js';
import { DeploymentSimulator } from '../src/kube/memory/deployment-simulator.js';
import { MemoryCluster } from '../src/kube/memory/memory-cluster.js';
import { API, objectKey } from '../src/kube/resources.js';
import { InProcessScheduler } from '../src/scheduler/in-process-scheduler.js';
import { BenchTraffic } from './bench-traffic.js';
import { CountingCluster, WRITE_VERBS, sumByVerbs } from './counting-cluster.js';
import { InstrumentedProvider, type ProviderCounts } from './instrumented-provider.js';
import {
  BENCH_METRICS,
  NEW_IMAGE,
  STABLE_IMAGE,
  appName,
  benchCanary,
  benchDeployment,
  imagePatch,
} from './manifests.js';
import { ratio } from './stats.js';
import { benchLogger, describePhases, goDuration, waitUntil } from './support.js';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  TickRecorder,
  analysing,
  settledInitialized,
  type CanaryProgress,
  type WindowFigures,
} from './tick-recorder.js';
import { WindowProfiler } from './window-profiler.js';

/** The namespace the in-memory applications live in. */
export const MEMORY_NAMESPACE = 'bench';

export interface MemoryBenchOptions {
  canaries: number;
  /** `analysis.interval` of every canary. */
  intervalMs: number;
  /** Length of the measured window. */
  durationMs: number;
  /** Simulated Prometheus response time. */
  queryLatencyMs: number;
  /** Image changes are spread evenly over this time (0: all at once). */
  releaseSpreadMs: number;
  /** Time allowed without a canary more initialised, then starting to progress. */
  warmupTimeoutMs: number;
  logLevel: string;
  /** The controller's `--events`. */
  events: EventMode;
  /** The controller's `--scheduler-concurrency`. */
  schedulerConcurrency: number;
  /** Controller logs go here; none when undefined. */
  logFile: string | undefined;
  /** A CPU profile of the measured window goes here; none when undefined. */
  profileFile?: string | undefined;
}

/** What one in-memory run measured. */
export interface MemoryBenchFigures {
  canaries: number;
  intervalMs: number;
  /** Ticks per second if every canary ticked exactly once per interval. */
  expectedTicksPerSecond: number;
  warmupSeconds: number;
  window: WindowFigures;
  /** The controller's requests to the in-memory cluster during the window, `${verb} ${kind}`. */
  requests: Record<string, number>;
  writes: number;
  writesPerWeightStep: number | undefined;
  /** Ticks run at once, at most (`--scheduler-concurrency`). */
  schedulerConcurrency: number;
  /** Of those, Event creations. */
  eventWritesPerWeightStep: number | undefined;
  queries: ProviderCounts;
  /** Queries per metric per tick that ended Progressing (each such tick runs the analysis). */
  queriesPerMetricPerProgressingTick: number | undefined;
}

/** Runs one in-memory measurement. */
export async function runMemoryBench(o: MemoryBenchOptions): Promise<MemoryBenchFigures> {
  const warmupStarted = Date.now();
  const now = () => new Date();
  const memory = new MemoryCluster({ now });
  const cluster = new CountingCluster(memory, { discardCreatesOf: ['Event'] });
  const traffic = new BenchTraffic();
  const provider = new InstrumentedProvider({
    inner: new SimulatedProvider({ traffic }),
    latencyMs: o.queryLatencyMs,
  });
  const scheduler = new InProcessScheduler({ concurrency: o.schedulerConcurrency });
  const recorder = new TickRecorder({ scheduler, queriesOf: (ns, name) => provider.queriesFor(ns, name) });
  const logger = benchLogger(o.logLevel, o.logFile);
  const deployments = new DeploymentSimulator({ cluster: memory, now });
  const shape = {
    interval: goDuration(o.intervalMs),
    stepWeight: 1,
    maxWeight: 100,
    threshold: 5,
    metrics: BENCH_METRICS,
  };
  const names = Array.from({ length: o.canaries }, (_, i) => appName(i));
  for (const name of names) {
    await memory.create(benchDeployment(MEMORY_NAMESPACE, name, STABLE_IMAGE));
    await memory.create(benchCanary(MEMORY_NAMESPACE, name, shape));
  }
  const { watcher } = createCore({
    cluster,
    scheduler,
    logger,
    now,
    resolve: {
      defaultProvider: 'istio',
      defaultMetricsServer: 'simulated://bench',
      minIntervalMs: o.intervalMs,
    },
    providerFor: () => provider,
    instance: 'bench',
    events: o.events,
    onTick: recorder.observe,
  });
  deployments.start();
  watcher.start();
  try {
    const progress = () => [...recorder.snapshot().values()];
    const describe = () => describePhases(progress().map((p) => p.phase));
    const all = (test: (p: CanaryProgress) => boolean) => () => {
      const seen = progress();
      return seen.length === o.canaries && seen.every(test);
    };
    const count = (test: (p: CanaryProgress) => boolean) => () => progress().filter(test).length;
    await waitUntil('every canary to be Initialized', all(settledInitialized), {
      timeoutMs: o.warmupTimeoutMs,
      describe,
      progress: count(settledInitialized),
    });
    const gapMs = o.canaries > 1 ? o.releaseSpreadMs / (o.canaries - 1) : 0;
    const releaseStarted = Date.now();
    for (const [i, name] of names.entries()) {
      const waitMs = releaseStarted + i * gapMs - Date.now();
      if (waitMs > 0) await sleep(waitMs);
      await memory.patch(objectKey(API.deployment, MEMORY_NAMESPACE, name), imagePatch(NEW_IMAGE));
    }
    await waitUntil('every canary to run its metric checks', all(analysing), {
      timeoutMs: o.warmupTimeoutMs,
      describe,
      progress: count(analysing),
    });
    const warmupSeconds = (Date.now() - warmupStarted) / 1000;

    // Both ends of the window wait (up to an interval, at most 3 s) for a moment when no tick runs, and take the
    // counters right then, so the requests counted belong to the ticks counted.
    const quietWithinMs = Math.min(o.intervalMs, 3_000);
    await recorder.open({
      quietWithinMs,
      atBoundary: () => {
        cluster.reset();
        provider.reset();
      },
    });
    const profiler = new WindowProfiler();
    if (o.profileFile) await profiler.start();
    await sleep(o.durationMs);
    if (o.profileFile) await profiler.stop(o.profileFile);
    let requests: Record<string, number> = {};
    let queries = provider.counts();
    const window = await recorder.close({
      quietWithinMs,
      atBoundary: () => {
        requests = { ...cluster.requests };
        queries = provider.counts();
      },
    });
    const writes = sumByVerbs(requests, WRITE_VERBS);
    return {
      canaries: o.canaries,
      intervalMs: o.intervalMs,
      expectedTicksPerSecond: o.canaries / (o.intervalMs / 1000),
      warmupSeconds,
      window,
      requests,
      writes,
      writesPerWeightStep: ratio(writes, window.weightSteps),
      schedulerConcurrency: o.schedulerConcurrency,
      eventWritesPerWeightStep: ratio(requests['POST Event'] ?? 0, window.weightSteps),
      queries,
      queriesPerMetricPerProgressingTick: ratio(
        window.analysisQueries,
        window.analysisTicks * BENCH_METRICS.length,
      ),
    };
  } finally {
    await watcher.stop();
    deployments.stop();
    logger.flush?.();
  }
}
