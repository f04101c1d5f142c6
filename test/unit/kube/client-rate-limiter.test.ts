/** The token bucket in front of every API request: burst at once, then qps, in request order. */
import { TokenBucket } from '../../../src/kube/client/rate-limiter.js';

describe('TokenBucket', () => {
  it('lets a burst through at once, then spaces requests at 1/qps', () => {
    const bucket = new TokenBucket({ qps: 10, burst: 3, now: () => 0 });
    expect([bucket.reserve(), bucket.reserve(), bucket.reserve()]).toEqual([0, 0, 0]);
    // Each further request waits behind the ones before it: 100 ms, 200 ms, 300 ms.
    expect(bucket.reserve()).toBeCloseTo(100);
    expect(bucket.reserve()).toBeCloseTo(200);
    expect(bucket.reserve()).toBeCloseTo(300);
  });

  it('refills at qps up to burst after a quiet period', () => {
    let now = 0;
    const bucket = new TokenBucket({ qps: 2, burst: 2, now: () => now });
    bucket.reserve();
    bucket.reserve();
    now = 500; // one token back
    expect(bucket.reserve()).toBe(0);
    expect(bucket.reserve()).toBeCloseTo(500);
    now = 60_000; // long quiet: capped at burst, not 120 tokens
    expect(bucket.reserve()).toBe(0);
    expect(bucket.reserve()).toBe(0);
    expect(bucket.reserve()).toBeCloseTo(500);
  });

  it('makes acquire wait for the reserved time', async () => {
    const waits: number[] = [];
    const bucket = new TokenBucket({
      qps: 4,
      burst: 1,
      now: () => 0,
      sleep: async (ms) => {
        waits.push(ms);
      },
    });
    await bucket.acquire();
    await bucket.acquire();
    await bucket.acquire();
    expect(waits).toEqual([250, 500]);
  });

  it('rejects bad settings naming the field', () => {
    expect(() => new TokenBucket({ qps: 0, burst: 1 })).toThrow(/qps: must be a positive number/);
    expect(() => new TokenBucket({ qps: Number.NaN, burst: 1 })).toThrow(/qps/);
    expect(() => new TokenBucket({ qps: 5, burst: 0 })).toThrow(/burst: must be an integer >= 1/);
    expect(() => new TokenBucket({ qps: 5, burst: 1.5 })).toThrow(/burst/);
  });
});
