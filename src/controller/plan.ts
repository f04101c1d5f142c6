/**
 * What a tick must ask the outside world (webhooks, metrics) before `decide` can run, and in which
 * order. Pure, like `decide`: calling a gate or running the analysis when the decision would not
 * use it costs requests, and pre-rollout hooks may have side effects, so only what the phase needs
 * is asked, and nothing is asked after an answer that makes it moot.
 *
 * The order is Flagger's within one tick: `confirm-rollout` (a new revision); `rollback`; then,
 * unless a rollback hook asked to roll back, the checks (pre-rollout hooks, or rollout hooks then
 * metrics); then, only when every check passed, `confirm-traffic-increase` or `confirm-promotion`.
 */
import type { JudgeCounts } from '../../analysis/judge/run-counts.js';
import type { CheckResult, Phase } from '../api/schema/canary.js';
import type { DecideInput, GateAnswers, ObservationPlan } from './types.js';
import { inRollbackWindow } from './rollback-window.js';
import { routesFor, sameRoutes } from './weights.js';

const NOTHING: ObservationPlan = {
  confirmRollout: false,
  rollback: false,
  checks: undefined,
  confirmTrafficIncrease: false,
  confirmPromotion: false,
};

/** True when the target runs a revision that neither is under analysis nor was promoted. */
export function isNewRevision(input: Pick<DecideInput, 'status' | 'workload'>): boolean {
  const { status, workload } = input;
  return workload.revision !== status.lastAppliedSpec && workload.revision !== status.lastPromotedSpec;
}

/** Whether the pre-rollout hooks are due: the first tick of an analysis, before any traffic moved. */
export function preRolloutDue(input: Pick<DecideInput, 'status'>): boolean {
  return (input.status.canaryWeight ?? 0) === 0 && (input.status.iterations ?? 0) === 0;
}

/** Whether the analysis has done all it must before promotion (max weight, or all iterations). */
export function analysisComplete(input: Pick<DecideInput, 'canary' | 'status'>): boolean {
  const { canary, status } = input;
  if (canary.analysis.strategy === 'canary') return (status.canaryWeight ?? 0) >= canary.analysis.maxWeight;
  return (status.iterations ?? 0) >= canary.analysis.iterations;
}

/**
 * Decides which gates and checks this tick needs, from the persisted status, the workloads and,
 * when given, the routes the mesh carries. Whatever makes `decide` stop before the checks (a new
 * revision, an unready canary, a primary that cannot recover, `skipAnalysis`, the failed-checks
 * threshold, routes changed by someone else) also means they are not asked.
 */
export function planObservations(
  input: Pick<DecideInput, 'canary' | 'status' | 'workload'> & Partial<Pick<DecideInput, 'routes'>>,
): ObservationPlan {
  const { canary, status, workload, routes } = input;
  if (canary.suspend) return NOTHING;
  switch (status.phase) {
    case undefined:
    case 'Initializing':
    case 'Terminating':
    case 'Terminated':
    case 'Promoting':
    case 'Finalising':
      return NOTHING;
    case 'Initialized':
    case 'Succeeded':
    case 'Failed':
    case 'Waiting':
      // A revision the rollback window holds is promoted without asking any gate.
      return { ...NOTHING, confirmRollout: isNewRevision(input) && !inRollbackWindow(input) };
    case 'Progressing':
    case 'WaitingPromotion': {
      const primaryLost = !workload.primary.ready && !workload.primary.retriable;
      if (workload.revision !== status.lastAppliedSpec || primaryLost || !workload.canary.ready) {
        return NOTHING;
      }
      if (canary.skipAnalysis) return NOTHING;
      // decide looks at the rollback hooks before the threshold and the routes, as Flagger does.
      const thresholdReached = (status.failedChecks ?? 0) >= canary.analysis.threshold;
      if (thresholdReached || (routes && !sameRoutes(routes, routesFor(canary, status)))) {
        return { ...NOTHING, rollback: true };
      }
      const pre = preRolloutDue(input);
      const complete = !pre && analysisComplete(input);
      const canaryStrategy = canary.analysis.strategy === 'canary';
      return {
        ...NOTHING,
        rollback: true,
        checks: pre ? 'pre-rollout' : 'analysis',
        confirmTrafficIncrease: canaryStrategy && !complete,
        confirmPromotion: complete,
      };
    }
  }
}

/** One request a tick makes of the outside world. */
export type Observation =
  'confirm-rollout' | 'rollback' | 'checks' | 'confirm-traffic-increase' | 'confirm-promotion';

/** What a tick has gathered so far. */
export interface Gathered {
  gates: GateAnswers;
  /** Set once the checks ran (possibly to an empty list). */
  checks?: CheckResult[] | undefined;
  /** The judge's counts, read once the analysis checks ran (`spec.analysis.judge`). */
  judgeCounts?: JudgeCounts | undefined;
}

/**
 * The next observation to make, given the plan and what was gathered so far; undefined when the
 * tick has asked all it needs. See the module comment for the order. The reconciler asks one at
 * a time, so a hook that would not change the decision is never called.
 */
export function nextObservation(plan: ObservationPlan, gathered: Gathered): Observation | undefined {
  const { gates, checks } = gathered;
  if (plan.confirmRollout && !gates.confirmRollout) return 'confirm-rollout';
  if (plan.rollback && !gates.rollback) return 'rollback';
  if (gates.rollback?.open) return undefined;
  if (plan.checks && !checks) return 'checks';
  if (checks?.some((c) => !c.passed)) return undefined;
  if (plan.confirmTrafficIncrease && !gates.confirmTrafficIncrease) return 'confirm-traffic-increase';
  if (plan.confirmPromotion && !gates.confirmPromotion) return 'confirm-promotion';
  return undefined;
}

/**
 * The `phase` a webhook payload reports. Flagger sends `Progressing` to the hooks of an analysis
 * step (pre-rollout, rollout, confirm-traffic-increase, confirm-promotion), also while the
 * canary waits for promotion; `confirm-rollout` and `rollback` hooks see the persisted phase.
 */
export function hookPhase(observation: Observation, status: Pick<DecideInput['status'], 'phase'>): Phase {
  if (observation === 'confirm-rollout' || observation === 'rollback') {
    return status.phase ?? 'Initializing';
  }
  return 'Progressing';
}
