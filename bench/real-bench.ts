/**
 * The real stack: N canaries against the local control plane's kube-apiserver, driven by the
 * controller core over the client-node adapter in a child process, with simulated metrics. Two
 * windows are measured: idle (every canary Initialized, nothing to change) and progressing (every
 * canary stepping its weight each interval). API requests are read from the server's own
 * `apiserver_request_total`, before and after each window.
 */
import { join } from 'node:path';
import { readRequestTotals, type ApiServerAccess } from './apiserver-metrics.js';
import type { BenchChild } from './child-rpc.js';
import { READ_VERBS, WRITE_VERBS, sumByVerbs, verbOf } from './counting-cluster.js';
import {
  createFleetRun,
  releaseAndWaitForProgress,
  startController,
  type FleetRunOptions,
  type RealBenchContext,
} from './fleet-run.js';
import type { ProviderCounts } from './instrumented-provider.js';
import { BENCH_METRICS } from './manifests.js';
import type { BenchScheduler, ControllerWindow, WindowParams } from './real-controller.js';
import { diffCounts, ratio } from './stats.js';
import { goDuration, waitUntil } from './support.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { analysing, settledInitialized, type CanaryProgress, type WindowFigures } from './tick-recorder.js';

/** Resources Fledge reads or writes; other rows of the server's counters belong to other clients. */
export const FLEDGE_RESOURCES = [
  'canaries.fledge.dev',
  'canaries.fledge.dev/status',
  'metrictemplates.fledge.dev',
  'alertproviders.fledge.dev',
  'virtualservices.networking.istio.io',
  'destinationrules.networking.istio.io',
  'deployments.apps',
  'services',
  'configmaps',
  'secrets',
  'events.events.k8s.io',
] as const;

/** The counters of `${verb} ${resource}` keys on {@link FLEDGE_RESOURCES}. */
export function fledgeRows(counts: Readonly<Record<string, number>>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [key, n] of Object.entries(counts)) {
    const resource = key.slice(verbOf(key).length + 1);
    if ((FLEDGE_RESOURCES as readonly string[]).includes(resource)) out[key] = n;
  }
  return out;
}

export type { RealBenchContext } from './fleet-run.js';

/** The real-stack part's settings: the fleet's and controller's, and the windows'. */
export interface RealBenchOptions extends FleetRunOptions {
  idleDurationMs: number;
  durationMs: number;
  /** CPU profiles of the windows are written here; none when undefined. */
  profileDir: string | undefined;
}

/** One measured window of the real stack. */
export interface RealWindow {
  controller: WindowFigures;
  /** Every `apiserver_request_total` row that moved during the window, all clients. */
  apiserverRequests: Record<string, number>;
  /** The rows on {@link FLEDGE_RESOURCES}. */
  fledgeRequests: Record<string, number>;
  readsPerTick: number | undefined;
  writesPerTick: number | undefined;
  writesPerWeightStep: number | undefined;
  /** Of those, Event creations. */
  eventWritesPerWeightStep: number | undefined;
  /** The controller's own counters over the window, a cross-check of the server's. */
  fledgeCountedRequests: Record<string, number>;
  queries: ProviderCounts;
  /** Queries per metric per tick that ended Progressing (each runs the analysis). */
  queriesPerMetricPerAnalysisTick: number | undefined;
}

export interface RealBenchFigures {
  canaries: number;
  /** `bullmq` or `in-process`. */
  scheduler: BenchScheduler['kind'];
  /** Ticks run at once, at most (`--scheduler-concurrency`). */
  schedulerConcurrency: number;
  intervalMs: number;
  expectedTicksPerSecond: number;
  kubeQps: number;
  kubeBurst: number;
  setupSeconds: number;
  idle: RealWindow;
  progressing: RealWindow;
  namespaceDeleted: boolean;
}

