/**
 * The state machine: one pure function from (canary, persisted status, observations, now) to the
 * next status and the events, alerts and hooks that reaching it triggers. No I/O, no clock.
 *
 * Routing and scaling are not effects of a decision: they follow from the status it returns
 * (`weights.ts`), and the reconciler brings the cluster to them on every tick.
 *
 * The order of checks within a Progressing tick follows Flagger's (REFERENCE.md section 2), with one
 * change: a failed check that brings failedChecks to the threshold rolls back in the same tick.
 */
import type { CheckResult } from '../api/schema/canary.js';
import { deadlineExceeded, startTimer, trackReadiness } from './deadlines.js';
import { EventReasons } from './events.js';
import { Outcome } from './outcome.js';
import { analysisComplete, isNewRevision, preRolloutDue } from './plan.js';
import { gateAlerts } from './gate-alerts.js';
import {
  acceptRequest,
  fullPromotionApplied,
  fullPromotionRequested,
  gateHolds,
  settleRequests,
} from './requests.js';
import { providerTraffic } from '../api/provider-traffic.js';
import { afterFailedPromotion, finalising, promote, promoting, switchToCanary } from './promotion.js';
import {
  fastRollback,
  forgetRevision,
  inRollbackWindow,
  recordPromotion,
  syncRollbackWindow,
} from './rollback-window.js';
import type { Decision, EventEffect, DecideInput } from './types.js';
import { nextWeight, promotionFailed, routesFor, sameRoutes } from './weights.js';

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

