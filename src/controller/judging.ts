/**
 * The judge in a Progressing tick (`spec.analysis.judge`): this interval's counts added to the
 * running evidence kept in `status.judge`, one Event per verdict, and what the verdict lets the
 * tick do. Pure, as `decide` is: the counts were read by the reconciler before the decision.
 */
import {
  judge,
  JudgeStateError,
  type JudgeState,
  type JudgeVerdict,
  type MetricVerdict,
} from '../../analysis/judge/judge.js';
import type { IntervalObservation } from '../../analysis/judge/observation.js';
import type { JudgeSettings } from '../../analysis/judge/settings.js';
import { NO_JUDGE_COUNTS } from '../../analysis/judge/run-counts.js';
import type { CheckResult } from '../api/schema/canary.js';
import type { JudgeMetricSummary, JudgeStatus } from '../api/schema/judge.js';
import { EventReasons } from './events.js';
import type { Outcome } from './outcome.js';
import { gateHolds } from './requests.js';

/** The name the judge's failed checks and alert fields carry. */
export const JUDGE_CHECK = 'judge';

/**
 * What the verdict lets the tick do: `step` (if the other checks pass), `hold` (stay at the weight,
 * count no failed check), or roll back now with `rollback` as the reason. `failed` is a failed
 * check for counts that could not be read or judged (never a pass).
 */
export interface JudgeTick {
  action: 'step' | 'hold' | 'rollback';
  /** For `rollback`: why, with the verdict's explanation. */
  reason?: string;
  failed?: CheckResult;
}

const VERDICT_EVENTS = {
  pass: ['Normal', EventReasons.JudgePassed],
  hold: ['Normal', EventReasons.JudgeHeld],
  regression: ['Warning', EventReasons.JudgeRegression],
  'hold-limit': ['Warning', EventReasons.JudgeHoldLimit],
} as const;

function failedCheck(message: string): CheckResult {
  return { name: JUDGE_CHECK, kind: 'metric', passed: false, message: `${JUDGE_CHECK}: ${message}` };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The running state in status, if it is about the revision under analysis. */
function priorState(out: Outcome): JudgeState | undefined {
  const j = out.status.judge;
  return j && j.revision === out.status.lastAppliedSpec ? j.state : undefined;
}

/** Runs the judge; settings changed mid-rollout restart the evidence, and an Event says so. */
function runJudge(
  out: Outcome,
  observation: IntervalObservation,
  settings: JudgeSettings,
): { state: JudgeState; verdict: JudgeVerdict } {
  const prior = priorState(out);
  try {
    return judge(prior, observation, settings);
  } catch (error) {
    if (!(error instanceof JudgeStateError)) throw error;
    out.warning(
      EventReasons.JudgeRestarted,
      `Judge of ${out.ref}: ${error.message}; the evidence of ${prior?.intervals ?? 0} intervals is dropped and gathering starts over`,
    );
    return judge(undefined, observation, settings);
  }
}

const finite = (n: number | undefined): n is number => n !== undefined && Number.isFinite(n);

/** A metric's verdict as status keeps it: JSON has no Infinity, an unbounded end is left out. */
function summaryOf(m: MetricVerdict): JudgeMetricSummary {
  const [low, high] = m.ratioInterval;
  return {
    metric: m.metric,
    event: m.event,
    status: m.status,
    interval: m.interval,
    total: m.total,
    ...(finite(m.ratio) ? { ratio: m.ratio } : {}),
    ratioLow: finite(low) ? low : 0,
    ...(finite(high) ? { ratioHigh: high } : {}),
    regressionEvidence: m.regressionEvidence,
    regressionThreshold: m.regressionThreshold,
    safeEvidence: m.safeEvidence,
    safeThreshold: m.safeThreshold,
    ...(finite(m.requestsNeeded) ? { requestsNeeded: Math.ceil(m.requestsNeeded) } : {}),
  };
}

function statusOf(out: Outcome, state: JudgeState, verdict: JudgeVerdict, rolledBack: boolean): JudgeStatus {
  const { latency, ...rest } = state;
  return {
    revision: out.status.lastAppliedSpec ?? out.input.workload.revision,
    state: latency ? { ...rest, latency } : rest,
    outcome: verdict.outcome,
    explanation: verdict.explanation,
    at: out.input.now.toISOString(),
    metrics: verdict.metrics.map(summaryOf),
    ...(rolledBack ? { rolledBack } : {}),
  };
}

/**
 * Judges the interval just analysed, records the verdict in `status.judge` with its Event, and
 * says what the tick may do. Undefined when the Canary has no judge.
 */
export function judgeInterval(out: Outcome): JudgeTick | undefined {
  const settings = out.input.canary.analysis.judge;
  if (!settings) return undefined;
  const counts = out.input.judgeCounts ?? NO_JUDGE_COUNTS;
  if ('error' in counts) return { action: 'hold', failed: failedCheck(counts.error) };
  let judged: { state: JudgeState; verdict: JudgeVerdict };
  try {
    judged = runJudge(out, counts.observation, settings.settings);
  } catch (error) {
    return { action: 'hold', failed: failedCheck(`the counts could not be judged: ${messageOf(error)}`) };
  }
  let { state } = judged;
  const { verdict } = judged;
  let tick: JudgeTick;
  switch (verdict.outcome) {
    case 'pass':
      if (out.status.gate?.type === 'judge-hold-limit') out.remove('gate');
      tick = { action: 'step' };
      break;
    case 'hold':
      tick = { action: 'hold' };
      break;
    case 'regression':
      tick = { action: 'rollback', reason: 'the judge found a regression against the primary' };
      break;
    case 'hold-limit':
      tick = holdLimit(out, verdict, settings.onHoldLimit);
      // An approval lets one step go ahead and gives the judge maxHolds more intervals.
      if (tick.action === 'step') state = { ...state, holds: 0 };
      break;
  }
  const [type, reason] = VERDICT_EVENTS[verdict.outcome];
  const message = `Judge of ${out.ref} at canary weight ${out.status.canaryWeight ?? 0}: ${verdict.explanation}`;
  if (type === 'Normal') out.normal(reason, message);
  else out.warning(reason, message);
  out.set({ judge: statusOf(out, state, verdict, tick.action === 'rollback') });
  return tick;
}

/** At the hold limit: roll back, or wait at a gate only `fledge promote` opens. */
function holdLimit(out: Outcome, verdict: JudgeVerdict, action: 'fail' | 'gate'): JudgeTick {
  const why = `the judge held ${verdict.holds} intervals without enough data (more than maxHolds)`;
  if (action === 'fail') return { action: 'rollback', reason: why };
  const waiting = out.status.gate?.type === 'judge-hold-limit';
  if (!gateHolds(out, 'judge-hold-limit', { open: false, message: why })) return { action: 'step' };
  if (!waiting) {
    out.normal(
      EventReasons.WaitingForApproval,
      `Halt ${out.ref} traffic increase: ${why}; waiting for approval (fledge promote lets one step go ahead)`,
    );
    out.alert('warn', `Halt ${out.ref} traffic increase: ${why}; waiting for approval`);
  }
  return { action: 'hold' };
}
