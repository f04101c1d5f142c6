/**
 * The scheduler on BullMQ and Redis: canaries' ticks are jobs in one queue, so the replicas of
 * the controller that share the queue share the canaries.
 *
 * - Each canary has a BullMQ job scheduler keyed by its id, repeating every interval at the
 *   canary's own phase of it (BullMQ's `offset`, from `phase.ts`), so canaries created together
 *   do not tick together; a changed interval updates it in place. A new canary ticks at once (a
 *   trigger), and its first scheduled tick comes at least half an interval later. Every replica
 *   schedules every canary it sees, which is idempotent, so the schedules survive any one replica.
 * - A trigger is one job deduplicated by the canary id (BullMQ `keepLastIfActive`): triggers
 *   before it starts make one tick, triggers while it runs make one more after it.
 * - Two ticks of one canary never run at once: a per-canary guard in Redis (`redis-tick-guard.ts`)
 *   drops a scheduled tick that finds its canary busy (the next one comes an interval later) and
 *   delays a trigger until the canary is free. Correctness does not rest on the guard: the
 *   reconciler's status write is conditioned on the resourceVersion its tick read (see
 *   src/controller/reconciler.ts); the guard only avoids wasted work.
 * - Failures: Redis unreachable is logged once and retried with capped backoff, never thrown
 *   from `start()`; on every (re)connection the schedules this process wants are upserted again,
 *   so a Redis that restarted empty gets them back; a worker that dies mid-tick loses the job's
 *   lock, and another worker's stalled-job check runs the tick again.
 */
