/**
 * BullMqScheduler when things go wrong, on a real Redis: Redis down at start or restarted
 * mid-run, two replicas sharing the queue, a worker killed mid-tick, stop while Redis is gone.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { pino, type Logger } from 'pino';
import { BullMqScheduler, SchedulerUnavailableError } from '../../../src/scheduler/bullmq-scheduler.js';
import type { BullMqSchedulerOptions } from '../../../src/scheduler/bullmq-options.js';
import { freePort } from '../../support/devtools/processes.js';
import { startRedis, type RedisInstance } from '../../support/devtools/redis-server.js';
import { setTimeout as sleep } from 'node:timers/promises';

interface LogLine {
  level: string;
  msg: string;
  [key: string]: unknown;
}

/** A pino logger whose lines land in `lines`. */
function captureLogger(): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const logger = pino(
    { level: 'debug', formatters: { level: (label) => ({ level: label }) } },
    { write: (line: string) => lines.push(JSON.parse(line) as LogLine) },
  );
  return { logger, lines };
}

interface Tick {
  id: string;
  by: string;
  startedAt: number;
  endedAt?: number;
}

/** Records ticks of any number of schedulers, with per-id overlap across all of them. */
class Ticks {
  readonly all: Tick[] = [];
  private readonly running = new Map<string, number>();
  readonly maxConcurrent = new Map<string, number>();

  handler(by: string, durationMs: () => number = () => 10) {
    return async (id: string): Promise<void> => {
      const tick: Tick = { id, by, startedAt: Date.now() };
      this.all.push(tick);
      const now = (this.running.get(id) ?? 0) + 1;
      this.running.set(id, now);
      this.maxConcurrent.set(id, Math.max(now, this.maxConcurrent.get(id) ?? 0));
      await sleep(durationMs());
      this.running.set(id, (this.running.get(id) ?? 1) - 1);
      tick.endedAt = Date.now();
    };
  }

  count(id: string, by?: string): number {
    return this.all.filter((t) => t.id === id && (by === undefined || t.by === by)).length;
  }

  async waitForCount(id: string, n: number, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.count(id) < n) {
      if (Date.now() > deadline) {
        throw new Error(`expected ${n} ticks of ${id} within ${timeoutMs} ms, saw ${this.count(id)}`);
      }
      await sleep(20);
    }
  }
}

