import { TickRecorder, analysing, settledInitialized } from '../../../bench/tick-recorder.js';
import type { SchedulerMetrics } from '../../../src/scheduler/scheduler.js';

/** A scheduler whose successive `metrics()` answers carry these lateness batches and active counts. */
function fakeScheduler(batches: number[][], active: number[] = []) {
  return {
    async metrics(): Promise<SchedulerMetrics> {
      return {
        waiting: 0,
        active: active.shift() ?? 0,
        delayed: 0,
        failed: 0,
        latenessMs: batches.shift() ?? [],
      };
    },
  };
}

describe('TickRecorder', () => {
  it('measures only the ticks inside the window, and counts weight changes as steps', async () => {
    // The first batch is drained when the window opens: it predates the window.
    const queries = new Map<string, number>([['ns/a', 2]]);
    const recorder = new TickRecorder({
      scheduler: fakeScheduler([[999], [3, 7], [5]]),
      pollMs: 10_000,
      queriesOf: (ns, name) => queries.get(`${ns}/${name}`) ?? 0,
    });
    recorder.observe('ns', 'a', { phase: 'Progressing', canaryWeight: 1 }, 50);
    await recorder.open();
    queries.set('ns/a', 4);
    recorder.observe('ns', 'a', { phase: 'Progressing', canaryWeight: 2 }, 10);
    queries.set('ns/a', 7);
    recorder.observe('ns', 'a', { phase: 'Progressing', canaryWeight: 2 }, 20);
    recorder.observe('ns', 'b', { phase: 'Initialized', canaryWeight: 0 }, 30);
    recorder.observe('ns', 'b', { phase: undefined, error: new Error('x') }, 40);
    const figures = await recorder.close();
    expect(figures.ticks).toBe(4);
    expect(figures.ticksByPhase).toEqual({ Progressing: 2, Initialized: 1, none: 1 });
    expect(figures.tickErrors).toBe(1);
    expect(figures.weightSteps).toBe(1);
    // Each tick is charged the queries made since the canary's previous tick: 2, then 3.
    expect(figures.analysisTicks).toBe(2);
    expect(figures.analysisQueries).toBe(5);
    expect(figures.maxQueriesPerTick).toBe(3);
    expect(figures.tickDurationMs).toEqual({ count: 4, p50: 20, p99: 40, max: 40 });
    expect(figures.latenessMs.count).toBe(3);
    expect(figures.latenessMs.max).toBe(7);
    expect(figures.quietBoundaries).toBe(true);
    expect(figures.peakRssMb).toBeGreaterThan(0);
    expect(recorder.snapshot().get('ns/a')).toEqual({ phase: 'Progressing', weight: 2, steadyTicks: 1 });
  });

  it('opens and closes at a moment when no tick runs, and says when it found none in time', async () => {
    // open: busy, busy, quiet; close: busy until the wait runs out.
    const recorder = new TickRecorder({
      scheduler: fakeScheduler([], [2, 1, 0, 3, 3, 3, 3, 3, 3, 3, 3]),
      pollMs: 10_000,
    });
    const events: string[] = [];
    await recorder.open({ quietWithinMs: 1_000, atBoundary: () => void events.push('open') });
    recorder.observe('ns', 'a', { phase: 'Progressing', canaryWeight: 1 }, 1);
    const figures = await recorder.close({ quietWithinMs: 1, atBoundary: () => void events.push('close') });
    expect(events).toEqual(['open', 'close']);
    expect(figures.ticks).toBe(1);
    expect(figures.quietBoundaries).toBe(false);
  });

  it('refuses to open twice or close what is not open', async () => {
    const recorder = new TickRecorder({ scheduler: fakeScheduler([]) });
    await expect(recorder.close()).rejects.toThrow(/no window is open/);
    await recorder.open();
    await expect(recorder.open()).rejects.toThrow(/already open/);
    await recorder.close();
  });
});

describe('settledInitialized and analysing', () => {
  it('need the tick that made the change to be over, and metric checks to have started', () => {
    expect(settledInitialized({ phase: 'Initialized', weight: 0, steadyTicks: 0 })).toBe(false);
    expect(settledInitialized({ phase: 'Initialized', weight: 0, steadyTicks: 1 })).toBe(true);
    expect(analysing({ phase: 'Progressing', weight: 1, steadyTicks: 3 })).toBe(false);
    expect(analysing({ phase: 'Progressing', weight: 2, steadyTicks: 0 })).toBe(true);
    expect(analysing({ phase: 'Succeeded', weight: 0, steadyTicks: 0 })).toBe(false);
  });
});
