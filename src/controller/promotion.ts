/**
 * The end of a rollout: copying the analysed revision to the primary, moving traffic back to it,
 * and what happens when the primary cannot run what it was given.
 *
 * A failed promotion (the primary cannot roll out the copy) does not roll back, as Flagger's
 * `handleFailedPromotion` does not: the primary already has the new template, so "back to the
 * primary" would send every user to the broken copy and scale down the only healthy pods. Instead
 * all traffic goes to the canary, which keeps running, the phase is `Failed` with `canaryWeight`
 * 100 ({@link promotionFailed}), and an alert says so. From there:
 * - the primary becomes ready at the analysed revision (a slow image pull, capacity freed): the
 *   promotion resumes and traffic moves back to the primary as usual;
 * - the primary becomes ready at another revision (for instance `kubectl rollout undo` of the
 *   primary): all traffic goes back to it, the canary is scaled down, and a new revision of the
 *   target starts a new analysis as from any `Failed`;
 * - while the primary is not ready, nothing else changes: a new revision cannot be analysed without
 *   a primary to compare it with and fall back to, so it waits.
 */
import { providerTraffic } from '../api/provider-traffic.js';
import { deadlineExceeded, startTimer } from './deadlines.js';
import { EventReasons } from './events.js';
import type { Outcome } from './outcome.js';
import { recordPromotion } from './rollback-window.js';
import { nextPromotionWeight } from './weights.js';

/** Moves to Promoting: the reconciler copies the target to the primary while the phase lasts. */
export function promote(out: Outcome, why: string): void {
  const { canary } = out.input;
  out.set({ phase: 'Promoting' });
  // The primary rolls out the copy from now on; its deadline is timed from here.
  startTimer(out, 'primary');
  out.normal(
    EventReasons.Promoting,
    `Copying ${canary.namespace}/${canary.names.target} template spec to ${canary.names.primaryWorkload} (${why})`,
  );
}

/**
 * Blue/green: once the iterations have passed, all traffic goes to the canary for one more interval
 * of analysis (mirroring stops), as in Flagger; checks failing then still roll back.
 */
export function switchToCanary(out: Outcome): void {
  const { canary } = out.input;
  out.set({ phase: 'Progressing', canaryWeight: 100, iterations: (out.status.iterations ?? 0) + 1 });
  const how = canary.analysis.mirror ? 'Stop traffic mirroring and route' : 'Routing';
  out.normal(
    EventReasons.WeightAdvanced,
    `${how} all traffic of ${out.ref} to the canary ${canary.names.target} for a last interval of analysis`,
  );
}

/** One tick of Promoting; returns false when a new revision means the analysis must start over. */
export function promoting(out: Outcome): boolean {
  const { canary, workload } = out.input;
  if (workload.revision !== out.status.lastAppliedSpec) return false;
  const promoted = out.status.lastAppliedSpec;
  if (workload.primaryRevision !== promoted || !workload.primary.ready) {
    const detail =
      workload.primary.ready && workload.primaryRevision !== promoted
        ? `${canary.names.primaryWorkload} does not run revision ${promoted} yet`
        : undefined;
    const reason = deadlineExceeded(out, 'primary', detail);
    if (reason) failPromotion(out, reason);
    return true;
  }
  if (out.status.fastRollback) {
    // All traffic stayed on the primary while it rolled out: nothing to move back, no Finalising.
    finalising(out);
    return true;
  }
  const weight = nextPromotionWeight(out.status.canaryWeight ?? 0, canary.analysis.stepWeightPromotion);
  if (weight > 0) {
    out.set({ canaryWeight: weight });
    out.normal(EventReasons.WeightAdvanced, `Advance ${out.ref} primary weight ${100 - weight}`);
    return true;
  }
  out.set({ phase: 'Finalising', canaryWeight: 0 });
  out.normal(
    EventReasons.Promoting,
    `Routing all traffic to primary ${canary.names.primaryWorkload}; scaling down ${canary.names.target}`,
  );
  return true;
}

/** Finalising: the canary lost its traffic a tick ago and is scaled down; the rollout is done. */
export function finalising(out: Outcome): void {
  const { canary } = out.input;
  const promoted = out.status.lastAppliedSpec;
  out.set({ phase: 'Succeeded', lastPromotedSpec: promoted, failedChecks: 0 });
  recordPromotion(out, promoted);
  if (out.status.fastRollback) {
    out.normal(
      EventReasons.Promoted,
      `Fast rollback completed! ${out.ref}: ${canary.names.primaryWorkload} runs revision ${promoted} again, promoted without analysis (analysis.rollbackWindow)`,
    );
    out.alert(
      'info',
      `Fast rollback completed! The recently promoted revision ${promoted} is live again; it was promoted without analysis (analysis.rollbackWindow).`,
    );
  } else {
    out.normal(
      EventReasons.Promoted,
      `Promotion completed! ${out.ref}: ${canary.names.primaryWorkload} runs the new revision`,
    );
    out.alert(
      'info',
      canary.skipAnalysis
        ? 'Promotion completed! Canary analysis was skipped (spec.skipAnalysis); the new version is live.'
        : 'Promotion completed! Canary analysis passed and the new version is live.',
    );
  }
  out.postRollout = 'Succeeded';
}

function failPromotion(out: Outcome, reason: string): void {
  const { canary } = out.input;
  // canaryWeight 100 marks the failed promotion (the canary keeps running) even where the provider
  // cannot route to it (kubernetes): then the messages must not claim that users were moved.
  out.set({ phase: 'Failed', canaryWeight: 100 });
  const what = `${canary.names.primaryWorkload} cannot run the promoted revision: ${reason}`;
  const splits = providerTraffic(canary.provider).splits;
  const where = splits
    ? `All traffic goes to the canary ${canary.names.target}, which keeps running,`
    : `The canary ${canary.names.target} keeps running (provider ${canary.provider} cannot route traffic to it)`;
  out.warning(
    EventReasons.PromotionFailed,
    `Promotion of ${out.ref} failed: ${what}. ${where} until the primary is ready`,
  );
  out.alert(
    'error',
    splits
      ? `Promotion failed, all traffic routed to the canary: ${what}`
      : `Promotion failed, the canary keeps running but gets no traffic: ${what}`,
  );
  out.postRollout = 'Failed';
}

/**
 * One tick after a failed promotion (see the module comment). Returns true when the tick is
 * decided; false when traffic went back to a ready primary and the tick goes on as any `Failed`.
 */
export function afterFailedPromotion(out: Outcome): boolean {
  const { canary, workload } = out.input;
  if (!workload.primary.ready) return true;
  const analysed = out.status.lastAppliedSpec;
  if (workload.primaryRevision === analysed && workload.revision === analysed) {
    out.set({ phase: 'Promoting' });
    out.normal(
      EventReasons.PrimaryRecovered,
      `${canary.names.primaryWorkload} is ready at revision ${analysed}: resuming the promotion of ${out.ref}`,
    );
    return true;
  }
  out.set({ canaryWeight: 0 });
  out.normal(
    EventReasons.PrimaryRecovered,
    `${canary.names.primaryWorkload} is ready: all traffic of ${out.ref} back to the primary; scaling down ${canary.names.target}`,
  );
  return false;
}
