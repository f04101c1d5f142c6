/**
 * Turns the benchmark's figures into text tables, each figure beside its target and how far it is
 * from it, and into the verdict list the JSON carries. Pure functions.
 */
import { BENCH_METRICS } from './manifests.js';
import type { MemoryBenchFigures } from './memory-bench.js';
import type { RealBenchFigures, RealWindow } from './real-bench.js';
import type { RollbackBenchFigures } from './rollback-bench.js';
import { TARGETS, describeTarget, evaluate, formatNumber, peakRssTarget, type Target } from './targets.js';

/** One figure checked against its target. */
export interface TargetVerdict {
  section: 'memory' | 'real' | 'rollback' | 'soak';
  figure: string;
  /** Which run: `N=5000`, `N=200 idle`. */
  scope: string;
  value: number | undefined;
  target: string;
  met: boolean;
  distance: string;
}

/** A table row: a figure for each column, and optionally the target every column is held to. */
export interface Row {
  label: string;
  values: (number | string | undefined)[];
  target?: Target;
}

/** Renders rows as an aligned text table; cells with a target carry `✓`/`✗` and the distance. */
export function renderTable(title: string, columns: string[], rows: Row[]): string {
  const header = ['figure', ...columns, 'target'];
  const body = rows.map((row) => [
    row.label,
    ...row.values.map((v) => {
      if (typeof v === 'string') return v;
      if (!row.target) return formatNumber(v);
      const verdict = evaluate(v, row.target);
      return v === undefined ? '–' : `${formatNumber(v)} ${verdict.met ? '✓' : '✗'} (${verdict.distance})`;
    }),
    row.target ? describeTarget(row.target) : '',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
  return [title, line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}

/** One figure's verdict against its target, for the JSON and the closing list. */
export function collect(
  section: TargetVerdict['section'],
  figure: string,
  scope: string,
  value: number | undefined,
  target: Target,
): TargetVerdict {
  const v = evaluate(value, target);
  return { section, figure, scope, value, target: describeTarget(target), met: v.met, distance: v.distance };
}

/**
 * A peak RSS cell: the figure, and beside it its target at that fleet size when the issue sets one
 * (the targets differ by column, so the row's own target column cannot hold them).
 */
function rssCell(peakRssMb: number, canaries: number): string {
  const target = peakRssTarget(canaries);
  if (!target) return formatNumber(peakRssMb);
  return `${formatNumber(peakRssMb)} ${evaluate(peakRssMb, target).met ? '✓' : '✗'} ${describeTarget(target)}`;
}

/** The peak RSS verdict at one fleet size; none where the issue sets no target. */
function rssVerdict(
  section: TargetVerdict['section'],
  canaries: number,
  scope: string,
  peakRssMb: number,
): TargetVerdict[] {
  const target = peakRssTarget(canaries);
  return target ? [collect(section, 'peak RSS (MB)', scope, peakRssMb, target)] : [];
}

/** At most every running tick's queries at once: concurrency times the metrics of a canary. */
function inFlightBound(concurrency: number | undefined): { target?: Target } {
  return concurrency === undefined
    ? {}
    : { target: TARGETS.queriesInFlight(concurrency * BENCH_METRICS.length) };
}

/** Section 1: the in-memory runs, one column per N. */
export function memorySection(runs: MemoryBenchFigures[]): { text: string; verdicts: TargetVerdict[] } {
  const w = runs.map((r) => r.window);
  const rows: Row[] = [
    { label: 'ticks/s', values: w.map((x) => x.ticksPerSecond) },
    { label: 'ticks/s if every interval were kept', values: runs.map((r) => r.expectedTicksPerSecond) },
    { label: 'tick lateness p50 (ms)', values: w.map((x) => x.latenessMs.p50) },
    {
      label: 'tick lateness p99 (ms)',
      values: w.map((x) => x.latenessMs.p99),
      target: TARGETS.latenessP99Ms,
    },
    { label: 'tick duration p50 (ms)', values: w.map((x) => x.tickDurationMs.p50) },
    { label: 'tick duration p99 (ms)', values: w.map((x) => x.tickDurationMs.p99) },
    { label: 'CPU seconds per 1,000 ticks', values: w.map((x) => x.cpuSecondsPer1000Ticks) },
    { label: 'CPU (cores = CPU s per wall s)', values: w.map((x) => x.cores), target: TARGETS.cores },
    { label: 'peak RSS (MB)', values: runs.map((r) => rssCell(r.window.peakRssMb, r.canaries)) },
    { label: 'weight steps in window', values: w.map((x) => x.weightSteps) },
    { label: 'writes per weight step', values: runs.map((r) => r.writesPerWeightStep) },
    { label: '  of which Events', values: runs.map((r) => r.eventWritesPerWeightStep) },
    {
      label: 'queries per metric per analysis tick',
      values: runs.map((r) => r.queriesPerMetricPerProgressingTick),
    },
    {
      label: 'queries in flight, max (all canaries)',
      values: runs.map((r) => r.queries.maxInFlight),
      ...inFlightBound(runs[0]?.schedulerConcurrency),
    },
    { label: 'tick errors / conflicts', values: w.map((x) => `${x.tickErrors} / ${x.tickConflicts}`) },
    { label: 'window edges where no tick ran', values: w.map((x) => (x.quietBoundaries ? 'yes' : 'no')) },
    { label: 'warm-up (s)', values: runs.map((r) => r.warmupSeconds) },
  ];
  const columns = runs.map((r) => `N=${r.canaries}`);
  const window = runs[0] ? `${formatNumber(runs[0].window.wallSeconds)} s window` : '';
  const text = renderTable(
    `1. Controller overhead: in-memory cluster, simulated metrics, every canary progressing (interval ${formatNumber((runs[0]?.intervalMs ?? 0) / 1000)} s, ${window} per N, one child process per N). Targets are for 5,000 canaries; peak RSS: < 100 MB at 100, < 400 MB at 5,000.`,
    columns,
    rows,
  );
  const verdicts = runs.flatMap((r) => [
    collect(
      'memory',
      'tick lateness p99 (ms)',
      `N=${r.canaries}`,
      r.window.latenessMs.p99,
      TARGETS.latenessP99Ms,
    ),
    collect('memory', 'CPU (cores)', `N=${r.canaries}`, r.window.cores, TARGETS.cores),
    ...rssVerdict('memory', r.canaries, `N=${r.canaries}`, r.window.peakRssMb),
    collect(
      'memory',
      'queries in flight, max',
      `N=${r.canaries}`,
      r.queries.maxInFlight,
      TARGETS.queriesInFlight(r.schedulerConcurrency * BENCH_METRICS.length),
    ),
  ]);
  const writes = runs
    .map(
      (r) =>
        `N=${r.canaries}: ${Object.entries(r.requests)
          .map(([k, n]) => `${k} ${formatNumber(n / Math.max(1, r.window.ticks))}`)
          .join(', ')}`,
    )
    .join('\n  ');
  return {
    text: `${text}\nRequests to the in-memory cluster per tick (no cache there: every read is a call):\n  ${writes}`,
    verdicts,
  };
}

function requestRows(runs: RealBenchFigures[]): Row[] {
  const keys = [
    ...new Set(
      runs.flatMap((r) => [
        ...Object.keys(r.idle.fledgeRequests),
        ...Object.keys(r.progressing.fledgeRequests),
      ]),
    ),
  ].sort();
  const perTick = (w: RealWindow, key: string) =>
    (w.fledgeRequests[key] ?? 0) / Math.max(1, w.controller.ticks);
  return keys.map((key) => ({
    label: `${key} per tick`,
    values: runs.flatMap((r) => [perTick(r.idle, key), perTick(r.progressing, key)]),
  }));
}

/** Section 2: the real stack, two columns (idle, progressing) per N. */
export function realSection(runs: RealBenchFigures[]): { text: string; verdicts: TargetVerdict[] } {
  const first = runs[0];
  const windows = runs.flatMap((r) => [r.idle, r.progressing]);
  const c = windows.map((w) => w.controller);
  const rows: Row[] = [
    { label: 'ticks/s', values: c.map((x) => x.ticksPerSecond) },
    {
      label: 'ticks/s if every interval were kept',
      values: runs.flatMap((r) => [r.expectedTicksPerSecond, r.expectedTicksPerSecond]),
    },
    { label: 'tick lateness p50 (ms)', values: c.map((x) => x.latenessMs.p50) },
    {
      label: 'tick lateness p99 (ms)',
      values: c.map((x) => x.latenessMs.p99),
      target: TARGETS.latenessP99Ms,
    },
    { label: 'tick duration p50 (ms)', values: c.map((x) => x.tickDurationMs.p50) },
    { label: 'tick duration p99 (ms)', values: c.map((x) => x.tickDurationMs.p99) },
    { label: 'CPU seconds per 1,000 ticks', values: c.map((x) => x.cpuSecondsPer1000Ticks) },
    { label: 'CPU (cores)', values: c.map((x) => x.cores), target: TARGETS.cores },
    {
      label: 'peak RSS (MB)',
      values: runs.flatMap((run) =>
        [run.idle, run.progressing].map((x) => rssCell(x.controller.peakRssMb, run.canaries)),
      ),
    },
    {
      label: 'reads (GET+LIST) per tick',
      values: windows.map((w) => w.readsPerTick),
      target: TARGETS.readsPerTick,
    },
    { label: 'writes per tick', values: windows.map((w) => w.writesPerTick) },
    {
      label: 'writes per idle tick',
      values: runs.flatMap((r) => [r.idle.writesPerTick, '']),
      target: TARGETS.writesPerIdleTick,
    },
    { label: 'weight steps in window', values: c.map((x) => x.weightSteps) },
    {
      label: 'writes per weight step',
      values: runs.flatMap((r) => ['', r.progressing.writesPerWeightStep]),
      target: TARGETS.writesPerWeightStep,
    },
    {
      label: '  of which Events',
      values: runs.flatMap((r) => ['', r.progressing.eventWritesPerWeightStep]),
    },
    {
      label: 'queries per metric per analysis tick',
      values: runs.flatMap((r) => ['', r.progressing.queriesPerMetricPerAnalysisTick]),
      target: TARGETS.queriesPerMetricPerTick,
    },
    { label: 'queries in one tick, max', values: c.map((x) => x.maxQueriesPerTick) },
    {
      label: 'queries in flight, max (all canaries)',
      values: windows.map((w) => w.queries.maxInFlight),
      ...inFlightBound(first?.schedulerConcurrency),
    },
    {
      label: 'queries in flight, max (one canary)',
      values: windows.map((w) => w.queries.maxInFlightPerCanary),
    },
    { label: 'tick errors / conflicts', values: c.map((x) => `${x.tickErrors} / ${x.tickConflicts}`) },
    { label: 'window edges where no tick ran', values: c.map((x) => (x.quietBoundaries ? 'yes' : 'no')) },
    ...requestRows(runs),
  ];
  const columns = runs.flatMap((r) => [`N=${r.canaries} idle`, `N=${r.canaries} progressing`]);
  const title = first
    ? `2. Real stack: local kube-apiserver, controller core in a child process with the chart's ServiceAccount (in-cluster credentials), ${first.scheduler === 'bullmq' ? 'BullMQ on a local Redis' : 'in-process scheduler'} (kube QPS ${first.kubeQps}, burst ${first.kubeBurst}), interval ${formatNumber(first.intervalMs / 1000)} s; idle ${formatNumber(first.idle.controller.wallSeconds)} s and progressing ${formatNumber(first.progressing.controller.wallSeconds)} s windows. Requests from kube-apiserver's apiserver_request_total on Fledge's resources; Prometheus queries counted at the (simulated) provider boundary.`
    : '2. Real stack: not run';
  const verdicts = runs.flatMap((r) => [
    collect(
      'real',
      'tick lateness p99 (ms)',
      `N=${r.canaries} progressing`,
      r.progressing.controller.latenessMs.p99,
      TARGETS.latenessP99Ms,
    ),
    collect('real', 'reads per tick', `N=${r.canaries} idle`, r.idle.readsPerTick, TARGETS.readsPerTick),
    ...rssVerdict(
      'real',
      r.canaries,
      `N=${r.canaries}`,
      Math.max(r.idle.controller.peakRssMb, r.progressing.controller.peakRssMb),
    ),
    collect(
      'real',
      'reads per tick',
      `N=${r.canaries} progressing`,
      r.progressing.readsPerTick,
      TARGETS.readsPerTick,
    ),
    collect(
      'real',
      'writes per idle tick',
      `N=${r.canaries} idle`,
      r.idle.writesPerTick,
      TARGETS.writesPerIdleTick,
    ),
    collect(
      'real',
      'writes per weight step',
      `N=${r.canaries} progressing`,
      r.progressing.writesPerWeightStep,
      TARGETS.writesPerWeightStep,
    ),
    collect(
      'real',
      'queries in flight, max',
      `N=${r.canaries} progressing`,
      r.progressing.queries.maxInFlight,
      TARGETS.queriesInFlight(r.schedulerConcurrency * BENCH_METRICS.length),
    ),
    collect(
      'real',
      'queries per metric per analysis tick',
      `N=${r.canaries} progressing`,
      r.progressing.queriesPerMetricPerAnalysisTick,
      TARGETS.queriesPerMetricPerTick,
    ),
  ]);
  const others = runs
    .map((r) => {
      const other = (w: RealWindow) =>
        Object.entries(w.apiserverRequests).reduce((sum, [k, n]) => sum + (k in w.fledgeRequests ? 0 : n), 0);
      return `N=${r.canaries}: ${other(r.idle)} (idle), ${other(r.progressing)} (progressing)`;
    })
    .join('; ');
  const cross = runs
    .map(
      (r) =>
        `N=${r.canaries} progressing: ${
          Object.entries(r.progressing.fledgeCountedRequests)
            .map(([k, n]) => `${k} ${n}`)
            .join(', ') || 'none'
        }`,
    )
    .join('\n  ');
  const text = [
    renderTable(title, columns, rows),
    `Requests on other resources (kube-controller-manager, kube-scheduler, kwok, this benchmark's watches): ${others}.`,
    `The controller's own request counters (cross-check, not the figures above):\n  ${cross}`,
  ].join('\n');
  return { text, verdicts };
}

/** Section 3: time to rollback. */
export function rollbackSection(r: RollbackBenchFigures): { text: string; verdicts: TargetVerdict[] } {
  const rows: Row[] = [
    { label: 'failing check -> VS 100/0, p50 (ms)', values: [r.rollbackMs.p50] },
    {
      label: 'failing check -> VS 100/0, p99 (ms)',
      values: [r.rollbackMs.p99],
      target: TARGETS.rollbackP99Ms,
    },
    { label: 'failing check -> VS 100/0, max (ms)', values: [r.rollbackMs.max] },
    { label: 'errors injected -> VS 100/0, p50 (ms)', values: [r.injectionToRollbackMs.p50] },
    { label: 'errors injected -> VS 100/0, p99 (ms)', values: [r.injectionToRollbackMs.p99] },
    { label: 'rolled back in the same tick', values: [`${r.sameTick} of ${r.canaries}`] },
    { label: 'canaries not measured', values: [r.missing.length === 0 ? 'none' : r.missing.join(' ')] },
  ];
  const text = renderTable(
    `3. Time to rollback: ${r.canaries} canaries in parallel on the local kube-apiserver (${r.scheduler === 'bullmq' ? 'BullMQ' : 'in-process scheduler'}), interval ${formatNumber(r.intervalMs / 1000)} s, threshold 1; from the success-rate query that fails returning (controller process) to the VirtualService at 100/0 arriving through a watch (benchmark process).`,
    [`${r.rollbackMs.count} samples`],
    rows,
  );
  return {
    text,
    verdicts: [
      collect(
        'rollback',
        'failing check -> VS 100/0 p99 (ms)',
        `${r.canaries} canaries`,
        r.rollbackMs.p99,
        TARGETS.rollbackP99Ms,
      ),
    ],
  };
}

/** The closing list: every target missed, or a line saying all were met. */
export function missedTargets(verdicts: TargetVerdict[]): string {
  const missed = verdicts.filter((v) => !v.met);
  if (missed.length === 0) return `All ${verdicts.length} targets met.`;
  return [
    `Targets missed (${missed.length} of ${verdicts.length}):`,
    ...missed.map(
      (v) =>
        `  ${v.section} ${v.scope}: ${v.figure} = ${formatNumber(v.value)}, target ${v.target} (${v.distance || 'not measured'})`,
    ),
  ].join('\n');
}
