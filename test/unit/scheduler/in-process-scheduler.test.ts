import { InProcessScheduler } from '../../../src/scheduler/in-process-scheduler.js';
import { ManualTimers } from '../../support/manual-timers.js';

function setup() {
  const timers = new ManualTimers();
  const scheduler = new InProcessScheduler({ timers, now: () => timers.nowMs, phase: () => 0 });
  const runs: { id: string; at: number }[] = [];
  let release: (() => void) | undefined;
  let blocking = false;
  scheduler.start(async (id) => {
    runs.push({ id, at: timers.nowMs });
    if (blocking) await new Promise<void>((r) => (release = r));
  });
  return {
    timers,
    scheduler,
    runs,
    block: () => (blocking = true),
    unblock: () => {
      blocking = false;
      release?.();
    },
  };
}

describe('InProcessScheduler', () => {
  it('ticks a new id at once and then every interval', async () => {
    const { timers, scheduler, runs } = setup();
    scheduler.schedule('ns/a', 1000);
    await timers.advance(3500);
    expect(runs.map((r) => r.at)).toEqual([0, 1000, 2000, 3000]);
  });

  it('never overlaps two ticks of one id and runs a trigger that came mid-tick right after', async () => {
    const { timers, scheduler, runs, block, unblock } = setup();
    block();
    scheduler.schedule('ns/a', 1000);
    await timers.advance(5000);
    expect(runs).toHaveLength(1);
    scheduler.trigger('ns/a');
    scheduler.trigger('ns/a');
    await timers.advance(10);
    expect(runs).toHaveLength(1);
    unblock();
    await timers.advance(0);
    expect(runs.map((r) => r.at)).toEqual([0, 5010]);
  });

  it('applies a new interval, and stops ticking a removed id', async () => {
    const { timers, scheduler, runs } = setup();
    scheduler.schedule('ns/a', 1000);
    await timers.advance(100);
    scheduler.schedule('ns/a', 500);
    await timers.advance(1000);
    // The next slot of the new interval at least half of it away: 500, then every 500.
    expect(runs.map((r) => r.at)).toEqual([0, 500, 1000]);
    scheduler.remove('ns/a');
    await timers.advance(5000);
    expect(runs).toHaveLength(3);
  });

  it('keeps ticking after a handler failure and waits for ticks in flight on stop', async () => {
    const timers = new ManualTimers();
    const scheduler = new InProcessScheduler({ timers, now: () => timers.nowMs, phase: () => 0 });
    let calls = 0;
    let finished = false;
    scheduler.start(async () => {
      calls += 1;
      if (calls === 1) throw new Error('boom');
      await new Promise((r) => setTimeout(r, 20));
      finished = true;
    });
    scheduler.schedule('ns/a', 1000);
    await timers.advance(1000);
    expect(calls).toBe(2);
    await scheduler.stop();
    expect(finished).toBe(true);
    await timers.advance(5000);
    expect(calls).toBe(2);
  });

  it("ticks each id at its own phase of the interval, and a trigger's successor at least half an interval later", async () => {
    const timers = new ManualTimers();
    const phases: Record<string, number> = { 'ns/a': 250, 'ns/b': 700 };
    const scheduler = new InProcessScheduler({ timers, now: () => timers.nowMs, phase: (id) => phases[id]! });
    const runs: string[] = [];
    scheduler.start(async (id) => void runs.push(`${id}@${timers.nowMs}`));
    scheduler.schedule('ns/a', 1000);
    scheduler.schedule('ns/b', 1000);
    await timers.advance(1800);
    expect(runs).toEqual(['ns/a@0', 'ns/b@0', 'ns/b@700', 'ns/a@1250', 'ns/b@1700']);
    scheduler.trigger('ns/a');
    await timers.advance(1500);
    // ns/a's slot at 2250 is less than half an interval after the trigger's tick at 1800: 3250.
    expect(runs.slice(5)).toEqual(['ns/a@1800', 'ns/b@2700', 'ns/a@3250']);
  });

  it('keeps the cadence of an id whose tick started late', async () => {
    const timers = new ManualTimers();
    const scheduler = new InProcessScheduler({
      timers,
      now: () => timers.nowMs,
      phase: () => 0,
      concurrency: 1,
    });
    const runs: string[] = [];
    const releases: (() => void)[] = [];
    scheduler.start(async (id) => {
      runs.push(`${id}@${timers.nowMs}`);
      if (runs.length === 1) await new Promise<void>((r) => releases.push(r));
    });
    scheduler.schedule('ns/a', 1000);
    scheduler.schedule('ns/b', 1000);
    await timers.advance(400);
    releases.shift()!(); // ns/b, due at 0, starts 400 ms late
    await timers.advance(1700);
    expect(runs).toEqual(['ns/a@0', 'ns/b@400', 'ns/a@1000', 'ns/b@1000', 'ns/a@2000', 'ns/b@2000']);
  });

  it('queues due ticks beyond its concurrency, counts them waiting and their wait as lateness', async () => {
    const timers = new ManualTimers();
    const scheduler = new InProcessScheduler({
      timers,
      phase: () => 0,
      concurrency: 1,
      now: () => timers.nowMs,
    });
    const releases: (() => void)[] = [];
    const runs: string[] = [];
    scheduler.start(async (id) => {
      runs.push(id);
      await new Promise<void>((r) => releases.push(r));
    });
    for (const id of ['ns/a', 'ns/b', 'ns/c']) scheduler.schedule(id, 60_000);
    await timers.advance(0);
    expect(runs).toEqual(['ns/a']);
    scheduler.trigger('ns/b'); // already due: no second tick
    scheduler.remove('ns/c'); // removed while waiting: never runs
    expect(await scheduler.metrics()).toMatchObject({ active: 1, waiting: 1 });
    await timers.advance(250);
    releases.shift()!();
    await timers.advance(0);
    expect(runs).toEqual(['ns/a', 'ns/b']);
    const { latenessMs } = await scheduler.metrics();
    expect(latenessMs).toEqual([250]); // ns/a's 0 was drained by the first read
    releases.shift()!();
    await timers.advance(0);
    expect(runs).toEqual(['ns/a', 'ns/b']);
    expect(() => new InProcessScheduler({ concurrency: 0 })).toThrow(
      'concurrency must be a positive integer, got 0',
    );
  });

  it('chains timers for an interval beyond the longest Node.js timer and ticks on time', async () => {
    const timers = new ManualTimers();
    const delays: number[] = [];
    const recording = {
      setTimeout: (fn: () => void, ms: number) => {
        delays.push(ms);
        return timers.setTimeout(fn, ms);
      },
      clearTimeout: (handle: unknown) => timers.clearTimeout(handle),
    };
    const scheduler = new InProcessScheduler({ timers: recording, now: () => timers.nowMs, phase: () => 0 });
    const runs: number[] = [];
    scheduler.start(async () => void runs.push(timers.nowMs));
    const intervalMs = 300 * 3_600_000 * 100; // 30,000 h: about 50 links of the longest timer
    scheduler.schedule('ns/a', intervalMs);
    await timers.advance(intervalMs - 1);
    expect(runs).toEqual([0]);
    await timers.advance(1);
    expect(runs).toEqual([0, intervalMs]);
    expect(Math.max(...delays)).toBeLessThanOrEqual(2 ** 31 - 1);
    scheduler.remove('ns/a');
    await timers.advance(intervalMs * 2);
    expect(runs).toHaveLength(2);
  });

  it('rejects a non-positive interval with the id in the message', () => {
    const { scheduler } = setup();
    expect(() => scheduler.schedule('ns/a', 0)).toThrow('interval for ns/a must be positive, got 0 ms');
  });
});
