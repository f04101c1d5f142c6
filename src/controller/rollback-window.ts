/**
 * The rollback window (`analysis.rollbackWindow`, a Fledge addition after Argo Rollouts'): the
 * status keeps the last N promoted revisions, newest first, the current primary's included; a
 * target set back to one of the others (a revert in Git during an incident) is promoted at once,
 * without analysis, gates or traffic steps.
 *
 * A revision is what Fledge compares to detect a new one (`workload.revision`: the pod template
 * and the checksums of the tracked ConfigMaps and Secrets), so going back to an older ConfigMap
 * is a window hit as going back to an older image is. Only completed promotions (and the revision
 * the primary was initialised with) enter the list; a revision rolled back by analysis is taken
 * out of it, so the window never fast-tracks code that failed its checks.
 */
import type { CanaryStatus } from '../api/schema/canary.js';
import { startTimer } from './deadlines.js';
import { EventReasons } from './events.js';
import type { Outcome } from './outcome.js';
import type { DecideInput } from './types.js';

/** The window's revisions for this spec: the status's list cut to N, empty when the window is off. */
export function windowRevisions(input: Pick<DecideInput, 'canary' | 'status'>): string[] {
  const n = input.canary.analysis.rollbackWindowRevisions;
  return n > 0 ? (input.status.promotedRevisions ?? []).slice(0, n) : [];
}

/**
 * Whether the target is back at a revision of the window that the primary does not run: such a
 * revision is promoted without analysis ({@link fastRollback}).
 */
export function inRollbackWindow(input: Pick<DecideInput, 'canary' | 'status' | 'workload'>): boolean {
  const { revision } = input.workload;
  return revision !== input.status.lastPromotedSpec && windowRevisions(input).includes(revision);
}

/** The list after `revision` was promoted: it moves to the front, the list keeps at most N. */
export function withPromoted(status: CanaryStatus, revision: string, n: number): string[] {
  return [revision, ...(status.promotedRevisions ?? []).filter((r) => r !== revision)].slice(0, n);
}

/**
 * Keeps the list in step with the spec at the start of a tick: dropped when the window is turned
 * off, cut when N shrinks, and started from the primary's revision when the window is turned on
 * for a canary at rest (its primary runs a promoted revision, which a later revert may go back to).
 */
export function syncRollbackWindow(out: Outcome): void {
  const n = out.input.canary.analysis.rollbackWindowRevisions;
  const list = out.status.promotedRevisions;
  if (n === 0) {
    out.remove('promotedRevisions');
    return;
  }
  const promoted = out.status.lastPromotedSpec;
  const atRest = out.status.phase === 'Succeeded' || out.status.phase === 'Initialized';
  if ((list ?? []).length === 0 && atRest && promoted !== undefined) {
    out.set({ promotedRevisions: [promoted] });
  } else if (list && list.length > n) {
    out.set({ promotedRevisions: list.slice(0, n) });
  }
}

/** Records a completed promotion (or the initial revision) in the window, when it is on. */
export function recordPromotion(out: Outcome, revision: string | undefined): void {
  const n = out.input.canary.analysis.rollbackWindowRevisions;
  if (n === 0 || revision === undefined) return;
  out.set({ promotedRevisions: withPromoted(out.status, revision, n) });
}

/** Takes a revision that failed its analysis out of the window. */
export function forgetRevision(out: Outcome, revision: string | undefined): void {
  const list = out.status.promotedRevisions;
  if (!list || revision === undefined || !list.includes(revision)) return;
  out.set({ promotedRevisions: list.filter((r) => r !== revision) });
}

/**
 * Starts a fast rollback: Promoting at weight 0 (all traffic stays on the primary while it rolls
 * out the revision), with no analysis, gate or step. `promoting` ends it once the primary is ready.
 */
export function fastRollback(out: Outcome): void {
  const { workload, canary } = out.input;
  out.startRevision('Promoting');
  out.set({ fastRollback: true });
  startTimer(out, 'primary');
  out.normal(
    EventReasons.FastRollback,
    `Revision ${workload.revision} of ${out.ref} was promoted before (analysis.rollbackWindow): copying ${canary.namespace}/${canary.names.target} to ${canary.names.primaryWorkload} without analysis; all traffic stays on the primary`,
  );
  out.alert(
    'info',
    `Fast rollback: the target is back at a recently promoted revision (${workload.revision}); promoting it without analysis.`,
  );
}

/** Whether the target is back at a revision of the rollback window, judged on this tick's status. */
export function windowHit(out: Outcome): boolean {
  return inRollbackWindow({ ...out.input, status: out.status });
}
