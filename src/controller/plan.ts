/**
 * What a tick must ask the outside world (webhooks, metrics) before `decide` can run. Pure, like
 * `decide`: calling a gate or running the analysis when the decision would not use it costs
 * requests, and pre-rollout hooks may have side effects, so only what the phase needs is asked.
 */
import type { DecideInput, ObservationPlan } from './types.js';

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

/** Decides which gates and checks this tick needs, from the persisted status and the workloads. */
export function planObservations(
  input: Pick<DecideInput, 'canary' | 'status' | 'workload'>,
): ObservationPlan {
  const { canary, status, workload } = input;
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
      return { ...NOTHING, confirmRollout: isNewRevision(input) };
    case 'Progressing':
    case 'WaitingPromotion': {
      if (workload.revision !== status.lastAppliedSpec || !workload.canary.ready || canary.skipAnalysis) {
        return { ...NOTHING, rollback: !canary.skipAnalysis };
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
