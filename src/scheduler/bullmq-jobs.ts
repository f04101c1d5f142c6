/**
 * The BullMQ scheduler's jobs in Redis: what a tick job carries, and the queue operations that
 * create, upsert and remove a canary's schedule and trigger. Each is one idempotent step, so that
 * every replica may run it for every canary it sees (see `bullmq-scheduler.ts`).
 */
import type { Queue } from 'bullmq';
import { nextSlot, phaseOf } from './phase.js';

/** What a tick job carries: the canary id. */
export interface TickData {
  id: string;
}

/** Job names: a scheduled tick, or a trigger. */
export const JobNames = { tick: 'tick', trigger: 'trigger' } as const;

/** How many failed jobs the queue keeps, for inspection. */
export const KEPT_FAILED_JOBS = 100;

const triggerKey = (id: string): string => `trigger:${id}`;

/**
 * Adds the trigger job of `id`: one tick as soon as a worker is free. Deduplicated by the canary id
 * (BullMQ `keepLastIfActive`): triggers before it starts make one tick, triggers while it runs make
 * one more after it.
 */
export async function addTrigger(queue: Queue<TickData>, id: string): Promise<void> {
  await queue.add(
    JobNames.trigger,
    { id },
    {
      deduplication: { id: triggerKey(id), keepLastIfActive: true },
      removeOnComplete: true,
      removeOnFail: { count: KEPT_FAILED_JOBS },
    },
  );
}

/**
 * Creates or updates the job scheduler of `id`, ticking every `everyMs` at the canary's phase; a
 * new one is triggered at once. `nowMs` is the moment the start date is counted from.
 */
export async function upsertSchedule(
  queue: Queue<TickData>,
  id: string,
  everyMs: number,
  nowMs: number,
): Promise<void> {
  const isNew = (await queue.getJobScheduler(id)) === undefined;
  const phase = phaseOf(id, everyMs);
  // BullMQ reads an offset of 0 as none (the phase of the moment of creation): phase 0 is `every`.
  // The start date is used only when the schedule is new or its interval changed: as in-process,
  // the first scheduled tick comes at least half an interval later, at the phase.
  await queue.upsertJobScheduler(
    id,
    { every: everyMs, offset: phase || everyMs, startDate: nextSlot(nowMs + everyMs / 2, everyMs, phase) },
    {
      name: JobNames.tick,
      data: { id },
      opts: { removeOnComplete: true, removeOnFail: { count: KEPT_FAILED_JOBS } },
    },
  );
  // Its first slot may be an interval away: a new canary ticks at once, as with the in-process
  // scheduler. Replicas that both see it new add one trigger between them (deduplicated).
  if (isNew) await addTrigger(queue, id);
}

/** Removes the job scheduler of `id` and its waiting trigger. */
export async function removeSchedule(queue: Queue<TickData>, id: string): Promise<void> {
  await queue.removeJobScheduler(id);
  const triggerJobId = await queue.getDeduplicationJobId(triggerKey(id));
  // A trigger already running cannot be removed; it finds no schedule and does nothing.
  if (triggerJobId) await queue.remove(triggerJobId).catch(() => 0);
}
