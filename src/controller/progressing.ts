/**
 * The Progressing phase of the state machine (`decide.ts`): one tick of analysis, in Flagger's order
 * of checks (REFERENCE.md section 2), its first step, and the rollback a failed analysis or an abort
 * ends in. Pure, as `decide` is.
 */
import type { CheckResult } from '../api/schema/canary.js';
import { deadlineExceeded, startTimer } from './deadlines.js';
import { EventReasons } from './events.js';
import type { Outcome } from './outcome.js';
import { judgeInterval } from './judging.js';
import { analysisComplete, preRolloutDue } from './plan.js';
import { gateAlerts } from './gate-alerts.js';
import { fullPromotionApplied, fullPromotionRequested, gateHolds } from './requests.js';
import { providerTraffic } from '../api/provider-traffic.js';
import { promote, switchToCanary } from './promotion.js';
import { fastRollback, forgetRevision, windowHit } from './rollback-window.js';
import type { EventEffect } from './types.js';
import { nextWeight, routesFor, sameRoutes } from './weights.js';

/** Starts (or restarts) the analysis of the target's revision: Progressing at weight 0, the canary scaled up. */
export function startAnalysis(out: Outcome, reason: EventEffect['reason'], what: string): void {
  const { workload, canary } = out.input;
  out.startRevision('Progressing');
  out.remove('fastRollback');
  // The canary is scaled up (or rolls out the new revision) from now on.
  startTimer(out, 'canary');
  out.normal(reason, `${what} for ${out.ref} (${canary.analysis.strategy}, revision ${workload.revision})`);
}

/** One Progressing tick: a new revision restarts, then gates, checks and the next step, in Flagger's order. */
export function progressing(out: Outcome): void {
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
  // The pre-rollout tick has no interval of traffic to judge: the canary has had none yet.
  const judged = pre ? undefined : judgeInterval(out);
  const checks = [...(out.input.checks ?? []), ...(judged?.failed ? [judged.failed] : [])];
  out.set({ checks });
  const failed = checks.filter((c) => !c.passed);
  if (judged?.action === 'rollback') {
    rollback(out, `${judged.reason}: ${out.status.judge?.explanation}`, failed);
    return;
  }
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
  // Not enough data (or a closed hold-limit gate): the weight holds, and no failed check is counted.
  if (judged?.action === 'hold') return;
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

/**
 * Rolls back: phase Failed at weight 0 (the route follows back to the primary), the revision out of
 * the rollback window, a RollingBack Event, an error alert naming the failed checks, and the
 * post-rollout hooks with phase Failed.
 */
export function rollback(out: Outcome, reason: string, failed: CheckResult[] = []): void {
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
