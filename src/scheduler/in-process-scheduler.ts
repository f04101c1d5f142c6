/**
 * The embedded scheduler: timers in this process. Ticks of one canary never overlap.
 *
 * A canary's next tick is planned an interval after its previous tick ended, plus a random delay
 * of up to {@link DEFAULT_JITTER} of the interval: canaries released together (one GitOps commit
 * bumping a shared image, a controller restart) would otherwise tick together forever, and a
 * burst of thousands of ticks in the same instant makes each of them late. The jitter spreads
 * them over the interval within a few ticks, as client-go's `JitterUntil` does.
 */
import { LatenessRecorder } from './lateness-recorder.js';
import type { Scheduler, SchedulerMetrics, TickHandler } from './scheduler.js';
import { REAL_TIMERS, type Timers } from '../timers.js';

export interface InProcessSchedulerOptions {
  timers?: Timers;
  /** Clock for tick lateness, in epoch milliseconds (default `Date.now`). */
  now?: () => number;
  /** Largest extra delay of a periodic tick, as a fraction of its interval (default {@link DEFAULT_JITTER}). */
  jitter?: number;
  /** Random numbers in [0, 1) for the jitter (default `Math.random`). */
  random?: () => number;
}

/** Periodic ticks come up to 10% of the interval late on purpose, to spread canaries apart. */
export const DEFAULT_JITTER = 0.1;

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
  private readonly jitter: number;
  private readonly random: () => number;

  constructor(options: InProcessSchedulerOptions = {}) {
    this.timers = options.timers ?? REAL_TIMERS;
    this.now = options.now ?? Date.now;
    this.jitter = options.jitter ?? DEFAULT_JITTER;
    if (!(this.jitter >= 0 && this.jitter <= 1))
      throw new RangeError(`jitter must be between 0 and 1, got ${this.jitter}`);
    this.random = options.random ?? Math.random;
  }

  schedule(id: string, intervalMs: number): void {
    if (intervalMs <= 0) throw new RangeError(`interval for ${id} must be positive, got ${intervalMs} ms`);
    const entry = this.entries.get(id);
    if (entry) {
      if (entry.intervalMs === intervalMs) return;
      entry.intervalMs = intervalMs;
      if (!entry.running) this.arm(id, entry, this.periodic(intervalMs));
      return;
    }
    const fresh: Entry = {
      intervalMs,
      timer: undefined,
      running: false,
      again: false,
      plannedAtMs: undefined,
      due: false,
    };
    this.entries.set(id, fresh);
    this.arm(id, fresh, 0);
  }

  trigger(id: string): void {
    const entry = this.entries.get(id);
    if (!entry) return;
    if (entry.running) entry.again = true;
    else this.arm(id, entry, 0);
  }

  remove(id: string): void {
    const entry = this.entries.get(id);
    if (!entry) return;
    this.timers.clearTimeout(entry.timer);
    this.entries.delete(id);
  }

  start(handler: TickHandler): void {
    this.handler = handler;
    for (const [id, entry] of this.entries) if (!entry.running) this.arm(id, entry, 0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const entry of this.entries.values()) {
      this.timers.clearTimeout(entry.timer);
      entry.plannedAtMs = undefined;
    }
    await Promise.all([...this.inFlight]);
  }

  /** Counts from this process's timers: `waiting` are ticks armed to run at once. */
  async metrics(): Promise<SchedulerMetrics> {
    let waiting = 0;
    let active = 0;
    let delayed = 0;
    for (const entry of this.entries.values()) {
      if (entry.running) active += 1;
      else if (entry.plannedAtMs !== undefined) {
        if (entry.due) waiting += 1;
        else delayed += 1;
      }
    }
    return { waiting, active, delayed, failed: this.failures, latenessMs: this.lateness.drain() };
  }

  /** Ids currently scheduled. */
  ids(): string[] {
    return [...this.entries.keys()];
  }

  /** The delay of a periodic tick: the interval and some jitter. */
  private periodic(intervalMs: number): number {
    return intervalMs + Math.floor(this.random() * this.jitter * intervalMs);
  }

  private arm(id: string, entry: Entry, delayMs: number): void {
    this.timers.clearTimeout(entry.timer);
    entry.plannedAtMs = undefined;
    if (this.stopped || !this.handler) return;
    entry.plannedAtMs = this.now() + delayMs;
    entry.due = delayMs === 0;
    entry.timer = this.timers.setTimeout(() => this.run(id), delayMs);
  }

  private run(id: string): void {
    const entry = this.entries.get(id);
    const handler = this.handler;
    if (!entry || !handler || this.stopped) return;
    if (entry.plannedAtMs !== undefined) this.lateness.observe(entry.plannedAtMs, this.now());
    entry.plannedAtMs = undefined;
    entry.running = true;
    entry.again = false;
    const done = handler(id)
      .catch(() => {
        this.failures += 1;
      })
      .finally(() => {
        this.inFlight.delete(done);
        entry.running = false;
        if (this.entries.get(id) !== entry) return;
        this.arm(id, entry, entry.again ? 0 : this.periodic(entry.intervalMs));
      });
    this.inFlight.add(done);
  }
}
