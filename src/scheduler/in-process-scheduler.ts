/** The embedded scheduler: timers in this process. Ticks of one canary never overlap. */
import { LatenessRecorder } from './lateness-recorder.js';
import type { Scheduler, SchedulerMetrics, TickHandler } from './scheduler.js';
import { REAL_TIMERS, type Timers } from '../timers.js';

export interface InProcessSchedulerOptions {
  timers?: Timers;
  /** Clock for tick lateness, in epoch milliseconds (default `Date.now`). */
  now?: () => number;
}

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

  constructor(options: InProcessSchedulerOptions = {}) {
    this.timers = options.timers ?? REAL_TIMERS;
    this.now = options.now ?? Date.now;
  }

  schedule(id: string, intervalMs: number): void {
    if (intervalMs <= 0) throw new RangeError(`interval for ${id} must be positive, got ${intervalMs} ms`);
    const entry = this.entries.get(id);
    if (entry) {
      if (entry.intervalMs === intervalMs) return;
      entry.intervalMs = intervalMs;
      if (!entry.running) this.arm(id, entry, intervalMs);
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
        this.arm(id, entry, entry.again ? 0 : entry.intervalMs);
      });
    this.inFlight.add(done);
  }
}
