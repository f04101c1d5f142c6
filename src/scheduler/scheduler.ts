/**
 * The scheduler port: runs each canary's tick every `analysis.interval`, never two ticks of one
 * canary at once. The in-process implementation is the embedded default; the BullMQ one
 * (`bullmq-scheduler.ts`) spreads canaries across replicas. Both are held to the contract suite in
 * `test/contract/scheduler-contract.ts`.
 */

/**
 * The longest delay one Node.js timer can wait (2^31-1 ms, about 24.8 days): a longer one fires
 * after 1 ms. Schedulers chain timers (in-process) or cap the interval (BullMQ) at this bound, so a
 * huge interval can never turn into a tick every millisecond.
 */
export const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;

/** Throws a RangeError naming `id` unless `intervalMs` is a positive finite number of milliseconds. */
export function assertInterval(id: string, intervalMs: number): void {
  if (Number.isNaN(intervalMs) || intervalMs <= 0)
    throw new RangeError(`interval for ${id} must be positive, got ${intervalMs} ms`);
  if (!Number.isFinite(intervalMs))
    throw new RangeError(`interval for ${id} must be finite, got ${intervalMs} ms`);
}

/** Runs one tick for a canary id (`namespace/name`). Must not throw. */
export type TickHandler = (id: string) => Promise<void>;

/** A snapshot of the scheduler's queue, for the controller's `/metrics`. */
export interface SchedulerMetrics {
  /** Ticks that are due and wait for a free worker. */
  waiting: number;
  /** Ticks running now. */
  active: number;
  /** Ticks planned for later (the next tick of each schedule, triggers waiting out a busy canary). */
  delayed: number;
  /**
   * Ticks that failed: the handler threw (it must not) or, with BullMQ, a tick was given up after
   * its worker stalled too often. In-process: a count since creation; BullMQ: the failed jobs the
   * queue retains.
   */
  failed: number;
  /**
   * How late ticks started, in milliseconds (start time minus the time the tick was planned for),
   * one observation per tick run since the previous call: each call drains them. Bounded: the
   * oldest observations are dropped when nobody reads them.
   */
  latenessMs: number[];
}

export interface Scheduler {
  /** Creates or updates a repeating tick for `id`; an unchanged interval keeps the current timing. */
  schedule(id: string, intervalMs: number): void;
  /**
   * Asks for a tick of a scheduled `id` as soon as possible (ignored for an id not scheduled).
   * Deduplicated: several triggers before the tick starts make one tick; a trigger while a tick of
   * `id` runs makes one more tick after it.
   */
  trigger(id: string): void;
  /** Stops ticking `id`. */
  remove(id: string): void;
  /**
   * Removes every schedule whose id is not in `keep`, including, on a shared store, schedules that
   * no running replica made (their Canary was deleted while every replica was down). Resolves with
   * the removed ids. A schedule this process was given is kept whatever `keep` says. With
   * `namespace`, only ids of that namespace (`namespace/...`) are candidates: a replica watching one
   * namespace leaves the others' schedules alone.
   */
  prune(keep: ReadonlySet<string>, namespace?: string): Promise<string[]>;
  /** Starts running ticks through `handler`. Never throws because a backing store is unreachable. */
  start(handler: TickHandler): void;
  /** Stops taking new ticks, waits for those in flight and releases connections. */
  stop(): Promise<void>;
  /** Queue counts and tick lateness; rejects when the backing store cannot answer. */
  metrics(): Promise<SchedulerMetrics>;
  /**
   * Whether ticks can still run in this process once started: false when the scheduler has stopped
   * or its worker has ended. An unreachable backing store is not unhealthy: it reconnects by itself,
   * and a restart would not bring it back sooner.
   */
  health(): SchedulerHealth;
}

/** See {@link Scheduler.health}. */
export interface SchedulerHealth {
  healthy: boolean;
  /** Why not, when not. */
  reason?: string;
}
