/**
 * Follows the ticks of a running controller (through the watcher's `onTick`) and measures a
 * window of its life: ticks, tick duration, tick lateness (read from the scheduler), weight steps,
 * CPU time and memory of this process.
 */
import type { CanaryStatus } from '../src/api/schema/canary.js';
import type { TickResult } from '../src/controller/reconciler.js';
import { MAX_LATENESS_OBSERVATIONS } from '../src/scheduler/lateness-recorder.js';
import type { Scheduler } from '../src/scheduler/scheduler.js';
import { ratio, spreadOf, type Spread } from './stats.js';

/** Where one canary stands after its last tick. */
export interface CanaryProgress {
  phase: CanaryStatus['phase'];
  weight: number | undefined;
  /**
   * Ticks completed since phase or weight last changed. A tick persists its new status before it
   * routes, scales and records Events, so 1 or more means the tick that made the change is over.
   */
  steadyTicks: number;
}

/** Initialized, and the tick that initialised it (scaling the target down, its Event) is over. */
export function settledInitialized(p: CanaryProgress): boolean {
  return p.phase === 'Initialized' && p.steadyTicks >= 1;
}

/**
 * Progressing past its first step: every tick from here on runs the metric checks (the first step
 * runs only the pre-rollout hooks, and its tick may still be routing and recording its Event).
 */
export function analysing(p: CanaryProgress): boolean {
  return p.phase === 'Progressing' && (p.weight ?? 0) >= 2;
}

/** What one measured window of the controller's life showed. */
export interface WindowFigures {
  wallSeconds: number;
  ticks: number;
  ticksPerSecond: number;
  /** Ticks by the phase they ended in. */
  ticksByPhase: Record<string, number>;
  /** Ticks that returned an error or lost a write race. */
  tickErrors: number;
  tickConflicts: number;
  /** Delay from a tick's due time to its start, as the scheduler measured it. */
  latenessMs: Spread;
  /** The scheduler kept at most its bound between two reads: some observations may be missing. */
  latenessObservationsDropped: boolean;
  tickDurationMs: Spread;
  /** Ticks that changed a canary's weight. */
  weightSteps: number;
  /**
   * Ticks that ended Progressing after the first step (each runs the metric checks), and the metric
   * queries they made.
   */
  analysisTicks: number;
  analysisQueries: number;
  /** Most queries one tick made. */
  maxQueriesPerTick: number;
  /** Both ends of the window fell where no tick was running (else counts at the edges are split). */
  quietBoundaries: boolean;
  cpuSeconds: number;
  /** CPU seconds per wall second: 1 is one core busy. */
  cores: number;
  cpuSecondsPer1000Ticks: number | undefined;
  /** Peak resident set size of this process since it started. */
  peakRssMb: number;
  /** At the end of the window: resident set, V8 heap reserved and used, memory outside the heap. */
  rssMb: number;
  heapTotalMb: number;
  heapUsedMb: number;
  externalMb: number;
}

export interface TickRecorderOptions {
  scheduler: Pick<Scheduler, 'metrics'>;
  /**
   * Metric queries made so far for a canary (its target is named as the canary). Ticks of one canary
   * never overlap, so the queries made since its previous tick ended are its current tick's.
   */
  queriesOf?: (namespace: string, name: string) => number;
  /** How often lateness observations are drained from the scheduler (default 200 ms). */
  pollMs?: number;
}

interface Window {
  startedAtMs: number;
  cpu: NodeJS.CpuUsage;
  ticks: number;
  ticksByPhase: Record<string, number>;
  errors: number;
  conflicts: number;
  durations: number[];
  lateness: number[];
  dropped: boolean;
  weightSteps: number;
  analysisTicks: number;
  analysisQueries: number;
  maxQueriesPerTick: number;
  quietBoundaries: boolean;
  poller: NodeJS.Timeout;
}

/** How a window starts or ends. */
export interface BoundaryOptions {
  /** Wait up to this long for no tick to be running (default 0: do not wait). */
  quietWithinMs?: number;
  /** Runs at the boundary: after the wait when opening, after the window ended when closing. */
  atBoundary?: () => Promise<void> | void;
}

const MB = 1024 * 1024;

export class TickRecorder {
  private readonly progress = new Map<string, CanaryProgress>();
  private readonly queriesSeen = new Map<string, number>();
  private window: Window | undefined;
  private draining: Promise<void> = Promise.resolve();

  constructor(private readonly o: TickRecorderOptions) {}