/** Whether the target is back at a revision of the rollback window, judged on this tick's status. */
function windowHit(out: Outcome): boolean {
  return inRollbackWindow({ ...out.input, status: out.status });
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

function startAnalysis(out: Outcome, reason: EventEffect['reason'], what: string): void {
  const { workload, canary } = out.input;
  out.startRevision('Progressing');
  out.remove('fastRollback');
  // The canary is scaled up (or rolls out the new revision) from now on.
  startTimer(out, 'canary');
  out.normal(reason, `${what} for ${out.ref} (${canary.analysis.strategy}, revision ${workload.revision})`);
}

function progressing(out: Outcome): void {
  const { canary, workload, gates, routes } = out.input;
  const status = out.status;

  if (workload.revision !== status.lastAppliedSpec) {
    if (windowHit(out)) {
      fastRollback(out);
      return;
    }
    out.normal(EventReasons.NewRevision, `New revision detected during analysis of ${out.ref}`);
    startAnalysis(
      out,
      EventReasons.AnalysisRestarted,
      'Restarting analysis: all traffic back to the primary,',
    );
    return;
  }
  const primaryLate = workload.primary.ready ? undefined : deadlineExceeded(out, 'primary');
  if (primaryLate) {
    rollback(out, `primary is not ready: ${primaryLate}`);
    return;
  }
  if (!workload.canary.ready) {
    const late = deadlineExceeded(out, 'canary');
    if (late) {
      out.alert('error', `Progress deadline exceeded: ${late}`);
      rollback(out, `progress deadline exceeded: ${late}`);
    }
    return;
  }
  if (canary.skipAnalysis) {
    promote(out, 'analysis skipped (spec.skipAnalysis)');
    return;
  }
  if (fullPromotionRequested(out)) {
    fullPromotionApplied(out);
    promote(out, `analysis skipped: fledge promote --full by ${status.lastRequest?.by}`);
    return;
  }
  if (gates.rollback?.open) {
    rollback(out, `rollback requested by webhook: ${gates.rollback.message}`);
    return;
  }
  if ((status.failedChecks ?? 0) >= canary.analysis.threshold) {
    rollback(out, `failed checks threshold reached ${status.failedChecks}`);
    return;
  }
  if (!sameRoutes(routes, routesFor(canary, status))) {
    // The weights were changed outside Fledge (or a write failed): restore them and do not count this
    // interval, whose traffic did not follow the plan.
    out.warning(
      EventReasons.RoutesRestored,
      `Routes of ${out.ref} were ${routes.primary}/${routes.canary}, expected ${100 - (status.canaryWeight ?? 0)}/${status.canaryWeight ?? 0}: restoring them`,
    );
    return;
  }

  const pre = preRolloutDue(out.input);
  const checks = out.input.checks ?? [];
  out.set({ checks });
  const failed = checks.filter((c) => !c.passed);
  if (failed.length > 0) {
    const failedChecks = (status.failedChecks ?? 0) + 1;
    out.set({ failedChecks });
    for (const c of failed) out.warning(EventReasons.CheckFailed, describeFailure(out.ref, c));
    if (failedChecks >= canary.analysis.threshold) {
      rollback(out, `failed checks threshold reached ${failedChecks}`, failed);
    }
    return;
  }

  if (pre) {
    firstStep(out);
    return;
  }
  if (analysisComplete(out.input)) {
    const gate = gates.confirmPromotion;
    if (gateHolds(out, 'confirm-promotion', gate) && gate) {
      if (status.phase !== 'WaitingPromotion') {
        out.set({ phase: 'WaitingPromotion' });
        out.normal(
          EventReasons.WaitingForApproval,
          `Halt ${out.ref} promotion: waiting for approval: ${gate.message}`,
        );
        out.alerts.push(...gateAlerts(out.ref, gate, 'promotion'));
      }
      return;
    }
    // Without a split (kubernetes) the last interval at 100% would judge the same canary Service
    // again with no user traffic moved: Fledge promotes once the iterations have passed.
    const switchable = providerTraffic(canary.provider).splits;
    if (canary.analysis.strategy === 'blue-green' && switchable && (status.canaryWeight ?? 0) < 100) {
      switchToCanary(out);
      return;
    }
    promote(out, 'analysis passed');
    return;
  }
  if (canary.analysis.strategy === 'canary') {
    if (haltedBeforeTrafficIncrease(out)) return;
    const weight = nextWeight(canary.analysis.steps, status.canaryWeight ?? 0);
    out.set({ canaryWeight: weight });
    out.normal(EventReasons.WeightAdvanced, `Advance ${out.ref} canary weight ${weight}`);
    return;
  }
  const iterations = (status.iterations ?? 0) + 1;
  out.set({ iterations });
  out.normal(
    EventReasons.IterationCompleted,
    `Advance ${out.ref} canary iteration ${iterations}/${canary.analysis.iterations}`,
  );
}

/**
 * Whether confirm-traffic-increase holds the next weight step: it then records the halt (an Event
 * and, on every tick it holds, as Flagger, the gate's alert) and the step waits for the next tick.
 */
function haltedBeforeTrafficIncrease(out: Outcome): boolean {
  const gate = out.input.gates.confirmTrafficIncrease;
  if (!gateHolds(out, 'confirm-traffic-increase', gate) || !gate) return false;
  out.normal(
    EventReasons.WaitingForApproval,
    `Halt ${out.ref} traffic increase: waiting for approval: ${gate.message}`,
  );
  out.alerts.push(...gateAlerts(out.ref, gate, 'traffic increase'));
  return true;
}

/** After the pre-rollout hooks pass: the first weight (canary), matched traffic (A/B), or iteration 1. */
function firstStep(out: Outcome): void {
  const { canary } = out.input;
  switch (canary.analysis.strategy) {
    case 'canary': {
      if (haltedBeforeTrafficIncrease(out)) return;
      if (canary.analysis.mirror) {
        // As Flagger: one interval judged on mirrored copies of the traffic before any user gets it.
        out.set({ iterations: 1 });
        out.normal(
          EventReasons.IterationCompleted,
          `Advance ${out.ref}: mirroring traffic to the canary for one interval before the first step`,
        );
        return;
      }
      const weight = nextWeight(canary.analysis.steps, 0);
      out.set({ canaryWeight: weight });
      out.normal(EventReasons.WeightAdvanced, `Advance ${out.ref} canary weight ${weight}`);
      return;
    }
    case 'ab-testing':
      out.set({ canaryWeight: 100, iterations: 1 });
      out.normal(
        EventReasons.IterationCompleted,
        `Advance ${out.ref}: matched requests go to the canary, iteration 1/${canary.analysis.iterations}`,
      );
      return;
    case 'blue-green':
      out.set({ iterations: 1 });
      out.normal(
        EventReasons.IterationCompleted,
        `Advance ${out.ref} canary iteration 1/${canary.analysis.iterations}${canary.analysis.mirror ? ': mirroring traffic to the canary' : ''}`,
      );
      return;
  }
}

function rollback(out: Outcome, reason: string, failed: CheckResult[] = []): void {
  out.set({ phase: 'Failed', canaryWeight: 0 });
  forgetRevision(out, out.status.lastAppliedSpec);
  out.warning(EventReasons.RollingBack, `Rolling back ${out.ref}: ${reason}`);
  out.alert(
    'error',
    `Canary analysis failed, rolling back: ${reason}`,
    failed.map((c) => ({ name: c.name, value: describeValue(c) })),
  );
  out.postRollout = 'Failed';
}

function describeValue(c: CheckResult): string {
  if (c.value === undefined) return c.message;
  const range = `${c.min ?? '-inf'}..${c.max ?? '+inf'}`;
  return `${c.value} (want ${range})`;
}

function describeFailure(ref: string, c: CheckResult): string {
  const query = c.query ? ` query: ${c.query}` : '';
  return `Check ${c.kind} "${c.name}" failed for ${ref}: ${c.message}${query}`;
}
