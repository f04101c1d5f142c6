/**
 * The judge's last verdict (`status.judge`) as `fledge status` and the sandbox show it: the outcome,
 * then per metric the ratio with its interval, the evidence against its threshold, the counts and
 * the requests a decision still needs. Pure.
 */
import { formatJudgeNumber } from '../../../analysis/judge/explain.js';
import type { JudgeMetricSummary, JudgeStatus } from '../../api/schema/judge.js';
import { renderTable } from './table.js';

const HEADLINES: Record<JudgeStatus['outcome'], string> = {
  pass: 'pass (no regression)',
  regression: 'regression (rolled back)',
  hold: 'hold (not enough data)',
  'hold-limit': 'hold limit reached (not enough data)',
};

/** `2.1x [1.3, 3.4]`, `unknown` before any event. */
export function formatRatio(m: JudgeMetricSummary): string {
  const high = m.ratioHigh === undefined ? 'inf' : formatJudgeNumber(m.ratioHigh);
  const ratio = m.ratio === undefined ? 'unknown' : `${formatJudgeNumber(m.ratio)}x`;
  return `${ratio} [${formatJudgeNumber(m.ratioLow)}, ${high}]`;
}

/** The evidence that decides, or both when undecided: `regression 13600 >= 400`. */
export function formatEvidence(m: JudgeMetricSummary): string {
  const regression = `regression ${formatJudgeNumber(m.regressionEvidence)}`;
  const safe = `no regression ${formatJudgeNumber(m.safeEvidence)}`;
  if (m.status === 'regression') return `${regression} >= ${formatJudgeNumber(m.regressionThreshold)}`;
  if (m.status === 'safe') return `${safe} >= ${formatJudgeNumber(m.safeThreshold)}`;
  return `${regression} of ${formatJudgeNumber(m.regressionThreshold)}, ${safe} of ${formatJudgeNumber(m.safeThreshold)}`;
}

/** `about 7610 more requests`, `-` once decided. */
export function formatNeeded(m: JudgeMetricSummary): string {
  if (m.status !== 'undecided') return '-';
  return m.requestsNeeded === undefined
    ? 'more (too few events to say)'
    : `about ${formatJudgeNumber(m.requestsNeeded)} more requests`;
}

/** The lines of `fledge status` about the judge; none when the Canary has no verdict. */
export function renderJudge(judge: JudgeStatus | undefined): string[] {
  if (!judge) return [];
  const { intervals, holds } = judge.state;
  return [
    '',
    `Judge: ${HEADLINES[judge.outcome]}, ${intervals} intervals judged, ${holds} held (at ${judge.at})`,
    renderTable(
      ['  METRIC', 'STATUS', 'RATIO [INTERVAL]', 'EVIDENCE (vs threshold)', 'CANARY', 'PRIMARY', 'NEEDED'],
      judge.metrics.map((m) => [
        `  ${m.metric} (${m.event})`,
        m.status,
        formatRatio(m),
        formatEvidence(m),
        `${m.total.canaryEvents}/${m.total.canaryRequests}`,
        `${m.total.primaryEvents}/${m.total.primaryRequests}`,
        formatNeeded(m),
      ]),
    ),
    `  ${judge.explanation}`,
  ];
}

/** One line for the sandbox: `judge hold: errors 2x [0.7, 5] regression 28.8 of 400, ...`. */
export function judgeSummary(judge: JudgeStatus | undefined): string {
  if (!judge) return '';
  const metrics = judge.metrics.map((m) => {
    const needed = formatNeeded(m);
    return `${m.metric} ${formatRatio(m)} ${formatEvidence(m)}${needed === '-' ? '' : `, ${needed}`}`;
  });
  return `${judge.outcome}: ${metrics.join('; ')}`;
}
