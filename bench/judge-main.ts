#!/usr/bin/env node
/**
 * `npm run bench:judge`: the judge's simulation (issue 12). Prints one table row per scenario,
 * each figure beside its target, with Flagger's threshold rule on the same kind of traffic;
 * `--json FILE` also writes the figures. Exit code 0 whether or not targets are met: it is a
 * benchmark that reports, not a test.
 */
import { writeFileSync } from 'node:fs';
import { Command } from 'commander';
import {
  BENCH_JUDGE_SETTINGS,
  FLAGGER_RULE,
  judgeCells,
  judgeTable,
  runCell,
  type CellFigures,
} from './judge-bench.js';
import { positiveInt } from './options.js';

await new Command('bench:judge')
  .description("Simulates rollouts judged by the sequential judge and by Flagger's threshold rule")
  .option('--rollouts <n>', 'rollouts per scenario', positiveInt('--rollouts'), 2000)
  .option('--seed <n>', 'seed of the simulated traffic', positiveInt('--seed'), 12)
  .option('--only <text>', 'only the scenarios whose name contains this')
  .option('--json <file>', 'also write the figures as JSON')
  .action((opts: { rollouts: number; seed: number; only?: string; json?: string }) => {
    const started = Date.now();
    const figures: CellFigures[] = [];
    for (const [i, cell] of judgeCells().entries()) {
      if (opts.only !== undefined && !cell.name.includes(opts.only)) continue;
      process.stderr.write(`${cell.name}...\n`);
      figures.push(runCell(cell, opts.rollouts, opts.seed + i, BENCH_JUDGE_SETTINGS));
    }
    const r = FLAGGER_RULE;
    process.stdout.write(
      `Rollouts of 10% steps to 50%, 1 m intervals, ${opts.rollouts} per scenario (seed ${opts.seed}); judge alpha ${BENCH_JUDGE_SETTINGS.alpha}, beta ${BENCH_JUDGE_SETTINGS.beta}, latency at the 250 ms bucket, hold limit ${BENCH_JUDGE_SETTINGS.maxHolds}; Flagger rule: success rate >= ${r.minSuccessPercent}%, p99 <= ${r.maxP99Ms} ms, ${r.threshold} failed checks.\n\n`,
    );
    process.stdout.write(`${judgeTable(figures)}\n\n`);
    const missed = figures.filter((f) => !f.met).map((f) => f.name);
    process.stdout.write(
      missed.length === 0 ? 'Every target met.\n' : `Targets missed: ${missed.join('; ')}\n`,
    );
    process.stdout.write(`(${((Date.now() - started) / 1000).toFixed(0)} s)\n`);
    if (opts.json)
      writeFileSync(
        opts.json,
        JSON.stringify({ settings: BENCH_JUDGE_SETTINGS, flaggerRule: r, figures }, null, 2),
      );
  })
  .parseAsync(process.argv);
