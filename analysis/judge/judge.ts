/**
 * The sequential canary judge: `state' = judge(state, interval, settings)`, with a verdict per
 * interval. Pure: no clock, no I/O; the state is a small JSON value meant to live in the Canary's
 * status, so that a restarted controller carries on with the same evidence.
 *
 * Per metric (5xx, and requests slower than a bucket edge) two e-processes run side by side: one
 * against "no regression" (crossing 2/alpha rolls back: alpha is split over the two metrics) and
 * one against "a regression of `regressionRatio` or more" (crossing 1/beta allows a step). In
 * between, the judge holds: it says "not enough data" instead of guessing.
 */
import { explainVerdict } from './explain.js';
import { floorRequestsNeeded, logBelowFloor } from './floor-test.js';
import { checkObservation, JudgeInputError, slowerThan, type IntervalObservation } from './observation.js';
import {
  addRatioInterval,
  emptyRatioTest,
  ratioEvidence,
  ratioRequestsNeeded,
  type RatioCounts,
  type RatioTestState,
} from './ratio-test.js';
import type { ComparisonSettings, JudgeSettings } from './settings.js';

/** The running state of one rollout's judge; start with `undefined`. */
export interface JudgeState {
  /** Intervals judged. */
  intervals: number;
  /** Intervals answered "not enough data". */
  holds: number;
  errors: RatioTestState;
  latency?: RatioTestState | undefined;
}

/** pass: step; regression: roll back now; hold: not enough data; hold-limit: `maxHolds` exceeded. */
export type JudgeOutcome = 'pass' | 'regression' | 'hold' | 'hold-limit';

/** Where one metric stands. */
export interface MetricVerdict {
  metric: 'errors' | 'latency';
  /** What counts as an event: `5xx`, or `> 250 ms`. */
  event: string;
  status: 'regression' | 'safe' | 'undecided';
  /** This interval's counts, and the sums since the rollout started. */
  interval: RatioCounts;
  total: RatioCounts;
  /** Relative risk, canary over primary (maximum likelihood), and its anytime-valid interval. */
  ratio: number | undefined;
  ratioInterval: [number, number];
  /** E-value against "no regression", and the value that rolls back. */
  regressionEvidence: number;
  regressionThreshold: number;
  /** E-value against "a regression" (the better of the ratio and the negligible-rate tests), and the value that steps. */
  safeEvidence: number;
  safeThreshold: number;
  /** For `undecided`: about how many more requests (both versions) a decision needs. */
  requestsNeeded: number | undefined;
}

/** The answer for one interval. */
export interface JudgeVerdict {
  outcome: JudgeOutcome;
  intervals: number;
  holds: number;
  metrics: MetricVerdict[];
  /** One line for status, Events and `fledge judge`. */
  explanation: string;
}

/** A state that does not belong to these settings (thresholds changed mid-rollout). */
export class JudgeStateError extends Error {
  override readonly name = 'JudgeStateError';
}

const LARGEST = 1e300;

function toEvalue(log: number): number {
  return Math.min(LARGEST, Math.exp(log));
}

function freshOrChecked(
  state: RatioTestState | undefined,
  settings: ComparisonSettings,
  field: string,
): RatioTestState {
  if (!state) return emptyRatioTest(settings);
  if (state.allowedRatio !== settings.allowedRatio || state.regressionRatio !== settings.regressionRatio)
    throw new JudgeStateError(
      `${field}: the running evidence was gathered for ratios ${state.allowedRatio}/${state.regressionRatio}, the settings say ${settings.allowedRatio}/${settings.regressionRatio}; start a new state`,
    );
  return state;
}

function errorCounts(obs: IntervalObservation): RatioCounts {
  return {
    canaryRequests: obs.canary?.requests ?? 0,
    canaryEvents: obs.canary?.errors ?? 0,
    primaryRequests: obs.primary?.requests ?? 0,
    primaryEvents: obs.primary?.errors ?? 0,
  };
}

function latencyCounts(obs: IntervalObservation, edgeMs: number): RatioCounts {
  const c = obs.canary && slowerThan(obs.canary, edgeMs, 'canary');
  const p = obs.primary && slowerThan(obs.primary, edgeMs, 'primary');
  return {
    canaryRequests: c?.requests ?? 0,
    canaryEvents: c?.slow ?? 0,
    primaryRequests: p?.requests ?? 0,
    primaryEvents: p?.slow ?? 0,
  };
}

