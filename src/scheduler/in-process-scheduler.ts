/**
 * The embedded scheduler: timers in this process. Ticks of one canary never overlap.
 *
 * A new id ticks at once. After that a canary ticks at its own phase of the interval (see
 * `phase.ts`: a hash of its id), on a fixed cadence as BullMQ's `every` does, never sooner than
 * half an interval after its previous tick ended. Canaries that start together (a controller
 * restart, one GitOps sync creating thousands) therefore spread evenly over the interval from their
 * second tick on, instead of ticking together in a burst that makes each of them late; and a tick
 * that ran late (it waited for a free slot) does not push its canary's later ticks back.
 *
 * At most `concurrency` ticks run at once; due ticks beyond that wait in order of arrival. This
 * bounds the memory and the Prometheus queries in flight when thousands of ticks fall due
 * together (at start-up every canary is due at once).
 */
import { LatenessRecorder } from './lateness-recorder.js';
import { nextSlot, phaseOf } from './phase.js';
import {
  assertInterval,
  MAX_TIMER_DELAY_MS,
  type Scheduler,
  type SchedulerHealth,
  type SchedulerMetrics,
  type TickHandler,
} from './scheduler.js';
import { REAL_TIMERS, type Timers } from '../timers.js';

export interface InProcessSchedulerOptions {
  timers?: Timers;
  /** Clock in epoch milliseconds, for the phase slots and tick lateness (default `Date.now`). */
  now?: () => number;
  /** The phase of an id's ticks in its interval, in `[0, intervalMs)` (default {@link phaseOf}). */
  phase?: (id: string, intervalMs: number) => number;
  /** Ticks run at once, across canaries (default {@link DEFAULT_IN_PROCESS_CONCURRENCY}). */
  concurrency?: number;
}

/** Default of {@link InProcessSchedulerOptions.concurrency}. */
export const DEFAULT_IN_PROCESS_CONCURRENCY = 32;

interface Entry {
  intervalMs: number;
  timer: unknown;
  running: boolean;
  /** A tick was asked for while one was running: run again right after it. */
  again: boolean;
  /** When the armed timer is planned to fire (epoch ms), undefined when none is armed. */
  plannedAtMs: number | undefined;
  /** The armed timer was armed for a tick due at once (a new id, a trigger), not a later one. */
  due: boolean;
  /** Due, waiting for a free slot (see `concurrency`); `plannedAtMs` still says since when. */
  queued: boolean;
}

export class InProcessScheduler implements Scheduler {
  private readonly entries = new Map<string, Entry>();
  private readonly timers: Timers;
  private handler: TickHandler | undefined;
  private readonly inFlight = new Set<Promise<void>>();
  private stopped = false;
  private readonly now: () => number;
  private readonly lateness = new LatenessRecorder();
  private failures = 0;
  private readonly phase: (id: string, intervalMs: number) => number;
  private readonly concurrency: number;
  private active = 0;
  /** Ids due and waiting for a slot, oldest first. */
  private readonly ready: string[] = [];

  constructor(options: InProcessSchedulerOptions = {}) {
    this.timers = options.timers ?? REAL_TIMERS;
    this.now = options.now ?? Date.now;
    this.phase = options.phase ?? phaseOf;
    this.concurrency = options.concurrency ?? DEFAULT_IN_PROCESS_CONCURRENCY;
    if (!(Number.isInteger(this.concurrency) && this.concurrency > 0))
      throw new RangeError(`concurrency must be a positive integer, got ${this.concurrency}`);
  }

  schedule(id: string, intervalMs: number): void {
    assertInterval(id, intervalMs);
    const entry = this.entries.get(id);
    if (entry) {
      if (entry.intervalMs === intervalMs) return;
      entry.intervalMs = intervalMs;
      if (!entry.running && !entry.queued) this.arm(id, entry, this.periodic(id, intervalMs));
      return;
    }
    const fresh: Entry = {
      intervalMs,
      timer: undefined,
      running: false,
      again: false,
      plannedAtMs: undefined,
      due: false,
      queued: false,
    };
    this.entries.set(id, fresh);
    this.arm(id, fresh, 0);
  }

  trigger(id: string): void {
    const entry = this.entries.get(id);
    if (!entry) return;
    if (entry.running) entry.again = true;
    else if (!entry.queued) this.arm(id, entry, 0);
  }