describe('BullMqScheduler failures', () => {
  let redis: RedisInstance | undefined;
  let schedulers: BullMqScheduler[];
  let prefix: string;

  const make = (options: Partial<BullMqSchedulerOptions> & { url?: string }): BullMqScheduler => {
    const { url, ...rest } = options;
    const scheduler = new BullMqScheduler({
      connection: { url: url ?? redis!.url },
      prefix,
      concurrency: 4,
      lockDurationMs: 1_000,
      stalledIntervalMs: 500,
      busyRetryDelayMs: 100,
      maxReconnectDelayMs: 200,
      closeTimeoutMs: 1_000,
      ...rest,
    });
    schedulers.push(scheduler);
    return scheduler;
  };

  beforeEach(() => {
    redis = undefined;
    schedulers = [];
    prefix = `fledge-test-${randomUUID().slice(0, 8)}`;
  });

  afterEach(async () => {
    await Promise.all(schedulers.map((s) => s.stop()));
    await redis?.dispose();
  });

  it('keeps retrying while Redis is unreachable at start, says why once, and ticks once it is up', async () => {
    const port = await freePort();
    const { logger, lines } = captureLogger();
    const ticks = new Ticks();
    const scheduler = make({ url: `redis://:s3cret-pw@127.0.0.1:${port}`, logger });
    expect(() => scheduler.start(ticks.handler('a'))).not.toThrow();
    scheduler.schedule('ns/a', 300);
    await expect(scheduler.metrics()).rejects.toThrow(SchedulerUnavailableError);
    await sleep(1_500);
    expect(ticks.count('ns/a')).toBe(0);

    const errors = lines.filter((l) => l.level === 'error');
    expect(errors).toHaveLength(1);
    expect(errors[0]!.msg).toContain(`cannot reach Redis at redis://127.0.0.1:${port}: `);
    expect(errors[0]!.msg).toContain('retrying with backoff');
    // Many attempts were made meanwhile, logged quietly.
    expect(lines.filter((l) => l.msg === 'Redis still unreachable').length).toBeGreaterThanOrEqual(2);

    redis = await startRedis({ port, password: 's3cret-pw' });
    await ticks.waitForCount('ns/a', 2, 15_000);
    expect(lines.some((l) => l.level === 'info' && l.msg === 'connected to Redis again')).toBe(true);
    expect(JSON.stringify(lines)).not.toContain('s3cret-pw');
  });

  it('resumes ticking after Redis restarts empty, putting the schedules back', async () => {
    redis = await startRedis({ password: 'pw' });
    const ticks = new Ticks();
    const scheduler = make({ connection: { url: redis.url, password: 'pw' } });
    scheduler.start(ticks.handler('a'));
    scheduler.schedule('ns/a', 300);
    scheduler.schedule('ns/b', 300);
    await ticks.waitForCount('ns/a', 2, 10_000);

    await redis.stop();
    await expect(scheduler.metrics()).rejects.toThrow(SchedulerUnavailableError);
    await sleep(500);
    await redis.start();
    const a = ticks.count('ns/a');
    const b = ticks.count('ns/b');
    await ticks.waitForCount('ns/a', a + 3, 20_000);
    await ticks.waitForCount('ns/b', b + 3, 20_000);
    const metrics = await scheduler.metrics();
    expect(metrics.delayed + metrics.waiting + metrics.active).toBeGreaterThanOrEqual(1);
  });

  it('shares the ids between two schedulers on one prefix, never running one id on both at once', async () => {
    redis = await startRedis();
    const ticks = new Ticks();
    const ids = ['ns/a', 'ns/b', 'ns/c', 'ns/d', 'ns/e', 'ns/f'];
    // Ticks slower than the interval, so that the next one is due while one still runs.
    const slow = (): number => 150 + Math.floor(Math.random() * 300);
    const replicas = [make({ concurrency: 2 }), make({ concurrency: 2 })];
    replicas.forEach((replica, i) => replica.start(ticks.handler(`replica-${i}`, slow)));
    const startedAt = Date.now();
    // Both replicas see every canary and schedule it, as their watchers do.
    for (const replica of replicas) for (const id of ids) replica.schedule(id, 300);
    await sleep(4_000);
    for (const id of ids) {
      setTimeout(() => replicas[0]!.trigger(id), 50);
      setTimeout(() => replicas[1]!.trigger(id), 60);
    }
    await sleep(1_000);
    await Promise.all(replicas.map((r) => r.stop()));
    const elapsedMs = Date.now() - startedAt;

    expect(ticks.all.filter((t) => t.by === 'replica-0').length).toBeGreaterThan(0);
    expect(ticks.all.filter((t) => t.by === 'replica-1').length).toBeGreaterThan(0);
    for (const id of ids) {
      expect(ticks.maxConcurrent.get(id)).toBe(1);
      expect(ticks.count(id)).toBeGreaterThanOrEqual(3);
      // One schedule per id, not one per replica (plus the triggers).
      expect(ticks.count(id)).toBeLessThanOrEqual(elapsedMs / 300 + 4);
    }
  });

  it('runs again on another worker a tick whose worker was killed mid-tick', async () => {
    redis = await startRedis();
    const id = 'ns/stalled';
    const child = spawnSchedulerChild({
      REDIS_URL: redis.url,
      PREFIX: prefix,
      CANARY_ID: id,
      INTERVAL_MS: '60000',
      LOCK_DURATION_MS: '1000',
      STALLED_INTERVAL_MS: '500',
    });
    try {
      await child.waitForLine(`tick ${id}`, 30_000);
      const ticks = new Ticks();
      // The survivor is never told about the canary: the schedule and the job live in Redis.
      const survivor = make({ lockDurationMs: 1_000, stalledIntervalMs: 500 });
      survivor.start(ticks.handler('survivor'));
      // While the child lives, it keeps its tick: the survivor runs none.
      await sleep(2_500);
      expect(ticks.count(id)).toBe(0);

      const killedAt = Date.now();
      child.process.kill('SIGKILL');
      await ticks.waitForCount(id, 1, 15_000);
      expect(ticks.all[0]!.startedAt).toBeGreaterThanOrEqual(killedAt);
    } finally {
      child.process.kill('SIGKILL');
    }
  });

  it('does not run a tick that was already due when its canary was removed', async () => {
    redis = await startRedis();
    const ticks = new Ticks();
    // One slot, taken by a slow tick: the next canary's first tick waits in the queue.
    const scheduler = make({ concurrency: 1 });
    scheduler.start(ticks.handler('a', () => 1_500));
    scheduler.schedule('ns/slow', 60_000);
    await ticks.waitForCount('ns/slow', 1, 10_000);
    scheduler.schedule('ns/removed', 60_000);
    await sleep(300);
    expect((await scheduler.metrics()).waiting).toBeGreaterThanOrEqual(1);
    scheduler.remove('ns/removed');
    await sleep(2_500);
    expect(ticks.count('ns/removed')).toBe(0);
    // The slot is free again and serves the remaining canary.
    scheduler.trigger('ns/slow');
    await ticks.waitForCount('ns/slow', 2, 10_000);
  });

  it('ticks, after a restart, the schedules already in Redis without being given them again', async () => {
    redis = await startRedis();
    const ticks = new Ticks();
    const first = make({});
    first.start(ticks.handler('first'));
    first.schedule('ns/a', 300);
    await ticks.waitForCount('ns/a', 2, 10_000);
    await first.stop();

    const second = make({});
    second.start(ticks.handler('second'));
    const before = ticks.count('ns/a');
    await ticks.waitForCount('ns/a', before + 3, 10_000);
    expect(ticks.count('ns/a', 'second')).toBeGreaterThanOrEqual(3);
  });

  it('finishes the tick in flight on stop even when Redis is gone, within the close timeout', async () => {
    redis = await startRedis();
    const ticks = new Ticks();
    const { logger, lines } = captureLogger();
    const scheduler = make({ logger, closeTimeoutMs: 1_000 });
    scheduler.start(ticks.handler('a', () => 1_000));
    scheduler.schedule('ns/a', 60_000);
    await ticks.waitForCount('ns/a', 1, 10_000);
    await redis.stop();
    const stoppingAt = Date.now();
    await scheduler.stop();
    expect(ticks.all.every((t) => t.endedAt !== undefined)).toBe(true);
    // The tick's own second, then at most a few close timeouts: never hanging on Redis.
    expect(Date.now() - stoppingAt).toBeLessThan(8_000);
    expect(lines.some((l) => l.level === 'warn' && /cutting the connection/.test(l.msg))).toBe(true);
  });
});

/** A scheduler child process and a way to wait for what it prints. */
function spawnSchedulerChild(env: Record<string, string>): {
  process: ChildProcess;
  waitForLine(line: string, timeoutMs: number): Promise<void>;
} {
  const hooks = new URL('./ts-hooks.mjs', import.meta.url).href;
  const register = `data:text/javascript,import{register}from'node:module';register(${JSON.stringify(hooks)});`;
  const script = fileURLToPath(new URL('./scheduler-child.ts', import.meta.url));
  const child = spawn(process.execPath, ['--no-warnings', '--import', register, script], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
  child.stderr?.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
  return {
    process: child,
    waitForLine: async (line, timeoutMs) => {
      const deadline = Date.now() + timeoutMs;
      while (!out.split('\n').includes(line)) {
        if (child.exitCode !== null) throw new Error(`scheduler child exited (${child.exitCode}):\n${out}`);
        if (Date.now() > deadline) throw new Error(`scheduler child did not print "${line}":\n${out}`);
        await sleep(50);
      }
    },
  };
}
