/**
 * The BullMQ worker's processor: one tick job is a thin call to the tick handler, inside the
 * canary's guard in Redis, so two ticks of one canary never run at once (see `bullmq-scheduler.ts`).
 */
import { randomUUID } from 'node:crypto';
import { DelayedError, type Job, type Queue } from 'bullmq';
import type { Logger } from 'pino';
import { JobNames, type TickData } from './bullmq-jobs.js';
import type { LatenessRecorder } from './lateness-recorder.js';
import type { RedisTickGuard } from './redis-tick-guard.js';
import type { TickHandler } from './scheduler.js';

/** What a tick job runs with: the scheduler's connection, handler and bookkeeping. */
export interface TickJobContext {
  queue: Queue<TickData>;
  guard: RedisTickGuard;
  handler: TickHandler;
  logger: Logger;
  /** Whether the scheduler is stopping, read right before a tick starts. */
  isStopping: () => boolean;
  lateness: LatenessRecorder;
  /** The ticks running, which `stop()` waits for; a started tick is added until it ends. */
  inFlight: Set<Promise<void>>;
  /** A trigger finding its canary busy is retried after this long. */
  busyRetryDelayMs: number;
  /** The guard's lifetime; it is extended every half of it while the tick runs. */
  lockDurationMs: number;
}

/**
 * Runs the tick of `job`'s canary, or drops it (no canary id, no schedule any more, canary busy or
 * scheduler stopping); a trigger that cannot run now is moved back to the delayed jobs (it throws
 * BullMQ's `DelayedError`, as BullMQ requires), so it is never lost.
 */
export async function processTickJob(
  job: Job<TickData>,
  token: string | undefined,
  ctx: TickJobContext,
): Promise<void> {
  const id = job.data?.id;
  if (typeof id !== 'string') {
    ctx.logger.warn({ job: job.id, name: job.name }, 'dropping a tick job without a canary id');
    return;
  }
  const log = ctx.logger.child({ canary: id });
  // A job queued before its schedule was removed (a deleted canary) is dropped.
  if (!(await ctx.queue.getJobScheduler(id))) {
    log.debug({ job: job.id }, 'dropping a tick of a canary that is no longer scheduled');
    return;
  }
  const held = await ctx.guard.acquire(id, job.id ?? randomUUID(), randomUUID());
  // Stopping: a job fetched just before the worker closed is handed back (a trigger) or left to
  // the next interval (a scheduled tick), so that `stop()` knows every tick it must wait for.
  if (!held || ctx.isStopping()) {
    if (held) await held.release();
    if (job.name === JobNames.trigger) {
      // A trigger must not be lost: it waits for the tick in flight to finish.
      await job.moveToDelayed(Date.now() + ctx.busyRetryDelayMs, token);
      throw new DelayedError();
    }
    log.debug(
      { job: job.id },
      held
        ? 'stopping; leaving this tick to the next interval'
        : 'a tick of this canary runs; skipping this one',
    );
    return;
  }
  // Planned for creation time plus the delay it was created with: `job.delay` is reset to 0 when
  // BullMQ promotes a delayed job, `opts.delay` keeps it.
  ctx.lateness.observe(job.timestamp + (job.opts.delay ?? 0), job.processedOn ?? Date.now());
  const renew = setInterval(
    () => {
      held.extend().then(
        (ok) => ok || log.warn('lost the canary guard during a long tick; another tick may start'),
        (err: unknown) => log.debug({ err }, 'could not extend the canary guard'),
      );
    },
    Math.max(50, Math.floor(ctx.lockDurationMs / 2)),
  );
  const run = Promise.resolve()
    .then(() => ctx.handler(id))
    .catch((err: unknown) => log.error({ err }, 'tick handler threw; it must not'));
  ctx.inFlight.add(run);
  try {
    await run;
  } finally {
    clearInterval(renew);
    ctx.inFlight.delete(run);
    await held.release().catch((err: unknown) => log.debug({ err }, 'could not release the canary guard'));
  }
}
