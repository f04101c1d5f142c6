/**
 * The Scheduler contract: what the controller relies on from any scheduler, run against the
 * in-process one (unit) and the BullMQ one on a real Redis (integration).
 *
 * Real time, short intervals, generous bounds: these are behavioural checks (a tick comes, comes
 * again, stops, never overlaps, is not doubled), never timing benchmarks. A bound that a slow
 * machine could break is an upper bound on how often something happens, or a deadline of seconds
 * for something due in a fraction of one.
 *
 * Restart recovery is demanded only in the form both implementations can give: after a scheduler
 * stops, a new one on the same backing store, given the same schedules again by its caller (as
 * the CanaryWatcher does from its initial list), ticks them at their interval and not twice as
 * often. That a BullMQ scheduler also ticks schedules it was never given is tested on its own.
 */
import { phaseOf } from '../../src/scheduler/phase.js';
import type { Scheduler } from '../../src/scheduler/scheduler.js';
import { setTimeout as sleep } from 'node:timers/promises';

/** Schedulers on one backing store, fresh for each test. */
export interface SchedulerFixture {
  /** A new scheduler on the fixture's backing store (BullMQ: the same Redis and prefix). */
  create(): Scheduler;
  /** The most ticks one of the fixture's schedulers runs at once (its concurrency setting). */
  concurrency: number;
  /** Removes what the test left; the suite has stopped every scheduler it created first. */
  cleanup(): Promise<void>;
}

/** The interval most tests schedule at. */
const INTERVAL_MS = 300;
/** Time allowed for one test: they last a few seconds each, in real time. */
const TEST_TIMEOUT_MS = 30_000;
/** An interval long enough that its second tick never comes during a test. */
const LONG_INTERVAL_MS = 60_000;

const check = (title: string, fn: () => Promise<void>): void => it(title, fn, TEST_TIMEOUT_MS);

interface TickRecord {
  id: string;
  startedAt: number;
  endedAt?: number;
}

/** A handler that records ticks, can be slowed or made to throw per id, and tracks overlap. */
class TickLog {
  readonly ticks: TickRecord[] = [];
  private readonly running = new Map<string, number>();
  readonly maxConcurrent = new Map<string, number>();
  /** Ticks running now, and the most that ever ran at once, over all ids. */
  private runningAll = 0;
  maxConcurrentAll = 0;
  /** How long a tick of an id takes. */
  readonly durationMs = new Map<string, number>();
  /** Ids whose next tick throws. */
  readonly throwNext = new Set<string>();

  readonly handler = async (id: string): Promise<void> => {
    const record: TickRecord = { id, startedAt: Date.now() };
    this.ticks.push(record);
    const now = (this.running.get(id) ?? 0) + 1;
    this.running.set(id, now);
    this.maxConcurrent.set(id, Math.max(now, this.maxConcurrent.get(id) ?? 0));
    this.runningAll += 1;
    this.maxConcurrentAll = Math.max(this.maxConcurrentAll, this.runningAll);
    try {
      await sleep(this.durationMs.get(id) ?? 10);
      if (this.throwNext.delete(id)) throw new Error(`tick of ${id} failed on purpose`);
    } finally {
      this.running.set(id, (this.running.get(id) ?? 1) - 1);
      this.runningAll -= 1;
      record.endedAt = Date.now();
    }
  };

  of(id: string): TickRecord[] {
    return this.ticks.filter((t) => t.id === id);
  }

  count(id: string): number {
    return this.of(id).length;
  }

  /** Waits until `id` has at least `n` ticks started; fails with what was seen at the deadline. */
  async waitForCount(id: string, n: number, timeoutMs = 10_000): Promise<TickRecord[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.count(id) < n) {
      if (Date.now() > deadline) {
        throw new Error(`expected ${n} ticks of ${id} within ${timeoutMs} ms, saw ${this.count(id)}`);
      }
      await sleep(20);
    }
    return this.of(id);
  }

  /** Waits until no tick of `id` runs. */
  async waitIdle(id: string, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while ((this.running.get(id) ?? 0) > 0) {
      if (Date.now() > deadline) throw new Error(`a tick of ${id} still runs after ${timeoutMs} ms`);
      await sleep(20);
    }
  }
}

