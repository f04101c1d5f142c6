/**
 * A token bucket: `burst` requests may go at once, then `qps` per second. Callers reserve a slot
 * and wait for it, so requests leave in the order they asked, however many wait.
 */

export interface TokenBucketOptions {
  /** Sustained requests per second; > 0. */
  qps: number;
  /** Requests allowed at once after a quiet period; an integer >= 1. */
  burst: number;
  /** Monotonic clock in milliseconds; defaults to `performance.now`. */
  now?: () => number;
  /** Waits; defaults to `setTimeout`. */
  sleep?: (ms: number) => Promise<void>;
}

export class TokenBucket {
  private tokens: number;
  private last: number;
  private readonly qps: number;
  private readonly burst: number;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(options: TokenBucketOptions) {
    if (!(Number.isFinite(options.qps) && options.qps > 0))
      throw new Error(`qps: must be a positive number, got ${options.qps}`);
    if (!(Number.isInteger(options.burst) && options.burst >= 1))
      throw new Error(`burst: must be an integer >= 1, got ${options.burst}`);
    this.qps = options.qps;
    this.burst = options.burst;
    this.now = options.now ?? (() => performance.now());
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.tokens = options.burst;
    this.last = this.now();
  }

  /**
   * Takes a token now, going into debt if none is left, and returns how long the caller must wait
   * before sending. Debt makes later reservations wait behind earlier ones (FIFO without a queue).
   */
  reserve(): number {
    const now = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.qps);
    this.last = now;
    this.tokens -= 1;
    return this.tokens >= 0 ? 0 : (-this.tokens / this.qps) * 1000;
  }

  /** Resolves when the caller may send one request. */
  async acquire(): Promise<void> {
    const waitMs = this.reserve();
    if (waitMs > 0) await this.sleep(waitMs);
  }
}