async function measureWindow(
  child: BenchChild,
  access: ApiServerAccess,
  durationMs: number,
  profileFile: string | undefined,
): Promise<RealWindow> {
  const params: WindowParams = { profileFile };
  await child.call('open', params);
  const atOpen = await readRequestTotals(access);
  await sleep(durationMs);
  const inside = await child.call<ControllerWindow>('close', params);
  const apiserverRequests = diffCounts(atOpen, await readRequestTotals(access));
  const fledgeRequests = fledgeRows(apiserverRequests);
  const ticks = inside.figures.ticks;
  return {
    controller: inside.figures,
    apiserverRequests,
    fledgeRequests,
    readsPerTick: ratio(sumByVerbs(fledgeRequests, READ_VERBS), ticks),
    writesPerTick: ratio(sumByVerbs(fledgeRequests, WRITE_VERBS), ticks),
    writesPerWeightStep: ratio(sumByVerbs(fledgeRequests, WRITE_VERBS), inside.figures.weightSteps),
    eventWritesPerWeightStep: ratio(
      fledgeRequests['POST events.events.k8s.io'] ?? 0,
      inside.figures.weightSteps,
    ),
    fledgeCountedRequests: inside.fledgeCountedRequests,
    queries: inside.queries,
    queriesPerMetricPerAnalysisTick: ratio(
      inside.figures.analysisQueries,
      inside.figures.analysisTicks * BENCH_METRICS.length,
    ),
  };
}

/** Waits until the controller's completed ticks show every canary passing `test`. */
async function waitForTicks(
  child: BenchChild,
  canaries: number,
  what: string,
  test: (p: CanaryProgress) => boolean,
  timeoutMs: number,
): Promise<void> {
  let seen: CanaryProgress[] = [];
  await waitUntil(
    what,
    async () => {
      seen = await child.call<CanaryProgress[]>('progress');
      return seen.length === canaries && seen.every(test);
    },
    {
      timeoutMs,
      pollMs: 1_000,
      describe: () => `${seen.filter(test).length} of ${canaries}`,
      progress: () => seen.filter(test).length,
    },
  );
}

/** Runs the real-stack measurement for one N. */
export async function runRealBench(o: RealBenchOptions, ctx: RealBenchContext): Promise<RealBenchFigures> {
  const started = Date.now();
  const run = await createFleetRun(o, ctx, {
    namespacePrefix: `bench-${o.canaries}`,
    label: `real N=${o.canaries}`,
    shape: {
      interval: goDuration(o.intervalMs),
      stepWeight: 1,
      maxWeight: 100,
      threshold: 5,
      metrics: BENCH_METRICS,
    },
  });
  const { fleet, child, log } = run;
  let namespaceDeleted = false;
  try {
    await startController(run, o, ctx, `real-${o.canaries}.log`);
    await waitForTicks(
      child,
      o.canaries,
      'the ticks of initialisation to be over',
      settledInitialized,
      o.warmupTimeoutMs,
    );
    log(`measuring the idle window (${o.idleDurationMs / 1000} s)`);
    const profile = (window: string) =>
      o.profileDir ? join(o.profileDir, `real-${o.canaries}-${window}.cpuprofile`) : undefined;
    const idle = await measureWindow(child, ctx.access, o.idleDurationMs, profile('idle'));

    log('releasing a new image to every application');
    await releaseAndWaitForProgress(run, o);
    await waitForTicks(
      child,
      o.canaries,
      'every canary to run its metric checks',
      analysing,
      o.warmupTimeoutMs,
    );
    const setupSeconds = (Date.now() - started) / 1000 - o.idleDurationMs / 1000;
    log(`measuring the progressing window (${o.durationMs / 1000} s)`);
    const progressing = await measureWindow(child, ctx.access, o.durationMs, profile('progressing'));
    await child.call('stopController');
    await child.exit();
    log('deleting the namespace');
    namespaceDeleted = await fleet.delete(Math.max(120_000, o.canaries * 300));
    return {
      canaries: o.canaries,
      scheduler: o.scheduler.kind,
      schedulerConcurrency: o.scheduler.concurrency,
      intervalMs: o.intervalMs,
      expectedTicksPerSecond: o.canaries / (o.intervalMs / 1000),
      kubeQps: o.kubeQps,
      kubeBurst: o.kubeBurst,
      setupSeconds,
      idle,
      progressing,
      namespaceDeleted,
    };
  } finally {
    child.kill();
    if (!namespaceDeleted) await fleet.delete(0).catch(() => undefined);
  }
}