function metricVerdict(
  metric: MetricVerdict['metric'],
  event: string,
  state: RatioTestState,
  interval: RatioCounts,
  comparison: ComparisonSettings,
  settings: JudgeSettings,
  metricsJudged: number,
): MetricVerdict {
  const alphaEach = settings.alpha / metricsJudged;
  const evidence = ratioEvidence(state, alphaEach);
  const logFloor = logBelowFloor(state.canary.requests, state.canary.events, comparison.negligibleRate);
  const logRegTarget = Math.log(1 / alphaEach);
  const logSafeTarget = Math.log(1 / settings.beta);
  const logSafe = Math.max(evidence.logSafe, logFloor);
  const status =
    evidence.logRegression >= logRegTarget ? 'regression' : logSafe >= logSafeTarget ? 'safe' : 'undecided';
  let requestsNeeded: number | undefined;
  if (status === 'undecided') {
    const split = interval.canaryRequests / (interval.canaryRequests + interval.primaryRequests);
    const byRatio = ratioRequestsNeeded(state, evidence, split, logRegTarget, logSafeTarget);
    const canaryNeeded =
      state.canary.events === 0
        ? floorRequestsNeeded(logFloor, logSafeTarget, comparison.negligibleRate)
        : undefined;
    const byFloor = canaryNeeded !== undefined && split > 0 ? Math.ceil(canaryNeeded / split) : undefined;
    const options = [byRatio, byFloor].filter((n): n is number => n !== undefined);
    requestsNeeded = options.length > 0 ? Math.min(...options) : undefined;
  }
  return {
    metric,
    event,
    status,
    interval,
    total: {
      canaryRequests: state.canary.requests,
      canaryEvents: state.canary.events,
      primaryRequests: state.primary.requests,
      primaryEvents: state.primary.events,
    },
    ratio: evidence.estimate,
    ratioInterval: evidence.interval,
    regressionEvidence: toEvalue(evidence.logRegression),
    regressionThreshold: 1 / alphaEach,
    safeEvidence: toEvalue(logSafe),
    safeThreshold: 1 / settings.beta,
    requestsNeeded,
  };
}

/**
 * Judges one interval. `observation` is checked first (a bad count throws a
 * {@link JudgeInputError} naming the field; the state is then unchanged); `settings` come from
 * {@link resolveJudgeSettings}. Returns the new state and the verdict; the inputs are not changed.
 */
export function judge(
  state: JudgeState | undefined,
  observation: IntervalObservation,
  settings: JudgeSettings,
): { state: JudgeState; verdict: JudgeVerdict } {
  const obs = checkObservation(observation);
  const latency = settings.latency;
  if (state?.latency && !latency)
    throw new JudgeStateError('latency: the running state judges latency, the settings no longer do');
  const errorsBefore = freshOrChecked(state?.errors, settings.errors, 'errors');
  const latencyBefore = latency ? freshOrChecked(state?.latency, latency, 'latency') : undefined;
  const errorInterval = errorCounts(obs);
  const latencyInterval = latency ? latencyCounts(obs, latency.edgeMs) : undefined;
  const errors = addRatioInterval(errorsBefore, errorInterval);
  const latencyState =
    latencyBefore && latencyInterval ? addRatioInterval(latencyBefore, latencyInterval) : undefined;
  const judged = latency ? 2 : 1;
  const metrics = [metricVerdict('errors', '5xx', errors, errorInterval, settings.errors, settings, judged)];
  if (latency && latencyState && latencyInterval)
    metrics.push(
      metricVerdict(
        'latency',
        `> ${latency.edgeMs} ms`,
        latencyState,
        latencyInterval,
        latency,
        settings,
        judged,
      ),
    );
  const intervals = (state?.intervals ?? 0) + 1;
  let holds = state?.holds ?? 0;
  let outcome: JudgeOutcome;
  if (metrics.some((m) => m.status === 'regression')) outcome = 'regression';
  else if (metrics.every((m) => m.status === 'safe')) outcome = 'pass';
  else {
    holds += 1;
    outcome = holds > settings.maxHolds ? 'hold-limit' : 'hold';
  }
  const next: JudgeState = { intervals, holds, errors, latency: latencyState };
  const partial = { outcome, intervals, holds, metrics };
  return { state: next, verdict: { ...partial, explanation: explainVerdict(partial, settings) } };
}

export { JudgeInputError };