import { Queue, Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { pino, type Logger } from 'pino';
import {
  reconnectDelayMs,
  resolveBullMqSchedulerOptions,
  type BullMqSchedulerOptions,
  type ResolvedBullMqSchedulerOptions,
} from './bullmq-options.js';
import {
  addTrigger,
  KEPT_FAILED_JOBS,
  removeSchedule,
  upsertSchedule,
  type TickData,
} from './bullmq-jobs.js';
import { processTickJob } from './bullmq-tick-processor.js';
import { LatenessRecorder } from './lateness-recorder.js';
import { RedisTickGuard } from './redis-tick-guard.js';
import {
  assertInterval,
  MAX_TIMER_DELAY_MS,
  type Scheduler,
  type SchedulerHealth,
  type SchedulerMetrics,
  type TickHandler,
} from './scheduler.js';

export { JobNames } from './bullmq-jobs.js';

/** Rejected by `metrics()` when Redis does not answer in time. */
export class SchedulerUnavailableError extends Error {
  override name = 'SchedulerUnavailableError';
}

/** Resolves true when `promise` settles within `ms`, false otherwise (never rejects). */
async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  const settled = promise.then(
    () => true,
    () => true,
  );
  try {
    return await Promise.race([settled, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

interface Connection {
  client: Redis;
  queue: Queue<TickData>;
  guard: RedisTickGuard;
}

/** {@link Scheduler} on a BullMQ queue in Redis, shared by every replica that uses the same prefix. */
export class BullMqScheduler implements Scheduler {
  private readonly o: ResolvedBullMqSchedulerOptions;
  private readonly logger: Logger;
  /** The schedules this process wants, upserted again on every (re)connection. */
  private readonly desired = new Map<string, number>();
  /** Removals not yet confirmed by Redis. */
  private readonly pendingRemovals = new Set<string>();
  /** Triggers asked for but not yet sent: more triggers meanwhile are the same trigger. */
  private readonly pendingTriggers = new Set<string>();
  /** Redis operations per id, chained so that they reach Redis in the order they were asked for. */
  private readonly ops = new Map<string, Promise<void>>();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly lateness = new LatenessRecorder();
  private connection: Connection | undefined;
  private worker: Worker<TickData> | undefined;
  private handler: TickHandler | undefined;
  private stopping: Promise<void> | undefined;
  /** Redis was reported unreachable and has not been reachable since. */
  private down = false;

  /** Validates `options` at once (throws `SchedulerOptionsError`); connects on first use. */
  constructor(options: BullMqSchedulerOptions) {
    this.o = resolveBullMqSchedulerOptions(options);
    this.logger = (options.logger ?? pino({ level: 'silent' })).child({
      component: 'scheduler',
      redis: this.o.safeUrl,
      queue: `${this.o.prefix}:${this.o.queueName}`,
    });
  }

  schedule(id: string, intervalMs: number): void {
    assertInterval(id, intervalMs);
    if (this.stopping) return;
    // Capped: Redis scores of delayed jobs lose precision past it, and no interval the API accepts
    // comes near it (analysis.interval is at most 24h); a capped schedule ticks more often, never
    // in a burst.
    const every = Math.min(Math.max(1, Math.round(intervalMs)), MAX_TIMER_DELAY_MS);
    if (this.desired.get(id) === every) return;
    this.desired.set(id, every);
    this.pendingRemovals.delete(id);
    this.enqueue(id, () => this.upsert(id));
  }

  trigger(id: string): void {
    if (this.stopping || !this.desired.has(id) || this.pendingTriggers.has(id)) return;
    this.pendingTriggers.add(id);
    this.enqueue(id, async (c) => {
      this.pendingTriggers.delete(id);
      if (!this.desired.has(id)) return;
      await addTrigger(c.queue, id);
    });
  }

  remove(id: string): void {
    if (this.stopping) return;
    this.desired.delete(id);
    this.pendingTriggers.delete(id);
    this.pendingRemovals.add(id);
    this.enqueue(id, () => this.removeRemote(id));
  }

  start(handler: TickHandler): void {
    if (this.stopping || this.worker) return;
    this.handler = handler;
    const { client } = this.connect();
    const worker = new Worker<TickData>(this.o.queueName, (job, token) => this.process(job, token), {
      connection: client,
      prefix: this.o.prefix,
      concurrency: this.o.concurrency,
      lockDuration: this.o.lockDurationMs,
      stalledInterval: this.o.stalledIntervalMs,
      // A tick whose worker died is run again, a second time too; a tick that keeps killing its
      // workers is given up (failed) and the next scheduled one tries again.
      maxStalledCount: 2,
      removeOnComplete: { count: 0 },
      removeOnFail: { count: KEPT_FAILED_JOBS },
    });
    worker.on('error', (err) => this.onQueueError(err));
    worker.on('failed', (job, err) => {
      this.logger.warn({ err, canary: job?.data?.id, job: job?.id }, 'tick job failed');
    });
    this.worker = worker;
  }

  /** Stops taking jobs, waits for the ticks in flight, then closes the queue and connections. */
  stop(): Promise<void> {
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  health(): SchedulerHealth {
    if (this.stopping) return { healthy: false, reason: 'the BullMQ scheduler is stopping' };
    if (this.worker && !this.worker.isRunning())
      return { healthy: false, reason: `the BullMQ worker of queue ${this.o.queueName} has stopped` };
    return { healthy: true };
  }

  async metrics(): Promise<SchedulerMetrics> {
    const { client, queue } = this.connect();
    if (client.status !== 'ready') {
      throw new SchedulerUnavailableError(`Redis at ${this.o.safeUrl} is not connected (${client.status})`);
    }
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new SchedulerUnavailableError(
              `Redis at ${this.o.safeUrl} did not answer in ${this.o.metricsTimeoutMs} ms`,
            ),
          ),
        this.o.metricsTimeoutMs,
      );
    });
    try {
      const counts = await Promise.race([
        queue.getJobCounts('waiting', 'active', 'delayed', 'failed'),
        timeout,
      ]);
      return {
        waiting: counts['waiting'] ?? 0,
        active: counts['active'] ?? 0,
        delayed: counts['delayed'] ?? 0,
        failed: counts['failed'] ?? 0,
        latenessMs: this.lateness.drain(),
      };
    } finally {
      clearTimeout(timer);
    }
  }

  async prune(keep: ReadonlySet<string>, namespace?: string): Promise<string[]> {
    if (this.stopping) return [];
    const { queue } = this.connect();
    const removed: string[] = [];
    for (const scheduler of await queue.getJobSchedulers(0, -1)) {
      const id = scheduler.key;
      if (keep.has(id) || this.desired.has(id)) continue;
      if (namespace !== undefined && !id.startsWith(`${namespace}/`)) continue;
      removed.push(id);
      // If the Canary appears meanwhile, its watch event schedules it again, after this removal
      // (operations on one id run in order).
      this.enqueue(id, () => this.removeRemote(id));
    }
    await Promise.all(removed.map((id) => this.ops.get(id)));
    return removed;
  }

  /** The ids this process has scheduled. */
  ids(): string[] {
    return [...this.desired.keys()];
  }

  private connect(): Connection {
    if (this.connection) return this.connection;
    const client = new Redis(this.o.url, {
      ...(this.o.password !== undefined ? { password: this.o.password } : {}),
      // Required by BullMQ: commands wait for the connection to come back instead of failing.
      maxRetriesPerRequest: null,
      retryStrategy: (attempt: number) => reconnectDelayMs(attempt, this.o.maxReconnectDelayMs),
    });
    client.on('error', (err: Error) => this.onConnectionError(err));
    client.on('ready', () => this.onReady());
    const queue = new Queue<TickData>(this.o.queueName, { connection: client, prefix: this.o.prefix });
    queue.on('error', (err) => this.onQueueError(err));
    const guard = new RedisTickGuard({
      client: { eval: (script, numKeys, ...keysAndArgs) => client.eval(script, numKeys, ...keysAndArgs) },
      keyPrefix: `${this.o.prefix}:${this.o.queueName}:guard:`,
      ttlMs: this.o.lockDurationMs,
    });
    this.connection = { client, queue, guard };
    return this.connection;
  }

  /** Runs `op` after the earlier operations on `id`; failures are logged, and retried on reconnection. */
  private enqueue(id: string, op: (c: Connection) => Promise<void>): void {
    const c = this.connect();
    const previous = this.ops.get(id) ?? Promise.resolve();
    const next = previous
      .then(() => op(c))
      .catch((err: unknown) => {
        if (this.stopping) return;
        this.logger.error(
          { err, canary: id },
          'could not update the schedule in Redis; retrying on reconnection',
        );
      });
    this.ops.set(id, next);
    void next.finally(() => {
      if (this.ops.get(id) === next) this.ops.delete(id);
    });
  }

  private async upsert(id: string): Promise<void> {
    const every = this.desired.get(id);
    if (every === undefined || !this.connection) return;
    await upsertSchedule(this.connection.queue, id, every, Date.now());
  }

  private async removeRemote(id: string): Promise<void> {
    if (this.desired.has(id) || !this.connection) return;
    await removeSchedule(this.connection.queue, id);
    this.pendingRemovals.delete(id);
  }

  /** On every (re)connection: Redis may have restarted empty, so put back what this process wants. */
  private onReady(): void {
    if (this.stopping) return;
    if (this.down) this.logger.info('connected to Redis again');
    this.down = false;
    for (const id of this.desired.keys()) this.enqueue(id, () => this.upsert(id));
    for (const id of this.pendingRemovals) this.enqueue(id, () => this.removeRemote(id));
  }

  private onConnectionError(err: Error): void {
    if (this.stopping) return;
    if (this.down) {
      this.logger.debug({ err }, 'Redis still unreachable');
      return;
    }
    this.down = true;
    this.logger.error(
      { err },
      `cannot reach Redis at ${this.o.safeUrl}: ${err.message}; retrying with backoff ` +
        `(at most ${this.o.maxReconnectDelayMs} ms between attempts), no ticks run meanwhile`,
    );
  }

  private onQueueError(err: Error): void {
    if (this.stopping && /Connection is closed/i.test(err.message)) return;
    if (this.down) this.logger.debug({ err }, 'queue error while Redis is unreachable');
    else this.logger.warn({ err }, 'queue error');
  }

  /** The worker's processor: a thin call to the handler, inside the canary's guard. */
  private async process(job: Job<TickData>, token: string | undefined): Promise<void> {
    const handler = this.handler;
    const connection = this.connection;
    if (!handler || !connection) {
      this.logger.warn({ job: job.id, name: job.name }, 'dropping a tick job without a canary id');
      return;
    }
    await processTickJob(job, token, {
      queue: connection.queue,
      guard: connection.guard,
      handler,
      logger: this.logger,
      isStopping: () => this.stopping !== undefined,
      lateness: this.lateness,
      inFlight: this.inFlight,
      busyRetryDelayMs: this.o.busyRetryDelayMs,
      lockDurationMs: this.o.lockDurationMs,
    });
  }

  private async shutdown(): Promise<void> {
    const worker = this.worker;
    const connection = this.connection;
    // Stop fetching first; BullMQ's close waits for the jobs in flight.
    const workerClosed = worker?.close() ?? Promise.resolve();
    // The ticks themselves are awaited without a deadline, as in-process: they bound their own I/O.
    // No tick starts after this point (`process` checks `stopping` right before it starts one).
    await Promise.all([...this.inFlight]);
    const graceful = await settlesWithin(
      Promise.all([workerClosed, ...this.ops.values()]),
      this.o.closeTimeoutMs,
    );
    if (!connection) return;
    if (!graceful) {
      this.logger.warn(
        `Redis did not acknowledge the end of the ticks within ${this.o.closeTimeoutMs} ms; cutting the connection`,
      );
      // Commands waiting for Redis fail at once on a closed connection, which lets the worker close.
      connection.client.disconnect();
      await settlesWithin(workerClosed, this.o.closeTimeoutMs);
    }
    const queueClosed = await settlesWithin(connection.queue.close(), this.o.closeTimeoutMs);
    const quit =
      graceful && queueClosed && (await settlesWithin(connection.client.quit(), this.o.closeTimeoutMs));
    if (!quit) connection.client.disconnect();
  }
}
