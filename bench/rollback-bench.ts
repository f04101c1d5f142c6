/**
 * Time to rollback against the real API server: canaries progress healthily, then every canary's
 * error rate jumps. For each canary, the time from its failing success-rate check completing (in the
 * controller's process, at the provider boundary) to its VirtualService standing at 100/0 as a
 * watch on the API server delivers it.
 */
import type { EventMode } from '../src/controller/event-recorder.js';
import { join } from 'node:path';
import { BenchChild } from './child-rpc.js';
import { Fleet } from './fleet.js';
import type { BenchScheduler, FailedCheckTimes, RealControllerOptions } from './real-controller.js';
import type { RealBenchContext } from './real-bench.js';
import { spreadOf, type Spread } from './stats.js';
import { goDuration, waitUntil } from './support.js';

export interface RollbackBenchOptions {
  canaries: number;
  intervalMs: number;
  /** Error rate every workload answers with once the "bad version" is out. */
  errorRatePercent: number;
  queryLatencyMs: number;
  kubeQps: number;
  kubeBurst: number;
  logLevel: string;
  scheduler: BenchScheduler;
  events: EventMode;
  logDir: string | undefined;
  warmupTimeoutMs: number;
}

export interface RollbackBenchFigures {
  canaries: number;
  /** `bullmq` or `in-process`. */
  scheduler: BenchScheduler['kind'];
  intervalMs: number;
  /** Failing check completed -> VirtualService at 100/0 seen through a watch, per canary. */
  rollbackMs: Spread;
  /** Errors injected -> VirtualService at 100/0 (includes waiting for the next tick). */
  injectionToRollbackMs: Spread;
  /** Canaries whose rollback landed less than one interval after the failing check: the same tick. */
  sameTick: number;
  /** Canaries whose failing check or 100/0 split was never seen (each is named). */
  missing: string[];
  samples: { app: string; failedCheckAtMs: number; routedBackAtMs: number }[];
}

/** Runs the rollback measurement once, with every canary in parallel. */
export async function runRollbackBench(
  o: RollbackBenchOptions,
  ctx: RealBenchContext,
): Promise<RollbackBenchFigures> {
  const namespace = `bench-rollback-${Math.random().toString(36).slice(2, 7)}`;
  const fleet = new Fleet(ctx.kube, namespace, o.canaries, {
    interval: goDuration(o.intervalMs),
    stepWeight: 5,
    maxWeight: 100,
    threshold: 1,
    metrics: ['request-success-rate'],
  });
  const log = (text: string) => ctx.output(`rollback: ${text}\n`);
  log(`creating ${o.canaries} Deployments and Canaries in ${namespace}`);
  await fleet.create();
  const child = new BenchChild({ output: ctx.output, heapLimitMb: ctx.heapLimitMb });
  try {
    const controller: RealControllerOptions = {
      inCluster: ctx.inCluster,
      namespace,
      kubeQps: o.kubeQps,
      kubeBurst: o.kubeBurst,
      minIntervalMs: o.intervalMs,
      queryLatencyMs: o.queryLatencyMs,
      logLevel: o.logLevel,
      logFile: o.logDir ? join(o.logDir, 'rollback.log') : undefined,
      scheduler: o.scheduler,
      events: o.events,
    };
    await child.call('startController', controller);
    await fleet.waitForAll('every canary Initialized', (c) => c.phase === 'Initialized', o.warmupTimeoutMs);
    await fleet.release();
    await fleet.waitForAll(
      'every canary Progressing past weight 0',
      (c) => c.phase === 'Progressing' && c.weight > 0,
      o.warmupTimeoutMs,
    );

    const routedBack = new Map<string, number>();
    fleet.onSplit((app, split, atMs) => {
      if (split.primary === 100 && split.canary === 0 && !routedBack.has(app)) routedBack.set(app, atMs);
    });
    log(`healthy and progressing; every workload now answers ${o.errorRatePercent}% errors`);
    const { atMs: injectedAtMs } = await child.call<{ atMs: number }>('injectErrors', {
      errorRatePercent: o.errorRatePercent,
    });
    await waitUntil('every VirtualService back at 100/0', () => routedBack.size === o.canaries, {
      timeoutMs: 3 * o.intervalMs + 60_000,
      describe: () => `${routedBack.size} of ${o.canaries}`,
    }).catch((error: unknown) => log(String(error)));
    await fleet
      .waitForAll('every canary Failed', (c) => c.phase === 'Failed', 2 * o.intervalMs + 30_000)
      .catch((error: unknown) => log(String(error)));
    const failed = await child.call<FailedCheckTimes>('failedCheckTimes');
    await child.call('stopController');
    await child.exit();

    const samples: RollbackBenchFigures['samples'] = [];
    const missing: string[] = [];
    for (const app of fleet.names) {
      const failedCheckAtMs = failed[`${namespace}/${app}`];
      const routedBackAtMs = routedBack.get(app);
      if (failedCheckAtMs === undefined || routedBackAtMs === undefined) missing.push(app);
      else samples.push({ app, failedCheckAtMs, routedBackAtMs });
    }
    const rollbackMs = samples.map((s) => s.routedBackAtMs - s.failedCheckAtMs);
    return {
      canaries: o.canaries,
      scheduler: o.scheduler.kind,
      intervalMs: o.intervalMs,
      rollbackMs: spreadOf(rollbackMs),
      injectionToRollbackMs: spreadOf(samples.map((s) => s.routedBackAtMs - injectedAtMs)),
      sameTick: rollbackMs.filter((ms) => ms < o.intervalMs).length,
      missing,
      samples,
    };
  } finally {
    child.kill();
    fleet.onSplit(undefined);
    log('deleting the namespace');
    await fleet.delete(120_000).catch(() => undefined);
  }
}
