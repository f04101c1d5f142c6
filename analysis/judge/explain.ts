/** The one-line explanation of a verdict: the counts, the estimate and its interval, the evidence. */
import type { JudgeVerdict, MetricVerdict } from './judge.js';
import type { JudgeSettings } from './settings.js';

/** Formats a number for people: 3 significant digits, `inf` for unbounded. */
export function formatJudgeNumber(value: number): string {
  if (value === Infinity) return 'inf';
  if (value >= 1e6) return value.toExponential(2);
  if (Number.isInteger(value)) return String(value);
  return String(Number(value.toPrecision(3)));
}

function describeMetric(m: MetricVerdict): string {
  const t = m.total;
  const counts = `canary ${t.canaryEvents}/${t.canaryRequests}, primary ${t.primaryEvents}/${t.primaryRequests}`;
  const ratio =
    m.ratio === undefined
      ? 'ratio unknown (no events yet)'
      : `ratio ${formatJudgeNumber(m.ratio)}x [${formatJudgeNumber(m.ratioInterval[0])}, ${formatJudgeNumber(m.ratioInterval[1])}]`;
  const evidence =
    m.status === 'regression'
      ? `evidence of regression ${formatJudgeNumber(m.regressionEvidence)} >= ${formatJudgeNumber(m.regressionThreshold)}`
      : m.status === 'safe'
        ? `evidence of no regression ${formatJudgeNumber(m.safeEvidence)} >= ${formatJudgeNumber(m.safeThreshold)}`
        : `evidence of regression ${formatJudgeNumber(m.regressionEvidence)} of ${formatJudgeNumber(m.regressionThreshold)}, of no regression ${formatJudgeNumber(m.safeEvidence)} of ${formatJudgeNumber(m.safeThreshold)}`;
  const needed =
    m.status !== 'undecided'
      ? ''
      : m.requestsNeeded === undefined
        ? '; more traffic needed (too few events to say how much)'
        : `; about ${formatJudgeNumber(m.requestsNeeded)} more requests needed`;
  return `${m.metric} (${m.event}): ${ratio}, ${evidence} (${counts})${needed}`;
}

const HEADLINES: Record<JudgeVerdict['outcome'], string> = {
  pass: 'pass: no regression',
  regression: 'regression: roll back',
  hold: 'not enough data: hold the weight',
  'hold-limit': 'not enough data, and the hold limit is reached',
};

/** The explanation line of a verdict. */
export function explainVerdict(v: Omit<JudgeVerdict, 'explanation'>, settings: JudgeSettings): string {
  const head =
    v.outcome === 'hold' || v.outcome === 'hold-limit'
      ? `${HEADLINES[v.outcome]} (${v.holds} of ${settings.maxHolds} holds)`
      : HEADLINES[v.outcome];
  return `${head}; ${v.metrics.map(describeMetric).join('; ')}`;
}
