/** Informer restart delays: exponential, capped, jittered downwards. */
import { backoffDelayMs, validateBackoff } from '../../../src/kube/client/backoff.js';

describe('backoffDelayMs', () => {
  const noJitter = () => 0;

  it('doubles from the initial delay up to the cap', () => {
    const options = { initialMs: 100, maxMs: 1_000, factor: 2 };
    const delays = [0, 1, 2, 3, 4, 5, 50, 5_000].map((attempt) => backoffDelayMs(attempt, options, noJitter));
    expect(delays).toEqual([100, 200, 400, 800, 1_000, 1_000, 1_000, 1_000]);
  });

  it('uses 500 ms doubling to 30 s by default', () => {
    expect(backoffDelayMs(0, {}, noJitter)).toBe(500);
    expect(backoffDelayMs(1, {}, noJitter)).toBe(1_000);
    expect(backoffDelayMs(20, {}, noJitter)).toBe(30_000);
  });

  it('takes up to the jitter fraction off, never adding to the cap', () => {
    const options = { initialMs: 1_000, maxMs: 1_000, jitter: 0.5 };
    expect(backoffDelayMs(3, options, () => 0)).toBe(1_000);
    expect(backoffDelayMs(3, options, () => 0.5)).toBe(750);
    expect(backoffDelayMs(3, options, () => 0.999)).toBe(500);
    const spread = new Set(Array.from({ length: 50 }, () => backoffDelayMs(0, { initialMs: 1_000 })));
    expect(spread.size).toBeGreaterThan(1);
    for (const d of spread) {
      expect(d).toBeGreaterThanOrEqual(800);
      expect(d).toBeLessThanOrEqual(1_000);
    }
  });

  it('rejects bad options naming the field', () => {
    expect(() => validateBackoff({ initialMs: -1 })).toThrow(/backoff.initialMs/);
    expect(() => validateBackoff({ initialMs: 100, maxMs: 50 })).toThrow(/backoff.maxMs/);
    expect(() => validateBackoff({ factor: 0.5 })).toThrow(/backoff.factor/);
    expect(() => validateBackoff({ jitter: 2 })).toThrow(/backoff.jitter/);
    expect(() => validateBackoff({})).not.toThrow();
  });
});
