/**
 * The state machine: one pure function from (canary, persisted status, observations, now) to the
 * next status and the events, alerts and hooks that reaching it triggers. No I/O, no clock.
 *
 * Routing and scaling are not effects of a decision: they follow from the status it returns
 * (`weights.ts`), and the reconciler brings the cluster to them on every tick.
 *
 * The order of checks within a Progressing tick (`progressing.ts`) follows Flagger's (REFERENCE.md
 * section 2), with one change: a failed check that brings failedChecks to the threshold rolls back in
 * the same tick.
 */
import { trackReadiness } from './deadlines.js';
import { EventReasons } from './events.js';
import { Outcome } from './outcome.js';
import { isNewRevision } from './plan.js';
import { gateAlerts } from './gate-alerts.js';
import { acceptRequest, gateHolds, settleRequests } from './requests.js';
import { afterFailedPromotion, finalising, promoting } from './promotion.js';
import { fastRollback, recordPromotion, syncRollbackWindow, windowHit } from './rollback-window.js';
import { progressing, rollback, startAnalysis } from './progressing.js';
import type { Decision, DecideInput } from './types.js';
import { promotionFailed } from './weights.js';

/** Decides the next status of a canary. See the module comment for the contract. */
export function decide(input: DecideInput): Decision {
  const out = new Outcome(input, input.status);
  if (input.canary.suspend) return out.done();
  const phase = input.status.phase;
  if (phase !== 'Terminating' && phase !== 'Terminated') trackReadiness(out);
  if (phase !== undefined && phase !== 'Initializing') observePromoted(out);
  syncRollbackWindow(out);
  const verdict = acceptRequest(out, input.request);
  if (verdict === 'abort') abort(out);
  else if (verdict === 'retry') retry(out);
  else advance(out);
  settleRequests(out);
  return out.done();
}

/** One step of the rollout from the persisted phase, as the hooks and checks answered. */
function advance(out: Outcome): void {
  switch (out.input.status.phase) {
    case undefined:
    case 'Initializing':
      initialize(out);
      break;
    case 'Failed':
      if (promotionFailed(out.input.status) && afterFailedPromotion(out)) break;
      idle(out);
      break;
    case 'Initialized':
    case 'Succeeded':
      idle(out);
      break;
    case 'Waiting':
      waiting(out);
      break;
    case 'Progressing':
    case 'WaitingPromotion':
      progressing(out);
      break;
    case 'Promoting':
      if (!promoting(out)) {
        if (windowHit(out)) {
          fastRollback(out);
          break;
        }
        // The target now runs code that was never analysed: start over with all traffic on the primary.
        out.normal(EventReasons.NewRevision, `New revision detected while promoting ${out.ref}`);
        startAnalysis(
          out,
          EventReasons.AnalysisRestarted,
          'Restarting analysis: all traffic back to the primary,',
        );
      }
      break;
    case 'Finalising':
      finalising(out);
      break;
    case 'Terminating':
    case 'Terminated':
      break;
  }
}

/** `fledge abort`: rolls back as a failed analysis would (alerts, post-rollout hooks, Failed). */
function abort(out: Outcome): void {
  const { workload } = out.input;
  // Aborted before it started: the revision is the one that failed, not a new one to analyse again.
  if (out.status.phase === 'Waiting') {
    out.set({ lastAppliedSpec: workload.revision, trackedConfigs: workload.trackedConfigs });
  }
  rollback(out, `aborted by ${out.status.lastRequest?.by ?? 'an operator'} (fledge abort)`);
}

/** `fledge retry`: the failed revision is analysed again from the start; the request is its approval. */
function retry(out: Outcome): void {
  const by = out.status.lastRequest?.by ?? 'an operator';
  startAnalysis(out, EventReasons.AnalysisStarted, `Retrying analysis (fledge retry by ${by})`);
}

/**
 * Records the revision the primary was last given (read from the primary itself) as the promoted
 * one. A promotion interrupted by a newer revision has still rewritten the primary, so this keeps
 * `lastPromotedSpec` true, and a revert to the revision before it is a real change to analyse.
 * Unknown for a primary Fledge did not write (adopted from Flagger): the status is kept.
 */
function observePromoted(out: Outcome): void {
  const promoted = out.input.workload.primaryRevision;
  if (promoted !== undefined && promoted !== out.status.lastPromotedSpec)
    out.set({ lastPromotedSpec: promoted });
}

function initialize(out: Outcome): void {
  const { workload, canary } = out.input;
  if (!workload.primary.ready) {
    if (!workload.primary.retriable) {
      out.set({ phase: 'Failed' });
      out.warning(
        EventReasons.RollingBack,
        `Initialization of ${out.ref} failed: ${workload.primary.message}`,
      );
      out.alert('error', `Initialization failed: ${workload.primary.message}`);
      return;
    }
    if (out.status.phase !== 'Initializing') out.set({ phase: 'Initializing', canaryWeight: 0 });
    return;
  }
  // The primary runs the template it was created with: if the target changed since, that change is
  // a new revision to analyse, not something already promoted.
  const running = workload.primaryRevision ?? workload.revision;
  out.set({
    phase: 'Initialized',
    canaryWeight: 0,
    failedChecks: 0,
    iterations: 0,
    lastAppliedSpec: running,
    lastPromotedSpec: running,
    trackedConfigs: workload.trackedConfigs,
  });
  out.remove('fastRollback');
  recordPromotion(out, running);
  out.normal(
    EventReasons.Initialized,
    `Initialization done! ${out.ref}: ${canary.names.primaryWorkload} serves all traffic`,
  );
}

function idle(out: Outcome): void {
  const { workload } = out.input;
  if (!isNewRevision(out.input)) {
    if (workload.revision !== out.status.lastAppliedSpec) {
      // Back to the promoted revision (for instance after a failed one was reverted): nothing to analyse.
      out.set({ lastAppliedSpec: workload.revision, trackedConfigs: workload.trackedConfigs });
    }
    return;
  }
  if (windowHit(out)) {
    fastRollback(out);
    return;
  }
  out.normal(
    EventReasons.NewRevision,
    `New revision detected! Scaling up ${out.ref} target ${out.input.canary.names.target}`,
  );
  out.alert('info', `New revision detected, starting canary analysis.`);
  confirmRollout(out);
}

function waiting(out: Outcome): void {
  if (!isNewRevision(out.input)) {
    out.set({ phase: 'Succeeded', lastAppliedSpec: out.input.workload.revision });
    return;
  }
  if (windowHit(out)) {
    fastRollback(out);
    return;
  }
  confirmRollout(out);
}

function confirmRollout(out: Outcome): void {
  const gate = out.input.gates.confirmRollout;
  if (gateHolds(out, 'confirm-rollout', gate) && gate) {
    if (out.status.phase !== 'Waiting') {
      out.set({ phase: 'Waiting' });
      out.normal(
        EventReasons.WaitingForApproval,
        `Halt ${out.ref} advancement: waiting for rollout approval: ${gate.message}`,
      );
      out.alerts.push(...gateAlerts(out.ref, gate, 'advancement'));
    }
    return;
  }
  startAnalysis(out, EventReasons.AnalysisStarted, 'Starting canary analysis');
}
