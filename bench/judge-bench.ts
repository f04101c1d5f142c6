/**
 * The judge's benchmark: the scenarios of issue 12, a few thousand simulated rollouts each, every
 * figure printed beside its target, and Flagger's threshold rule on the same kind of traffic.
 */
import { resolveJudgeSettings, type JudgeSettings } from '../analysis/judge/settings.js';
import { seededRandom } from '../test/support/devtools/seeded-random.js';
import {
  simulateJudgeRollout,
  simulateThresholdRollout,
  type RolloutResult,
  type Scenario,
  type ThresholdRule,
} from './judge-sim.js';

/** What a cell must show: a share of rollouts at most, or at least, a bound. */
export interface CellTarget {
  /** `rolled-back`: any rollback; `caught`: rolled back before 50%; `promoted`. */
  measure: 'rolled-back' | 'caught' | 'promoted';
  atMost?: number | undefined;
  atLeast?: number | undefined;
}

/** One row of the table. */
export interface JudgeCell {
  name: string;
  scenario: Scenario;
  target: CellTarget;
}

/** A cell's figures, for the judge and for Flagger's rule. */
export interface CellFigures {
  name: string;
  rollouts: number;
  target: CellTarget;
  judge: Shares;
  flagger: Shares;
  met: boolean;
}

/** Shares of rollouts (0..1) by how they ended, and their mean length in intervals. */
export interface Shares {
  promoted: number;
  rolledBack: number;
  caught: number;
  halted: number;
  meanIntervals: number;
}

/** Flagger's usual rule: 99% success rate, p99 at most 500 ms, 5 failed checks. */
export const FLAGGER_RULE: ThresholdRule = { minSuccessPercent: 99, maxP99Ms: 500, threshold: 5 };

/** The judge's settings in the benchmark: the defaults, latency judged at the 250 ms bucket. */
export const BENCH_JUDGE_SETTINGS: JudgeSettings = resolveJudgeSettings({ latency: { edgeMs: 250 } });

const same = (errorRate: number) => ({ errorRate, p99Ms: 250 });

function scenario(rps: number, primary: number, canary: number, canaryP99Ms = 250): Scenario {
  return {
    rps,
    intervalSeconds: 60,
    primary: same(primary),
    canary: { errorRate: canary, p99Ms: canaryP99Ms },
  };
}

const FALSE_ROLLBACKS: CellTarget = { measure: 'rolled-back', atMost: 0.01 };
const CAUGHT: CellTarget = { measure: 'caught', atLeast: 0.95 };
const PROMOTED_REGRESSIONS: CellTarget = { measure: 'promoted', atMost: 0.01 };

/** The cells of issue 12. */
export function judgeCells(): JudgeCell[] {
  const cells: JudgeCell[] = [];
  for (const rate of [0.005, 0.01])
    for (const rps of [20, 200, 2000])
      cells.push({
        name: `identical, ${rate * 100}% errors, ${rps} rps`,
        scenario: scenario(rps, rate, rate),
        target: FALSE_ROLLBACKS,
      });
  for (const rps of [20, 200, 2000])
    cells.push({
      name: `identical, 1% errors, both 5% for 2 min, ${rps} rps`,
      scenario: { ...scenario(rps, 0.01, 0.01), incident: { fromInterval: 1, intervals: 2, rate: 0.05 } },
      target: FALSE_ROLLBACKS,
    });
  for (const [p, c] of [
    [0.01, 0.02],
    [0.0025, 0.005],
  ] as const)
    for (const rps of [200, 2000])
      cells.push({
        name: `errors ${p * 100}% -> ${c * 100}%, ${rps} rps`,
        scenario: scenario(rps, p, c),
        target: CAUGHT,
      });
  for (const rps of [200, 2000])
    cells.push({
      name: `p99 250 -> 325 ms, ${rps} rps`,
      scenario: scenario(rps, 0.01, 0.01, 325),
      target: CAUGHT,
    });
  cells.push({
    name: 'errors 1% -> 2%, 2 rps',
    scenario: scenario(2, 0.01, 0.02),
    target: PROMOTED_REGRESSIONS,
  });
  cells.push({
    name: 'p99 250 -> 325 ms, 2 rps',
    scenario: scenario(2, 0.01, 0.01, 325),
    target: PROMOTED_REGRESSIONS,
  });
  cells.push({
    name: 'identical, 1% errors, 2 rps',
    scenario: scenario(2, 0.01, 0.01),
    target: FALSE_ROLLBACKS,
  });
  return cells;
}

function sharesOf(results: RolloutResult[]): Shares {
  const n = results.length;
  const count = (f: (r: RolloutResult) => boolean) => results.filter(f).length / n;
  return {
    promoted: count((r) => r.outcome === 'promoted'),
    rolledBack: count((r) => r.outcome === 'rolled-back'),
    caught: count((r) => r.outcome === 'rolled-back' && r.weight < 50),
    halted: count((r) => r.outcome === 'halted'),
    meanIntervals: results.reduce((s, r) => s + r.intervals, 0) / n,
  };
}

function measured(shares: Shares, target: CellTarget): number {
  if (target.measure === 'promoted') return shares.promoted;
  return target.measure === 'caught' ? shares.caught : shares.rolledBack;
}

/** Runs one cell: `rollouts` rollouts under the judge and as many under Flagger's rule. */
export function runCell(
  cell: JudgeCell,
  rollouts: number,
  seed: number,
  settings: JudgeSettings,
): CellFigures {
  const random = seededRandom(seed);
  const judged: RolloutResult[] = [];
  const thresholded: RolloutResult[] = [];
  for (let i = 0; i < rollouts; i++) {
    judged.push(simulateJudgeRollout(cell.scenario, settings, random));
    thresholded.push(simulateThresholdRollout(cell.scenario, FLAGGER_RULE, random));
  }
  const judge = sharesOf(judged);
  const value = measured(judge, cell.target);
  const met =
    (cell.target.atMost === undefined ||
      value < cell.target.atMost ||
      (cell.target.measure === 'promoted' && value <= cell.target.atMost)) &&
    (cell.target.atLeast === undefined || value >= cell.target.atLeast);
  return { name: cell.name, rollouts, target: cell.target, judge, flagger: sharesOf(thresholded), met };
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

function targetText(t: CellTarget): string {
  const what =
    t.measure === 'caught' ? 'rolled back before 50%' : t.measure === 'promoted' ? 'promoted' : 'rolled back';
  return t.atMost !== undefined
    ? `${what} ${t.measure === 'promoted' ? '<=' : '<'} ${pct(t.atMost)}`
    : `${what} >= ${pct(t.atLeast!)}`;
}

/** The table, as Markdown (README takes it as it is). */
export function judgeTable(figures: CellFigures[]): string {
  const rows = figures.map((f) => {
    const j = f.judge;
    const g = f.flagger;
    const value = measured(j, f.target);
    return `| ${f.name} | ${targetText(f.target)} | **${pct(value)}** ${f.met ? 'met' : 'MISSED'} | ${pct(j.promoted)} / ${pct(j.rolledBack)} / ${pct(j.halted)} | ${j.meanIntervals.toFixed(1)} | ${pct(measured(g, f.target))} | ${g.meanIntervals.toFixed(1)} |`;
  });
  return [
    '| Scenario | Target | Judge | Judge: promoted / rolled back / held to the limit | Judge: mean intervals | Flagger rule | Flagger: mean intervals |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...rows,
  ].join('\n');
}
