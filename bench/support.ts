/** Helpers shared by the benchmark's parts. */
import { pino, type Logger } from 'pino';
import { setTimeout as sleep } from 'node:timers/promises';
import { createLogger } from '../src/log.js';

/** A wait that ran out of time; the message says what was awaited and how far it got. */
export class BenchTimeoutError extends Error {
  override name = 'BenchTimeoutError';
}

/**
 * Polls `probe` until it returns true; rejects with {@link BenchTimeoutError} after `timeoutMs`,
 * naming `what` and the last `describe()`. With `progress` (how many of the awaited things are
 * done), the time counts from the last progress instead: a fleet that initialises slowly on a
 * contended machine is waited for, one that is stuck still fails.
 */
export async function waitUntil(
  what: string,
  probe: () => boolean | Promise<boolean>,
  options: { timeoutMs: number; pollMs?: number; describe?: () => string; progress?: () => number },
): Promise<void> {
  let deadline = Date.now() + options.timeoutMs;
  let done = options.progress?.() ?? 0;
  for (;;) {
    if (await probe()) return;
    const now = options.progress?.() ?? 0;
    if (now > done) {
      done = now;
      deadline = Date.now() + options.timeoutMs;
    }
    if (Date.now() > deadline) {
      const state = options.describe ? `: ${options.describe()}` : '';
      const since = options.progress ? ' without progress' : '';
      throw new BenchTimeoutError(
        `timed out after ${options.timeoutMs / 1000} s${since} waiting for ${what}${state}`,
      );
    }
    await sleep(options.pollMs ?? 250);
  }
}

/** A Go duration for `ms` (`10s`, `1500ms`), as an `analysis.interval` takes it. */
export function goDuration(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

/**
 * The controller's logger for a benchmark run: JSON lines at `level` into `file` (asynchronous
 * writes, as a controller logging to stdout does), or silent without a file.
 */
export function benchLogger(level: string, file: string | undefined): Logger {
  if (!file) return pino({ level: 'silent' });
  return createLogger({ level, destination: pino.destination({ dest: file, sync: false, mkdir: true }) });
}

/** Counts of canaries by phase, e.g. `Progressing: 98, Initialized: 2`, for messages. */
export function describePhases(phases: Iterable<string | undefined>): string {
  const counts = new Map<string, number>();
  for (const p of phases) counts.set(p ?? 'none', (counts.get(p ?? 'none') ?? 0) + 1);
  return [...counts.entries()].map(([p, n]) => `${p}: ${n}`).join(', ') || 'no canary seen yet';
}
