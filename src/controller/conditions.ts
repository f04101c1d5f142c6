/** The `Promoted` condition, as Flagger keeps it: one condition whose reason is the phase. */
import type { CanaryStatus } from '../api/schema/canary.js';
import { EventReasons } from './events.js';
import { promotionFailed } from './weights.js';

type Condition = NonNullable<CanaryStatus['conditions']>[number];

const MESSAGES: Partial<Record<NonNullable<CanaryStatus['phase']>, [Condition['status'], string]>> = {
  Initializing: ['Unknown', 'Installation in progress.'],
  Initialized: ['True', 'Deployment initialization completed.'],
  Waiting: ['Unknown', 'Waiting for approval.'],
  Progressing: ['Unknown', 'New revision detected, progressing canary analysis.'],
  WaitingPromotion: ['Unknown', 'Waiting for approval.'],
  Promoting: ['Unknown', 'Canary analysis completed, starting primary rolling update.'],
  Finalising: ['Unknown', 'Canary analysis completed, routing all traffic to primary.'],
  Succeeded: ['True', 'Canary analysis completed successfully, promotion finished.'],
  Failed: ['False', 'Canary analysis failed, Deployment scaled to zero.'],
  Terminating: ['Unknown', 'Canary is being deleted.'],
  Terminated: ['Unknown', 'Canary deleted.'],
};

/** Phases of a fast rollback (rollback window) whose condition says so: the reason is not the phase. */
const FAST_ROLLBACK: Partial<Record<NonNullable<CanaryStatus['phase']>, [Condition['status'], string]>> = {
  Promoting: [
    'Unknown',
    'Fast rollback: a recently promoted revision is back; promoting it without analysis (analysis.rollbackWindow).',
  ],
  Succeeded: [
    'True',
    'Fast rollback completed: a recently promoted revision was promoted without analysis (analysis.rollbackWindow).',
  ],
};

/** The judge's last verdict, for the condition of a rollout it judges or rolled back. */
function judgeNote(status: CanaryStatus): string {
  const j = status.judge;
  if (!j || j.revision !== status.lastAppliedSpec) return '';
  const judging = status.phase === 'Progressing' || status.phase === 'WaitingPromotion';
  return judging || (status.phase === 'Failed' && j.rolledBack) ? ` Judge: ${j.explanation}` : '';
}

/**
 * Sets or replaces the Promoted condition for the status's phase; other conditions are kept. Its
 * reason is the phase, as Flagger's, except during and after a fast rollback: `FastRollback`.
 */
export function withPromotedCondition(status: CanaryStatus, now: Date): CanaryStatus {
  const phase = status.phase;
  if (!phase) return status;
  const fast = status.fastRollback ? FAST_ROLLBACK[phase] : undefined;
  const [state, base] = promotionFailed(status)
    ? (['False', 'Promotion failed: the primary is not ready; the canary serves all traffic.'] as const)
    : (fast ?? MESSAGES[phase] ?? ['Unknown', phase]);
  const reason = fast ? EventReasons.FastRollback : phase;
  const message = `${base}${judgeNote(status)}`;
  const existing = status.conditions?.find((c) => c.type === 'Promoted');
  if (existing && existing.reason === reason && existing.status === state && existing.message === message)
    return status;
  const next: Condition = {
    type: 'Promoted',
    status: state,
    reason,
    message,
    lastUpdateTime: now.toISOString(),
    lastTransitionTime:
      existing?.status === state ? (existing.lastTransitionTime ?? now.toISOString()) : now.toISOString(),
  };
  return { ...status, conditions: [...(status.conditions ?? []).filter((c) => c.type !== 'Promoted'), next] };
}

/** Sets or clears Fledge's `Reconciled` condition, which names why a canary cannot progress. */
export function withReconciledCondition(
  status: CanaryStatus,
  now: Date,
  problem: { reason: string; message: string } | undefined,
): CanaryStatus {
  const existing = status.conditions?.find((c) => c.type === 'Reconciled');
  const state: Condition['status'] = problem ? 'False' : 'True';
  const reason = problem?.reason ?? 'Reconciled';
  const message = problem?.message ?? 'Workloads, services and routes are in place.';
  if (existing && existing.status === state && existing.reason === reason && existing.message === message)
    return status;
  const next: Condition = {
    type: 'Reconciled',
    status: state,
    reason,
    message,
    lastUpdateTime: now.toISOString(),
    lastTransitionTime:
      existing?.status === state ? (existing.lastTransitionTime ?? now.toISOString()) : now.toISOString(),
  };
  return {
    ...status,
    conditions: [...(status.conditions ?? []).filter((c) => c.type !== 'Reconciled'), next],
  };
}
