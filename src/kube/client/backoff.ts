/** Restart delays for informers: exponential, capped, with jitter so that restarts do not align. */

export interface BackoffOptions {
  /** Delay before the first retry (default 500 ms). */
  initialMs?: number;
  /** Upper bound of any delay (default 30 s). */
  maxMs?: number;
  /** Growth per consecutive failure (default 2). */
  factor?: number;
  /** Fraction of the delay taken off at random, 0..1 (default 0.2): delays fall in `[d * (1 - jitter), d]`. */
  jitter?: number;
}

/** Checks backoff options at construction, naming the bad field. */
export function validateBackoff(options: BackoffOptions): void {
  const { initialMs = 500, maxMs = 30_000, factor = 2, jitter = 0.2 } = options;
  if (!(Number.isFinite(initialMs) && initialMs >= 0))
    throw new Error(`backoff.initialMs: must be >= 0, got ${initialMs}`);
  if (!(Number.isFinite(maxMs) && maxMs >= initialMs))
    throw new Error(`backoff.maxMs: must be >= initialMs (${initialMs}), got ${maxMs}`);
  if (!(Number.isFinite(factor) && factor >= 1))
    throw new Error(`backoff.factor: must be >= 1, got ${factor}`);
  if (!(jitter >= 0 && jitter <= 1)) throw new Error(`backoff.jitter: must be within 0..1, got ${jitter}`);
}

/**
 * The delay before retry number `attempt` (0 for the first retry after a failure).
 * @param random source of uniform numbers in [0, 1)
 */
export function backoffDelayMs(
  attempt: number,
  options: BackoffOptions = {},
  random: () => number = Math.random,
): number {
  const { initialMs = 500, maxMs = 30_000, factor = 2, jitter = 0.2 } = options;
  // Capping the exponent first keeps factor ** attempt finite however long the outage lasts.
  const base = Math.min(maxMs, initialMs * factor ** Math.min(Math.max(0, attempt), 64));
  return Math.round(base * (1 - jitter * random()));
}
