/**
 * A per-canary guard in Redis, so that two workers (or two slots of one worker) do not run ticks
 * of one canary at the same time. BullMQ alone does not promise that: a canary's next scheduled
 * tick, or a trigger, can be fetched by another worker while a slow tick still runs.
 *
 * Correctness does not rest on this guard. The reconciler writes the Canary's status with the
 * resourceVersion its tick read as a precondition (see src/controller/reconciler.ts), so of two
 * racing ticks only one can advance the canary. The guard only saves the wasted work of the
 * loser, and it errs on the side of running: a guard left by a dead worker expires (its TTL is
 * the job lock's duration, so it is usually gone by the time BullMQ hands the stalled job out
 * again), and a job handed out again takes over a guard its earlier run left in any case.
 */
/** Takes the guard when it is free or was left by an earlier run of the same job. */
const ACQUIRE = `
local current = redis.call('GET', KEYS[1])
if current == false or string.sub(current, 1, string.len(ARGV[1])) == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1] .. ARGV[2], 'PX', ARGV[3])
  return 1
end
return 0`;

/** Extends the guard if this holder still owns it. */
const EXTEND = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0`;

/** Deletes the guard if this holder still owns it. */
const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0`;

/** A guard this process holds. */
export interface HeldGuard {
  /** Extends the guard by the guard's TTL; false when it was lost (expired and taken). */
  extend(): Promise<boolean>;
  /** Lets go of the guard (a no-op if it was lost meanwhile). */
  release(): Promise<void>;
}

/** The one Redis command the guard needs: `EVAL script numKeys key... arg...`. */
export interface LuaRunner {
  eval(script: string, numKeys: number, ...keysAndArgs: string[]): Promise<unknown>;
}

export interface RedisTickGuardOptions {
  client: LuaRunner;
  /** Key prefix, e.g. `fledge:canary-ticks:guard:`; the canary id is appended. */
  keyPrefix: string;
  /** How long a guard lives without being extended. */
  ttlMs: number;
}

/** Per-canary guards in Redis: `SET NX PX` with a holder token, released by compare-and-delete. */
export class RedisTickGuard {
  constructor(private readonly o: RedisTickGuardOptions) {}

  /**
   * Takes the guard of canary `id` for job `jobId` (run `runToken`), or returns undefined when
   * another job holds it. A guard left by an earlier run of the same job is taken over: BullMQ
   * only runs a job again once its previous worker lost the job's lock (stalled).
   */
  async acquire(id: string, jobId: string, runToken: string): Promise<HeldGuard | undefined> {
    const key = this.o.keyPrefix + id;
    const owner = `${jobId}|`;
    const value = owner + runToken;
    const taken = await this.o.client.eval(ACQUIRE, 1, key, owner, runToken, String(this.o.ttlMs));
    if (Number(taken) !== 1) return undefined;
    return {
      extend: async () => Number(await this.o.client.eval(EXTEND, 1, key, value, String(this.o.ttlMs))) === 1,
      release: async () => {
        await this.o.client.eval(RELEASE, 1, key, value);
      },
    };
  }
}