/** Runs the Scheduler contract against the schedulers `makeFixture` creates. */
export function describeSchedulerContract(
  name: string,
  makeFixture: () => SchedulerFixture | Promise<SchedulerFixture>,
): void {
  describe(`Scheduler contract: ${name}`, () => {
    let fixture: SchedulerFixture;
    let created: Scheduler[];
    let log: TickLog;

    const create = (): Scheduler => {
      const scheduler = fixture.create();
      created.push(scheduler);
      return scheduler;
    };
    const started = (): Scheduler => {
      const scheduler = create();
      scheduler.start(log.handler);
      return scheduler;
    };

    beforeEach(async () => {
      fixture = await makeFixture();
      created = [];
      log = new TickLog();
    });

    afterEach(async () => {
      await Promise.all(created.map((s) => s.stop().catch(() => undefined)));
      await fixture.cleanup();
    });

    check('ticks a new id soon, then about every interval', async () => {
      const scheduler = started();
      const scheduledAt = Date.now();
      scheduler.schedule('ns/a', INTERVAL_MS);
      const [first] = await log.waitForCount('ns/a', 1, 5_000);
      expect(first!.startedAt - scheduledAt).toBeLessThan(5_000);
      const ticks = await log.waitForCount('ns/a', 6, 10_000);
      const starts = ticks.slice(0, 6).map((t) => t.startedAt);
      const meanGapMs = (starts[5]! - starts[0]!) / 5;
      // Not faster than the interval (with timer slack), and not stalled either.
      expect(meanGapMs).toBeGreaterThanOrEqual(INTERVAL_MS * 0.7);
      expect(meanGapMs).toBeLessThan(INTERVAL_MS * 5);
    });

    check('ticks each id at its own phase of the interval, so ids scheduled together spread', async () => {
      const scheduler = started();
      const intervalMs = 3_000;
      const ids = ['ns/phase-a', 'ns/phase-b', 'ns/phase-c'];
      for (const id of ids) scheduler.schedule(id, intervalMs);
      for (const id of ids) {
        const ticks = await log.waitForCount(id, 3, 15_000);
        // The first tick may come at once; the later ones at the id's phase, give or take timer lateness
        // (and a timer may fire a millisecond early by the wall clock).
        for (const tick of ticks.slice(1, 3)) {
          let offPhase =
            (((tick.startedAt - phaseOf(id, intervalMs)) % intervalMs) + intervalMs) % intervalMs;
          if (offPhase > intervalMs / 2) offPhase -= intervalMs;
          const at = offPhase >= -50 && offPhase < 1_000;
          expect(`${id} ${at ? 'at' : 'off'} its phase (${offPhase} ms after it)`).toBe(
            `${id} at its phase (${offPhase} ms after it)`,
          );
        }
      }
    });

    check('keeps the timing when the interval is unchanged and follows a changed interval', async () => {
      const scheduler = started();
      scheduler.schedule('ns/a', INTERVAL_MS);
      await log.waitForCount('ns/a', 2);

      // Scheduling again at the same interval (every watch event does) must not add ticks.
      const before = log.count('ns/a');
      for (let i = 0; i < 10; i++) {
        scheduler.schedule('ns/a', INTERVAL_MS);
        await sleep(100);
      }
      expect(log.count('ns/a') - before).toBeLessThanOrEqual(Math.ceil(1_000 / INTERVAL_MS) + 2);

      // A longer interval takes over (a tick at the change is allowed).
      scheduler.schedule('ns/a', 2_000);
      await sleep(300);
      const atChange = log.count('ns/a');
      await sleep(3_000);
      const slow = log.count('ns/a') - atChange;
      expect(slow).toBeLessThanOrEqual(3);

      // And a shorter one again.
      scheduler.schedule('ns/a', INTERVAL_MS);
      const back = log.count('ns/a');
      await log.waitForCount('ns/a', back + 4, 10_000);
    });

    check('stops ticking a removed id and only that one', async () => {
      const scheduler = started();
      scheduler.schedule('ns/a', INTERVAL_MS);
      scheduler.schedule('ns/b', INTERVAL_MS);
      await log.waitForCount('ns/a', 2);
      await log.waitForCount('ns/b', 2);
      scheduler.remove('ns/a');
      // A tick already under way may still finish.
      await sleep(800);
      await log.waitIdle('ns/a');
      const removedAt = log.count('ns/a');
      const bAt = log.count('ns/b');
      await sleep(1_500);
      expect(log.count('ns/a')).toBe(removedAt);
      expect(log.count('ns/b') - bAt).toBeGreaterThanOrEqual(2);
    });

    check(
      'prunes schedules left by a stopped scheduler and not kept, in the namespace asked, but never ids it was given',
      async () => {
        const earlier = started();
        for (const id of ['ns/kept', 'ns/gone', 'other/c']) earlier.schedule(id, INTERVAL_MS);
        await log.waitForCount('ns/gone', 1);
        await earlier.stop();
        // The replicas are gone; "ns/gone" is deleted meanwhile. A new scheduler starts and is given
        // what exists, and one id it is given but the caller forgot to keep.
        const scheduler = started();
        scheduler.schedule('ns/kept', INTERVAL_MS);
        scheduler.schedule('ns/given', INTERVAL_MS);
        const removed = await scheduler.prune(new Set(['ns/kept']), 'ns');
        // Only a shared store remembers another scheduler's schedules; either way none of the others go.
        expect(removed.filter((id) => id !== 'ns/gone')).toEqual([]);
        await sleep(800);
        await log.waitIdle('ns/gone');
        const goneAt = log.count('ns/gone');
        const keptAt = log.count('ns/kept');
        const givenAt = log.count('ns/given');
        await sleep(1_500);
        expect(log.count('ns/gone')).toBe(goneAt);
        expect(log.count('ns/kept') - keptAt).toBeGreaterThanOrEqual(2);
        expect(log.count('ns/given') - givenAt).toBeGreaterThanOrEqual(2);
      },
    );

    check('runs a tick at once on trigger; several triggers before it starts make one tick', async () => {
      const scheduler = started();
      scheduler.schedule('ns/a', LONG_INTERVAL_MS);
      await log.waitForCount('ns/a', 1);
      await log.waitIdle('ns/a');
      await sleep(300);
      expect(log.count('ns/a')).toBe(1);

      const triggeredAt = Date.now();
      for (let i = 0; i < 5; i++) scheduler.trigger('ns/a');
      const ticks = await log.waitForCount('ns/a', 2, 5_000);
      expect(ticks[1]!.startedAt - triggeredAt).toBeLessThan(5_000);
      await sleep(1_500);
      expect(log.count('ns/a')).toBe(2);

      // An id that is not scheduled is not ticked by a trigger.
      scheduler.trigger('ns/unknown');
      await sleep(800);
      expect(log.count('ns/unknown')).toBe(0);
    });

    check('runs one more tick after a tick during which triggers came, never at the same time', async () => {
      const scheduler = started();
      log.durationMs.set('ns/a', 800);
      scheduler.schedule('ns/a', LONG_INTERVAL_MS);
      await log.waitForCount('ns/a', 1);
      for (let i = 0; i < 3; i++) scheduler.trigger('ns/a');
      const [first, second] = await log.waitForCount('ns/a', 2, 10_000);
      expect(first!.endedAt).toBeDefined();
      expect(second!.startedAt).toBeGreaterThanOrEqual(first!.endedAt!);
      await log.waitIdle('ns/a');
      await sleep(1_500);
      expect(log.count('ns/a')).toBe(2);
      expect(log.maxConcurrent.get('ns/a')).toBe(1);
    });

    check('never runs two ticks of one id at once, however slow the tick', async () => {
      const scheduler = started();
      for (const id of ['ns/a', 'ns/b']) {
        log.durationMs.set(id, 700);
        scheduler.schedule(id, 200);
      }
      await sleep(1_000);
      scheduler.trigger('ns/a');
      scheduler.trigger('ns/b');
      await log.waitForCount('ns/a', 3, 10_000);
      await log.waitForCount('ns/b', 3, 10_000);
      expect(log.maxConcurrent.get('ns/a')).toBe(1);
      expect(log.maxConcurrent.get('ns/b')).toBe(1);
    });

    check('keeps ticking an id whose handler threw', async () => {
      const scheduler = started();
      log.throwNext.add('ns/a');
      scheduler.schedule('ns/a', INTERVAL_MS);
      await log.waitForCount('ns/a', 3);
    });

    check('waits on stop for the tick in flight, and ticks no more', async () => {
      const scheduler = started();
      log.durationMs.set('ns/a', 600);
      scheduler.schedule('ns/a', INTERVAL_MS);
      await log.waitForCount('ns/a', 1);
      await scheduler.stop();
      expect(log.of('ns/a').every((t) => t.endedAt !== undefined)).toBe(true);
      const atStop = log.count('ns/a');
      await sleep(1_000);
      expect(log.count('ns/a')).toBe(atStop);
    });

    check(
      'resumes, on a new scheduler given the schedules again, at the interval and not doubled',
      async () => {
        const first = started();
        first.schedule('ns/a', INTERVAL_MS);
        await log.waitForCount('ns/a', 3);
        await first.stop();

        const second = started();
        second.schedule('ns/a', INTERVAL_MS);
        const resumed = log.count('ns/a');
        await log.waitForCount('ns/a', resumed + 1, 5_000);
        const windowStart = log.count('ns/a');
        await sleep(2_400);
        const inWindow = log.count('ns/a') - windowStart;
        expect(inWindow).toBeGreaterThanOrEqual(2);
        expect(inWindow).toBeLessThanOrEqual(2_400 / INTERVAL_MS + 2);
      },
    );

    check('reports queue counts and tick lateness, each observation once', async () => {
      const scheduler = started();
      log.durationMs.set('ns/a', 1_000);
      scheduler.schedule('ns/a', LONG_INTERVAL_MS);
      await log.waitForCount('ns/a', 1);
      const during = await scheduler.metrics();
      for (const count of [during.waiting, during.active, during.delayed, during.failed]) {
        expect(Number.isInteger(count) && count >= 0).toBe(true);
      }
      expect(during.active).toBeGreaterThanOrEqual(1);
      expect(during.latenessMs.length).toBeGreaterThanOrEqual(1);
      for (const lateness of during.latenessMs) {
        expect(lateness).toBeGreaterThanOrEqual(0);
        expect(lateness).toBeLessThan(10_000);
      }
      await log.waitIdle('ns/a');
      const after = await scheduler.metrics();
      expect(after.latenessMs).toEqual([]);
    });

    check('runs at most its concurrency of ticks at once, and every due tick in the end', async () => {
      const scheduler = started();
      const ids = Array.from({ length: fixture.concurrency * 3 }, (_, i) => `ns/c${i}`);
      for (const id of ids) {
        log.durationMs.set(id, 200);
        scheduler.schedule(id, LONG_INTERVAL_MS);
      }
      for (const id of ids) await log.waitForCount(id, 1);
      expect(log.maxConcurrentAll).toBeLessThanOrEqual(fixture.concurrency);
      expect(log.maxConcurrentAll).toBeGreaterThanOrEqual(2);
    });

    check('measures lateness from when a periodic tick was due, not from when it was planned', async () => {
      const scheduler = started();
      const intervalMs = 1_500;
      scheduler.schedule('ns/a', intervalMs);
      await log.waitForCount('ns/a', 4, 20_000);
      const { latenessMs } = await scheduler.metrics();
      const sorted = [...latenessMs].sort((a, b) => a - b);
      expect(sorted.length).toBeGreaterThanOrEqual(3);
      // A tick taken as due when it was planned (an interval earlier) shows about the interval.
      expect(sorted[Math.floor(sorted.length / 2)]).toBeLessThan(intervalMs / 2);
    });

    check('rejects a non-positive or infinite interval, naming the id', async () => {
      const scheduler = create();
      expect(() => scheduler.schedule('ns/a', 0)).toThrow('interval for ns/a must be positive, got 0 ms');
      expect(() => scheduler.schedule('ns/a', -5)).toThrow(RangeError);
      expect(() => scheduler.schedule('ns/a', Number.NaN)).toThrow(RangeError);
      expect(() => scheduler.schedule('ns/a', Infinity)).toThrow(
        'interval for ns/a must be finite, got Infinity ms',
      );
    });

    check('ticks an id with an interval beyond the longest timer once, not every millisecond', async () => {
      const scheduler = started();
      // Node's timers fire after 1 ms for a delay above 2^31-1 ms: a scheduler that handed this
      // interval to one timer would tick hundreds of times here.
      scheduler.schedule('ns/huge', 2 ** 31 * 8);
      scheduler.schedule('ns/big', 2 ** 31 + 5_000);
      await log.waitForCount('ns/huge', 1, 5_000);
      await log.waitForCount('ns/big', 1, 5_000);
      await sleep(1_500);
      expect(log.count('ns/huge')).toBe(1);
      expect(log.count('ns/big')).toBe(1);
    });
  });
}
