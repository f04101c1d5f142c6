/**
 * Prometheus metrics of the controller itself, served on `/metrics`. Names follow Flagger's where
 * Flagger has one (`*_canary_status`, `*_canary_weight`), so dashboards carry over.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Phase } from '../api/schema/canary.js';
import type { Scheduler } from '../scheduler/scheduler.js';

/** Flagger's encoding of the phase in `canary_status`: 0 running, 1 successful, 2 failed. */
export function statusCode(phase: Phase | undefined): number {
  if (phase === 'Succeeded' || phase === 'Initialized') return 1;
  if (phase === 'Failed') return 2;
  return 0;
}

export type TickOutcome = 'ok' | 'error' | 'conflict';

export class ControllerMetrics {
  readonly registry = new Registry();
  private readonly weight = new Gauge({
    name: 'fledge_canary_weight',
    help: 'Traffic percentage routed to the canary.',
    labelNames: ['namespace', 'name'] as const,
    registers: [this.registry],
  });
  private readonly status = new Gauge({
    name: 'fledge_canary_status',
    help: 'Canary status: 0 running, 1 successful, 2 failed.',
    labelNames: ['namespace', 'name'] as const,
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

  /** Records one tick of `namespace/name`. */
  observeTick(
    namespace: string,
    name: string,
    result: { phase: Phase | undefined; canaryWeight?: number | undefined; outcome: TickOutcome },
    durationMs: number,
  ): void {
    this.ticks.inc({ outcome: result.outcome });
    this.duration.observe(durationMs / 1000);
    if (result.phase !== undefined) {
      this.status.set({ namespace, name }, statusCode(result.phase));
      this.weight.set({ namespace, name }, result.canaryWeight ?? 0);
    }
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

  /** Drops the series of a deleted canary. */
  forget(namespace: string, name: string): void {
    this.status.remove({ namespace, name });
    this.weight.remove({ namespace, name });
  }
}
