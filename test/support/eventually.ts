/** Polling for what a test cannot be told about (an informer catching up, a server applying a write). */
import { setTimeout as sleep } from 'node:timers/promises';

export interface EventuallyOptions {
  /** Give up after this long (default 20 s); the last failure is thrown. */
  timeoutMs?: number;
  /** Pause between tries (default 25 ms). */
  pollMs?: number;
}

/**
 * Runs `check` until it returns without throwing, and returns its result; after `timeoutMs`, throws
 * the last error `check` threw, so the failure says what was still wrong.
 */
export async function eventually<T>(
  check: () => Promise<T> | T,
  options: EventuallyOptions = {},
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 20_000;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await sleep(options.pollMs ?? 25);
    }
  }
}
