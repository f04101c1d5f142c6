import type { MemoryBenchFigures } from '../../../bench/memory-bench.js';
import { memorySection, missedTargets, renderTable } from '../../../bench/report.js';
import { TARGETS } from '../../../bench/targets.js';
import type { WindowFigures } from '../../../bench/tick-recorder.js';

function window(over: Partial<WindowFigures>): WindowFigures {
  return {
    wallSeconds: 60,
    ticks: 600,
    ticksPerSecond: 10,
    ticksByPhase: { Progressing: 600 },
    tickErrors: 0,
    tickConflicts: 0,
    latenessMs: { count: 600, p50: 1, p99: 5, max: 9 },
    latenessObservationsDropped: false,
    tickDurationMs: { count: 600, p50: 2, p99: 8, max: 12 },
    weightSteps: 600,
    analysisTicks: 600,
    analysisQueries: 1200,
    maxQueriesPerTick: 2,
    quietBoundaries: true,
    cpuSeconds: 3,
    cores: 0.05,
    cpuSecondsPer1000Ticks: 5,
    peakRssMb: 120,
    rssMb: 100,
    heapTotalMb: 70,
    heapUsedMb: 50,
    externalMb: 5,
    ...over,
  };
}

function run(canaries: number, over: Partial<WindowFigures>): MemoryBenchFigures {
  return {
    canaries,
    intervalMs: 10_000,
    expectedTicksPerSecond: canaries / 10,
    warmupSeconds: 30,
    window: window(over),
    requests: { 'PATCH VirtualService': 600, 'GET Canary': 600 },
    writes: 600,
    writesPerWeightStep: 1,
    eventWritesPerWeightStep: 0,
    schedulerConcurrency: 32,
    queries: { queriesByMetric: { 'request-success-rate': 600 }, maxInFlight: 4, maxInFlightPerCanary: 1 },
    queriesPerMetricPerProgressingTick: 1,
  };
}

describe('renderTable', () => {
  it('puts the target beside each figure and marks each cell', () => {
    const text = renderTable(
      'title',
      ['a', 'b'],
      [
        { label: 'lateness p99', values: [100, 400], target: TARGETS.latenessP99Ms },
        { label: 'ticks', values: [1.5, undefined] },
      ],
    );
    const lines = text.split('\n');
    expect(lines[0]).toBe('title');
    expect(lines[1]).toMatch(/^figure\s+a\s+b\s+target$/);
    expect(lines[3]).toMatch(
      /^lateness p99\s+100 ✓ \(-60% vs target\)\s+400 ✗ \(\+60% over target\)\s+< 250 ms$/,
    );
    expect(lines[4]).toMatch(/^ticks\s+1\.50\s+–\s*$/);
  });
});

describe('memorySection and missedTargets', () => {
  it('holds every N to the targets and lists the ones missed', () => {
    const { text, verdicts } = memorySection([
      run(100, { peakRssMb: 90 }),
      run(5000, { latenessMs: { count: 1, p50: 90, p99: 900, max: 900 }, cores: 1.4 }),
    ]);
    expect(text).toContain('N=100');
    expect(text).toContain('N=5000');
    expect(verdicts.filter((v) => !v.met).map((v) => `${v.scope} ${v.figure}`)).toEqual([
      'N=5000 tick lateness p99 (ms)',
      'N=5000 CPU (cores)',
    ]);
    const missed = missedTargets(verdicts);
    expect(missed).toContain('Targets missed (2 of 8):');
    expect(missed).toContain(
      'memory N=5000: tick lateness p99 (ms) = 900, target < 250 ms (3.60x the target)',
    );
    expect(missedTargets(verdicts.filter((v) => v.met))).toBe('All 6 targets met.');
  });

  it('holds peak RSS to its target at 100 and 5,000 canaries, and to none at other sizes', () => {
    const { text, verdicts } = memorySection([
      run(100, { peakRssMb: 90 }),
      run(1000, { peakRssMb: 900 }),
      run(5000, { peakRssMb: 450 }),
    ]);
    const rss = verdicts.filter((v) => v.figure === 'peak RSS (MB)');
    expect(rss.map((v) => [v.scope, v.target, v.met])).toEqual([
      ['N=100', '< 100 MB', true],
      ['N=5000', '< 400 MB', false],
    ]);
    expect(text).toMatch(/peak RSS \(MB\)\s+90 ✓ < 100 MB\s+900\s+450 ✗ < 400 MB/);
  });
});
