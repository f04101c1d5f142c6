/**
 * Prometheus metrics of the controller itself, served on `/metrics`: Flagger's (`fledge_info`,
 * `fledge_canary_total` here, the per-canary series in `canary-metrics.ts`) under Fledge's prefix,
 * so Flagger's dashboards and alerts carry over by renaming, and Fledge's own about ticks and the
 * scheduler's queue. The README's Metrics table lists them.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { TickResult } from '../controller/tick-result.js';
import type { Scheduler } from '../scheduler/scheduler.js';
import { CanaryMetrics } from './canary-metrics.js';

export { statusCode } from './canary-metrics.js';

/** How a tick ended, the label of `fledge_ticks_total`. */
export type TickOutcome = 'ok' | 'error' | 'conflict';

/** The outcome label of a tick's result. */
export function tickOutcome(result: TickResult): TickOutcome {
  return result.error ? 'error' : result.conflict ? 'conflict' : 'ok';
}

/** The controller's metrics on one registry (served by `http-server.ts`). */
export class ControllerMetrics {
  readonly registry = new Registry();
  private readonly canaries = new CanaryMetrics(this.registry);
  private readonly info = new Gauge({
    name: 'fledge_info',
    help: 'Fledge version and default mesh provider: 1.',
    labelNames: ['version', 'mesh_provider'] as const,
    registers: [this.registry],
  });
  private readonly ticks = new Counter({
    name: 'fledge_ticks_total',
    help: 'Canary ticks run, by outcome.',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  private readonly duration = new Histogram({
    name: 'fledge_tick_duration_seconds',
    help: 'Time taken by one canary tick.',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  constructor(options: { processMetrics?: boolean } = {}) {
    if (options.processMetrics ?? true) collectDefaultMetrics({ register: this.registry, prefix: 'fledge_' });
  }

  /** Sets `fledge_info`, as Flagger's `flagger_info`, at start-up. */
  setInfo(version: string, meshProvider: string): void {
    this.info.reset();
    this.info.set({ version, mesh_provider: meshProvider }, 1);
  }

  /** Records one tick of the Canary `namespace/name` that took `durationMs`. */
  recordTick(namespace: string, name: string, result: TickResult, durationMs: number): void {
    this.ticks.inc({ outcome: tickOutcome(result) });
    this.duration.observe(durationMs / 1000);
    if (result.report) this.canaries.record(namespace, name, result.report, durationMs);
    else this.canaries.recordPhase(namespace, name, result.phase);
  }

  /**
   * `fledge_canary_total{namespace}`: the Canaries per namespace, read from `counts` on each scrape
   * (the watcher's). A namespace whose last Canary is gone loses its series.
   */
  attachCanaryCounts(counts: () => Map<string, number>): void {
    new Gauge({
      name: 'fledge_canary_total',
      help: 'Canaries per namespace.',
      labelNames: ['namespace'] as const,
      registers: [this.registry],
      collect() {
        this.reset();
        for (const [namespace, count] of counts()) this.set({ namespace }, count);
      },
    });
  }

  /**
   * Exposes the scheduler's queue: job counts by state, read on each scrape, and tick lateness
   * (how long after its due time a tick started).
   */
  attachScheduler(scheduler: Scheduler): void {
    const lateness = new Histogram({
      name: 'fledge_tick_lateness_seconds',
      help: 'Delay from the time a tick was due to the time it started.',
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [this.registry],
    });
    new Gauge({
      name: 'fledge_scheduler_jobs',
      help: 'Scheduler jobs by state (waiting, active, delayed, failed).',
      labelNames: ['state'] as const,
      registers: [this.registry],
      async collect() {
        try {
          const m = await scheduler.metrics();
          for (const state of ['waiting', 'active', 'delayed', 'failed'] as const)
            this.set({ state }, m[state]);
          for (const ms of m.latenessMs) lateness.observe(ms / 1000);
        } catch {
          // The queue is unreachable (Redis down): leave the last values; the logs say why.
        }
      },
    });
  }

  /** Drops the series of the deleted Canary `namespace/name`. */
  forget(namespace: string, name: string): void {
    this.canaries.forget(namespace, name);
  }
}
