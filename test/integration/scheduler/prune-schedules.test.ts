/**
 * A Canary deleted while no replica ran leaves its BullMQ job scheduler in Redis. The next replica
 * to start prunes it, against its informer's list of Canaries, and keeps the live ones.
 */
import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import { pino } from 'pino';
import { CanaryWatcher } from '../../../src/controller/canary-watcher.js';
import type { Reconciler } from '../../../src/controller/reconciler.js';
import { MemoryCluster } from '../../../src/kube/memory/memory-cluster.js';
import { BullMqScheduler } from '../../../src/scheduler/bullmq-scheduler.js';
import { DEFAULT_QUEUE_NAME } from '../../../src/scheduler/bullmq-options.js';
import { startRedis, type RedisInstance } from '../../support/devtools/redis-server.js';
import { canaryObject } from '../../unit/controller/harness.js';
import { setTimeout as sleep } from 'node:timers/promises';

let redis: RedisInstance | undefined;

beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.dispose();
});

it('removes the schedules of Canaries that no longer exist when a replica starts, and keeps the rest', async () => {
  const prefix = `prune-${randomUUID().slice(0, 8)}`;
  const make = () =>
    new BullMqScheduler({ connection: { url: redis!.url }, prefix, concurrency: 2, closeTimeoutMs: 1_000 });
  const ticks: string[] = [];
  const reconciler = {
    reconcileOnce: async (namespace: string, name: string) => {
      ticks.push(`${namespace}/${name}`);
      return { phase: undefined };
    },
  } as unknown as Reconciler;

  // The replicas that ran before: they scheduled three canaries, then all stopped.
  const earlier = make();
  earlier.start(async () => undefined);
  for (const id of ['test/live', 'test/deleted', 'test/deleted-too']) earlier.schedule(id, 60_000);
  await earlier.stop();
  const queue = new Queue(DEFAULT_QUEUE_NAME, { connection: { url: redis!.url }, prefix });
  const keys = async () => (await queue.getJobSchedulers(0, -1)).map((s) => s.key).sort();
  try {
    expect(await keys()).toEqual(['test/deleted', 'test/deleted-too', 'test/live']);

    // Meanwhile two of them were deleted: the cluster holds only test/live.
    const cluster = new MemoryCluster();
    await cluster.create(canaryObject('live'));
    const scheduler = make();
    const watcher = new CanaryWatcher({ cluster, scheduler, reconciler, logger: pino({ level: 'silent' }) });
    watcher.start();
    try {
      const deadline = Date.now() + 10_000;
      while ((await keys()).length !== 1 && Date.now() < deadline) await sleep(50);
      expect(await keys()).toEqual(['test/live']);
      while (!ticks.includes('test/live') && Date.now() < deadline) await sleep(50);
      expect(ticks).toContain('test/live');
      expect(ticks.filter((id) => id !== 'test/live')).toEqual([]);
    } finally {
      await watcher.stop();
    }
  } finally {
    await queue.close();
  }
}, 60_000);
