/** The soak's table, one column per scheduler, and its verdicts. Pure functions. */
import { collect, renderTable, type Row, type TargetVerdict } from './report.js';
import type { SoakFigures } from './soak-bench.js';
import { TARGETS, formatNumber } from './targets.js';

const SCHEDULER_NAMES = { bullmq: 'BullMQ (Redis)', lease: 'Lease' } as const;

/** The soak section: kills, rollouts, wrong final states and weight defects per scheduler. */
export function soakSection(runs: SoakFigures[]): { text: string; verdicts: TargetVerdict[] } {
  const of = (pick: (r: SoakFigures) => number | string) => runs.map(pick);
  const defects = (r: SoakFigures) => Object.values(r.stepDefects).reduce((a, b) => a + b, 0);
  const rows: Row[] = [
    { label: 'replicas / canaries', values: of((r) => `${r.replicas} / ${r.canaries}`) },
    {
      label: 'SIGKILLs of replicas',
      values: of((r) => (r.kills < r.killsAsked ? `${r.kills} of ${r.killsAsked} asked` : r.kills)),
    },
    { label: 'rollouts (promoted + rolled back)', values: of((r) => rolloutsText(r)) },
    { label: 'weight writes seen by the watch', values: of((r) => r.weightWrites) },
    {
      label: 'wrong final states',
      values: of((r) => r.wrongFinalStates.length),
      target: TARGETS.wrongFinalStates,
    },
    { label: 'steps skipped', values: of((r) => r.stepDefects.skipped) },
    { label: 'steps repeated', values: of((r) => r.stepDefects.repeated) },
    {
      label: 'other (malformed, past max, cut short, rollout count)',
      values: of(
        (r) =>
          r.stepDefects.malformed +
          r.stepDefects.beyond +
          r.stepDefects['cut-short'] +
          r.stepDefects.rollouts,
      ),
    },
    { label: 'weight defects, all', values: of(defects), target: TARGETS.stepDefects },
    { label: 'took (min)', values: of((r) => formatNumber(r.elapsedSeconds / 60)) },
    { label: 'seed', values: of((r) => String(r.seed)) },
  ];
  const details = runs.flatMap((r) =>
    [...r.wrongFinalStates, ...r.stepDefectSamples].map((line) => `  ${r.scheduler}: ${line}`),
  );
  const text = [
    renderTable(
      '4. Soak: controller replicas SIGKILLed at random moments while canaries roll out without pause; weights from a watch on every VirtualService.',
      runs.map((r) => SCHEDULER_NAMES[r.scheduler]),
      rows,
    ),
    ...(details.length > 0 ? [`Defects:\n${details.join('\n')}`] : []),
  ].join('\n');
  const verdicts = runs.flatMap((r) => [
    collect('soak', 'wrong final states', r.scheduler, r.wrongFinalStates.length, TARGETS.wrongFinalStates),
    collect('soak', 'weight defects', r.scheduler, defects(r), TARGETS.stepDefects),
  ]);
  return { text, verdicts };
}

function rolloutsText(r: SoakFigures): string {
  return `${r.rollouts.promoted + r.rollouts.rolledBack} (${r.rollouts.promoted} + ${r.rollouts.rolledBack})`;
}
