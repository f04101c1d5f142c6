import { RedisTickGuard, type LuaRunner } from '../../../src/scheduler/redis-tick-guard.js';
import { startRedis, type RedisInstance } from '../../support/devtools/redis-server.js';
import { setTimeout as sleep } from 'node:timers/promises';

describe('RedisTickGuard on Redis', () => {
  let redis: RedisInstance;
  let runner: LuaRunner;

  beforeAll(async () => {
    redis = await startRedis();
    runner = { eval: (script, numKeys, ...rest) => redis.command(['EVAL', script, numKeys, ...rest]) };
  });

  afterAll(async () => {
    await redis?.dispose();
  });

  const guardOf = (ttlMs: number): RedisTickGuard =>
    new RedisTickGuard({ client: runner, keyPrefix: `test:${Math.random().toString(36).slice(2)}:`, ttlMs });

  it('lets one job hold a canary at a time, with a TTL, until it releases', async () => {
    const guard = new RedisTickGuard({ client: runner, keyPrefix: 'test:one:', ttlMs: 5_000 });
    const held = await guard.acquire('ns/a', 'job-1', 'run-1');
    expect(held).toBeDefined();
    expect(await guard.acquire('ns/a', 'job-2', 'run-2')).toBeUndefined();
    // Another canary is not affected.
    expect(await guard.acquire('ns/b', 'job-2', 'run-2')).toBeDefined();
    const ttl = Number(await redis.command(['PTTL', 'test:one:ns/a']));
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(5_000);

    await held!.release();
    expect(await redis.command(['EXISTS', 'test:one:ns/a'])).toBe(0);
    expect(await guard.acquire('ns/a', 'job-2', 'run-2')).toBeDefined();
  });

  it('frees a guard whose holder stopped extending it after its TTL', async () => {
    const guard = guardOf(200);
    expect(await guard.acquire('ns/a', 'job-1', 'run-1')).toBeDefined();
    await sleep(400);
    expect(await guard.acquire('ns/a', 'job-2', 'run-2')).toBeDefined();
  });

  it('keeps a guard that is extended past its TTL', async () => {
    // Extended every third of the TTL, for longer than the TTL: two thirds of a TTL (2 s) of margin
    // for a loaded machine (a 500 ms TTL extended every 250 ms failed under a load average of 18).
    const guard = guardOf(3_000);
    const held = await guard.acquire('ns/a', 'job-1', 'run-1');
    for (let i = 0; i < 4; i++) {
      await sleep(1_000);
      expect(await held!.extend()).toBe(true);
    }
    expect(await guard.acquire('ns/a', 'job-2', 'run-2')).toBeUndefined();
  });

  it('lets a later run of the same job take the guard over; the earlier run then no longer owns it', async () => {
    const guard = guardOf(5_000);
    const earlier = await guard.acquire('ns/a', 'job-1', 'run-1');
    const later = await guard.acquire('ns/a', 'job-1', 'run-2');
    expect(later).toBeDefined();
    expect(await earlier!.extend()).toBe(false);
    await earlier!.release();
    // Still held, by the later run.
    expect(await guard.acquire('ns/a', 'job-2', 'run-3')).toBeUndefined();
    await later!.release();
    expect(await guard.acquire('ns/a', 'job-2', 'run-3')).toBeDefined();
  });

  it('does not mistake a job whose id starts with another job id for that job', async () => {
    const guard = guardOf(5_000);
    expect(await guard.acquire('ns/a', 'job-1', 'run-1')).toBeDefined();
    expect(await guard.acquire('ns/a', 'job-10', 'run-2')).toBeUndefined();
    expect(await guard.acquire('ns/a', 'job-', 'run-3')).toBeUndefined();
  });
});