  /** The watcher's `onTick`. */
  readonly observe = (namespace: string, name: string, result: TickResult, durationMs: number): void => {
    const id = `${namespace}/${name}`;
    const before = this.progress.get(id);
    if (result.phase !== undefined) {
      const same = before && before.phase === result.phase && before.weight === result.canaryWeight;
      this.progress.set(id, {
        phase: result.phase,
        weight: result.canaryWeight,
        steadyTicks: same ? before.steadyTicks + 1 : 0,
      });
    }
    const total = this.o.queriesOf?.(namespace, name) ?? 0;
    const queries = total - (this.queriesSeen.get(id) ?? 0);
    this.queriesSeen.set(id, total);
    const w = this.window;
    if (!w) return;
    w.maxQueriesPerTick = Math.max(w.maxQueriesPerTick, queries);
    // The first step (from weight 0) runs the pre-rollout hooks, not the metric checks.
    if (result.phase === 'Progressing' && (before?.weight ?? 0) > 0) {
      w.analysisTicks += 1;
      w.analysisQueries += queries;
    }
    w.ticks += 1;
    const phase = result.phase ?? 'none';
    w.ticksByPhase[phase] = (w.ticksByPhase[phase] ?? 0) + 1;
    if (result.error) w.errors += 1;
    if (result.conflict) w.conflicts += 1;
    w.durations.push(durationMs);
    if (before && result.phase !== undefined && (before.weight ?? 0) !== (result.canaryWeight ?? 0))
      w.weightSteps += 1;
  };

  /** Where each canary stood after its last tick, by `namespace/name`. */
  snapshot(): Map<string, CanaryProgress> {
    return new Map(this.progress);
  }

  /**
   * Starts a window: ticks, lateness and CPU from now on count. Waits first (up to `quietWithinMs`)
   * for a moment with no tick running, so that the window does not cut through ticks and the
   * requests counted in it belong to the ticks counted in it; `atBoundary` runs at that moment
   * (reset counters, read the API server's).
   */
  async open(options: BoundaryOptions = {}): Promise<void> {
    if (this.window) throw new Error('TickRecorder: a window is already open');
    // Lateness of ticks before the window is drained and dropped here.
    const quiet = await this.waitForQuiet(options.quietWithinMs ?? 0);
    await options.atBoundary?.();
    const poller = setInterval(() => void this.drain(), this.o.pollMs ?? 200);
    this.window = {
      startedAtMs: performance.now(),
      cpu: process.cpuUsage(),
      ticks: 0,
      ticksByPhase: {},
      errors: 0,
      conflicts: 0,
      durations: [],
      lateness: [],
      dropped: false,
      weightSteps: 0,
      analysisTicks: 0,
      analysisQueries: 0,
      maxQueriesPerTick: 0,
      quietBoundaries: quiet,
      poller,
    };
  }

  /** Ends the window (at a quiet moment, as {@link open} does) and returns its figures. */
  async close(options: BoundaryOptions = {}): Promise<WindowFigures> {
    const w = this.window;
    if (!w) throw new Error('TickRecorder: no window is open');
    const quiet = await this.waitForQuiet(options.quietWithinMs ?? 0);
    const cpu = process.cpuUsage(w.cpu);
    const wallSeconds = (performance.now() - w.startedAtMs) / 1000;
    clearInterval(w.poller);
    this.window = undefined;
    // At once, before anything else is awaited: no tick can slip in between.
    const boundary = options.atBoundary?.();
    await this.drain(w);
    await boundary;
    const cpuSeconds = (cpu.user + cpu.system) / 1e6;
    const memory = process.memoryUsage();
    const per1000 = ratio(cpuSeconds * 1000, w.ticks);
    return {
      wallSeconds,
      ticks: w.ticks,
      ticksPerSecond: w.ticks / wallSeconds,
      ticksByPhase: w.ticksByPhase,
      tickErrors: w.errors,
      tickConflicts: w.conflicts,
      latenessMs: spreadOf(w.lateness),
      latenessObservationsDropped: w.dropped,
      tickDurationMs: spreadOf(w.durations),
      weightSteps: w.weightSteps,
      analysisTicks: w.analysisTicks,
      analysisQueries: w.analysisQueries,
      maxQueriesPerTick: w.maxQueriesPerTick,
      quietBoundaries: w.quietBoundaries && quiet,
      cpuSeconds,
      cores: cpuSeconds / wallSeconds,
      cpuSecondsPer1000Ticks: per1000,
      peakRssMb: (process.resourceUsage().maxRSS * 1024) / MB,
      rssMb: memory.rss / MB,
      heapTotalMb: memory.heapTotal / MB,
      heapUsedMb: memory.heapUsed / MB,
      externalMb: memory.external / MB,
    };
  }

  /** Polls the scheduler until no tick runs; false when `maxMs` passed first. */
  private async waitForQuiet(maxMs: number): Promise<boolean> {
    const deadline = performance.now() + maxMs;
    for (;;) {
      const active = await this.drain();
      if (active === 0) return true;
      if (performance.now() >= deadline) return false;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  /** Reads the scheduler, keeping lateness observations for the open window (or `into`); resolves to its active ticks. */
  private drain(into?: Window): Promise<number | undefined> {
    const read = this.draining.then(async () => {
      const metrics = await this.o.scheduler.metrics().catch(() => undefined);
      const w = into ?? this.window;
      if (metrics && w) {
        if (metrics.latenessMs.length >= MAX_LATENESS_OBSERVATIONS) w.dropped = true;
        for (const ms of metrics.latenessMs) w.lateness.push(ms);
      }
      return metrics?.active;
    });
    this.draining = read.then(() => undefined);
    return read;
  }
}