  remove(id: string): void {
    const entry = this.entries.get(id);
    if (!entry) return;
    this.timers.clearTimeout(entry.timer);
    this.entries.delete(id);
  }

  /** Nothing to prune: only this process holds its schedules, and it was given each of them. */
  async prune(): Promise<string[]> {
    return [];
  }

  start(handler: TickHandler): void {
    this.handler = handler;
    for (const [id, entry] of this.entries) if (!entry.running && !entry.queued) this.arm(id, entry, 0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const entry of this.entries.values()) {
      this.timers.clearTimeout(entry.timer);
      entry.plannedAtMs = undefined;
      entry.queued = false;
    }
    this.ready.length = 0;
    await Promise.all([...this.inFlight]);
  }

  health(): SchedulerHealth {
    return this.stopped
      ? { healthy: false, reason: 'the in-process scheduler is stopped' }
      : { healthy: true };
  }

  /** Counts from this process's timers: `waiting` are ticks armed to run at once. */
  async metrics(): Promise<SchedulerMetrics> {
    let waiting = 0;
    let active = 0;
    let delayed = 0;
    for (const entry of this.entries.values()) {
      if (entry.running) active += 1;
      else if (entry.plannedAtMs !== undefined) {
        if (entry.due || entry.queued) waiting += 1;
        else delayed += 1;
      }
    }
    return { waiting, active, delayed, failed: this.failures, latenessMs: this.lateness.drain() };
  }

  /** Ids currently scheduled. */
  ids(): string[] {
    return [...this.entries.keys()];
  }

  /** The delay to the next periodic tick of `id`: its next slot at least half an interval from now. */
  private periodic(id: string, intervalMs: number): number {
    const now = this.now();
    return nextSlot(now + intervalMs / 2, intervalMs, this.phase(id, intervalMs)) - now;
  }

  private arm(id: string, entry: Entry, delayMs: number): void {
    this.timers.clearTimeout(entry.timer);
    entry.plannedAtMs = undefined;
    if (this.stopped || !this.handler) return;
    entry.plannedAtMs = this.now() + delayMs;
    entry.due = delayMs === 0;
    this.wait(id, entry, delayMs);
  }

  /**
   * Arms the timer of `entry` for `delayMs`, in links of at most {@link MAX_TIMER_DELAY_MS}: a longer
   * delay given to one Node.js timer fires after 1 ms, which would tick the canary every millisecond.
   */
  private wait(id: string, entry: Entry, delayMs: number): void {
    const linkMs = Math.min(delayMs, MAX_TIMER_DELAY_MS);
    entry.timer = this.timers.setTimeout(() => {
      const remainingMs = (entry.plannedAtMs ?? 0) - this.now();
      if (linkMs < delayMs && remainingMs > 0 && this.entries.get(id) === entry && !this.stopped) {
        this.wait(id, entry, remainingMs);
      } else {
        this.due(id);
      }
    }, linkMs);
  }

  /** A timer fired: run the tick now, or queue it behind the ticks holding every slot. */
  private due(id: string): void {
    const entry = this.entries.get(id);
    if (!entry || !this.handler || this.stopped) return;
    if (this.active >= this.concurrency) {
      entry.queued = true;
      this.ready.push(id);
      return;
    }
    this.run(id, entry);
  }

  private run(id: string, entry: Entry): void {
    const handler = this.handler;
    if (!handler) return;
    if (entry.plannedAtMs !== undefined) this.lateness.observe(entry.plannedAtMs, this.now());
    entry.plannedAtMs = undefined;
    entry.queued = false;
    entry.running = true;
    entry.again = false;
    this.active += 1;
    const done = handler(id)
      .catch(() => {
        this.failures += 1;
      })
      .finally(() => {
        this.inFlight.delete(done);
        this.active -= 1;
        entry.running = false;
        if (this.entries.get(id) === entry)
          this.arm(id, entry, entry.again ? 0 : this.periodic(id, entry.intervalMs));
        this.runNextQueued();
      });
    this.inFlight.add(done);
  }

  /** Starts the oldest queued tick whose id is still scheduled, if a slot is free. */
  private runNextQueued(): void {
    while (!this.stopped && this.active < this.concurrency && this.ready.length > 0) {
      const id = this.ready.shift()!;
      const entry = this.entries.get(id);
      if (!entry?.queued) continue;
      this.run(id, entry);
    }
  }
}
