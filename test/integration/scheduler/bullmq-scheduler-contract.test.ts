import { randomUUID } from 'node:crypto';
import { BullMqScheduler } from '../../../src/scheduler/bullmq-scheduler.js';
import { describeSchedulerContract } from '../../contract/scheduler-contract.js';
import { startRedis, type RedisInstance } from '../../../src/devtools/redis-server.js';

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
