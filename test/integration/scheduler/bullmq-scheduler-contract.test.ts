import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Queue } from 'bullmq';
import { DEFAULT_QUEUE_NAME } from '../../../src/scheduler/bullmq-options.js';
import { phaseOf } from '../../../src/scheduler/phase.js';
import { BullMqScheduler } from '../../../src/scheduler/bullmq-scheduler.js';
import { describeSchedulerContract } from '../../contract/scheduler-contract.js';
import { startRedis, type RedisInstance } from '../../support/devtools/redis-server.js';

let redis: RedisInstance;

beforeAll(async () => {
  redis = await startRedis();
});

afterAll(async () => {
  await redis?.dispose();
});

// Each test gets its own key prefix; schedulers of one test share it, as replicas do.
describeSchedulerContract('BullMqScheduler on Redis', () => {
  const prefix = `fledge-test-${randomUUID().slice(0, 8)}`;
  return {
    create: () =>
      new BullMqScheduler({
        connection: { url: redis.url },
        prefix,
        concurrency: 4,
        lockDurationMs: 2_000,
        stalledIntervalMs: 1_000,
        busyRetryDelayMs: 100,
      }),
    concurrency: 4,
    cleanup: async () => undefined,
  };
});

describe('BullMqScheduler timing', () => {
  it('ticks a new id at once, then plans its next tick at its phase, at least half an interval later', async () => {
    const prefix = `fledge-test-${randomUUID().slice(0, 8)}`;
    const scheduler = new BullMqScheduler({ connection: { url: redis.url }, prefix });
    const queue = new Queue(DEFAULT_QUEUE_NAME, { connection: { url: redis.url }, prefix });
    const ticks: number[] = [];
    try {
      scheduler.start(async () => void ticks.push(Date.now()));
      const scheduledAt = Date.now();
      scheduler.schedule('ns/a', 60_000);
      while (ticks.length === 0 && Date.now() - scheduledAt < 10_000) await sleep(20);
      expect(ticks).toHaveLength(1);
      const next = (await queue.getJobScheduler('ns/a'))?.next;
      expect(next).toBeGreaterThanOrEqual(scheduledAt + 30_000);
      expect((next! - phaseOf('ns/a', 60_000)) % 60_000).toBe(0);
    } finally {
      await scheduler.stop();
      await queue.close();
    }
  }, 30_000);
});
