/**
 * A BullMqScheduler in a process of its own, for the test that kills a worker mid-tick: it
 * schedules one canary, prints `tick <id>` when a tick starts and never finishes the tick.
 * Configured by environment: REDIS_URL, PREFIX, CANARY_ID, INTERVAL_MS, LOCK_DURATION_MS,
 * STALLED_INTERVAL_MS.
 */
import { BullMqScheduler } from '../../../src/scheduler/bullmq-scheduler.js';

function env(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
}

const id = env('CANARY_ID');
const scheduler = new BullMqScheduler({
  connection: { url: env('REDIS_URL') },
  prefix: env('PREFIX'),
  concurrency: 1,
  lockDurationMs: Number(env('LOCK_DURATION_MS')),
  stalledIntervalMs: Number(env('STALLED_INTERVAL_MS')),
});
scheduler.start(async (tickId) => {
  process.stdout.write(`tick ${tickId}\n`);
  // The tick never ends: the test kills this process while it runs.
  await new Promise<never>(() => undefined);
});
scheduler.schedule(id, Number(env('INTERVAL_MS')));
