import { runMemoryBench } from '../../../bench/memory-bench.js';

describe('runMemoryBench', () => {
  it('warms a few canaries up to Progressing, then measures their ticks, writes and queries', async () => {
    const figures = await runMemoryBench({
      canaries: 3,
      intervalMs: 200,
      durationMs: 1_000,
      queryLatencyMs: 1,
      releaseSpreadMs: 0,
      warmupTimeoutMs: 20_000,
      logLevel: 'info',
      events: 'all',
      schedulerConcurrency: 32,
      logFile: undefined,
    });
    expect(figures.canaries).toBe(3);
    expect(figures.expectedTicksPerSecond).toBe(15);
    const w = figures.window;
    expect(w.ticks).toBeGreaterThan(0);
    expect(w.ticksByPhase['Progressing']).toBe(w.ticks);
    expect(w.tickErrors).toBe(0);
    expect(w.weightSteps).toBeGreaterThan(0);
    expect(w.tickDurationMs.count).toBe(w.ticks);
    expect(w.latenessMs.count).toBeGreaterThan(0);
    // Every weight step reached the cluster as a VirtualService write.
    expect(figures.requests['PATCH VirtualService']).toBeGreaterThanOrEqual(w.weightSteps);
    expect(figures.writes).toBeGreaterThanOrEqual(figures.requests['PATCH VirtualService'] ?? 0);
    expect(figures.writesPerWeightStep).toBe(figures.writes / w.weightSteps);
    expect(Object.keys(figures.queries.queriesByMetric).sort()).toEqual([
      'request-duration',
      'request-success-rate',
    ]);
    expect(figures.queriesPerMetricPerProgressingTick).toBeGreaterThan(0);
  }, 30_000);
});
