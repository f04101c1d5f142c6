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
import type { CanaryStatus, CheckResult, Phase } from '../api/schema/canary.js';
import { EventReasons } from './events.js';
import { analysisComplete, isNewRevision, preRolloutDue } from './plan.js';
import { gateAlerts } from './gate-alerts.js';
import type { AlertEffect, DecideInput, Decision, EventEffect } from './types.js';
import { nextPromotionWeight, nextWeight, routesFor, sameRoutes } from './weights.js';
import { withPromotedCondition } from './conditions.js';

/** Accumulates the decision of one tick. */
class Outcome {
  readonly events: EventEffect[] = [];
  readonly alerts: AlertEffect[] = [];
  postRollout: Phase | undefined;
  status: CanaryStatus;

  constructor(
    readonly input: DecideInput,
    status: CanaryStatus,
  ) {
    this.status = { ...status };
  }

  get ref(): string {
    return `${this.input.canary.namespace}/${this.input.canary.name}`;
  }

  normal(reason: EventEffect['reason'], message: string): void {
    this.events.push({ type: 'Normal', reason, message });
  }

  warning(reason: EventEffect['reason'], message: string): void {
    this.events.push({ type: 'Warning', reason, message });
  }

  alert(severity: AlertEffect['severity'], message: string, fields?: AlertEffect['fields']): void {
    this.alerts.push(fields ? { severity, message, fields } : { severity, message });
  }

  /** Updates status fields; a change of phase or weight stamps lastTransitionTime. */
  set(patch: Partial<CanaryStatus>): void {
    const before = this.status;
    this.status = { ...before, ...patch };
    if (this.status.phase !== before.phase || this.status.canaryWeight !== before.canaryWeight) {
      this.status.lastTransitionTime = this.input.now.toISOString();
    }
  }

  done(): Decision {
    const status = withPromotedCondition(this.status, this.input.now);
    return {
      status,
      events: this.events,
      alerts: this.alerts,
      ...(this.postRollout ? { postRollout: this.postRollout } : {}),
    };
  }
}

/** Decides the next status of a canary. See the module comment for the contract. */
export function decide(input: DecideInput): Decision {
  const out = new Outcome(input, input.status);
  if (input.canary.suspend) return out.done();
  switch (input.status.phase) {
    case undefined:
    case 'Initializing':
      initialize(out);
      break;
    case 'Initialized':
    case 'Succeeded':
    case 'Failed':
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
      promoting(out);
      break;
    case 'Finalising':
      finalising(out);
      break;
    case 'Terminating':
    case 'Terminated':
      break;
  }
  return out.done();
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
  out.set({
    phase: 'Initialized',
    canaryWeight: 0,
    failedChecks: 0,
    iterations: 0,
    lastAppliedSpec: workload.revision,
    lastPromotedSpec: workload.revision,
    trackedConfigs: workload.trackedConfigs,
  });
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
  confirmRollout(out);
}

function confirmRollout(out: Outcome): void {
  const gate = out.input.gates.confirmRollout;
  if (gate && !gate.open) {
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
  out.set({
    phase: 'Progressing',
    canaryWeight: 0,
    failedChecks: 0,
    iterations: 0,
    lastAppliedSpec: workload.revision,
    trackedConfigs: workload.trackedConfigs,
    checks: [],
  });
  out.normal(reason, `${what} for ${out.ref} (${canary.analysis.strategy}, revision ${workload.revision})`);
}

function progressing(out: Outcome): void {
  const { canary, workload, gates, routes, now } = out.input;
  const status = out.status;

  if (workload.revision !== status.lastAppliedSpec) {
    out.normal(EventReasons.NewRevision, `New revision detected during analysis of ${out.ref}`);
    startAnalysis(
      out,
      EventReasons.AnalysisRestarted,
      'Restarting analysis: all traffic back to the primary,',
    );
    return;
  }
  if (!workload.primary.ready && !workload.primary.retriable) {
    rollback(out, `primary is not ready: ${workload.primary.message}`);
    return;
  }
  if (!workload.canary.ready) {
    const since = Date.parse(status.lastTransitionTime ?? now.toISOString());
    const overdue = now.getTime() - since > canary.progressDeadlineMs;
    if (!workload.canary.retriable || overdue) {
      out.alert('error', `Progress deadline exceeded: ${workload.canary.message}`);
      rollback(out, `progress deadline exceeded: ${workload.canary.message}`);
    }
    return;
  }
  if (canary.skipAnalysis) {
    promote(out, 'analysis skipped (spec.skipAnalysis)');
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
    if (gate && !gate.open) {
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
    promote(out, 'analysis passed');
    return;
  }
  if (canary.analysis.strategy === 'canary') {
    const gate = gates.confirmTrafficIncrease;
    if (gate && !gate.open) {
      out.normal(
        EventReasons.WaitingForApproval,
        `Halt ${out.ref} traffic increase: waiting for approval: ${gate.message}`,
      );
      out.alerts.push(...gateAlerts(out.ref, gate, 'traffic increase'));
      return;
    }
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

/** After the pre-rollout hooks pass: the first weight (canary), matched traffic (A/B), or iteration 1. */
function firstStep(out: Outcome): void {
  const { canary } = out.input;
  switch (canary.analysis.strategy) {
    case 'canary': {
      const gate = out.input.gates.confirmTrafficIncrease;
      if (gate && !gate.open) {
        out.normal(
          EventReasons.WaitingForApproval,
          `Halt ${out.ref} traffic increase: waiting for approval: ${gate.message}`,
        );
        out.alerts.push(...gateAlerts(out.ref, gate, 'traffic increase'));
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

function promote(out: Outcome, why: string): void {
  const { canary } = out.input;
  // Blue/green switches all traffic to the new version before the primary is rewritten.
  const weight = canary.analysis.strategy === 'blue-green' ? 100 : (out.status.canaryWeight ?? 0);
  out.set({ phase: 'Promoting', canaryWeight: weight });
  out.normal(
    EventReasons.Promoting,
    `Copying ${canary.namespace}/${canary.names.target} template spec to ${canary.names.primaryWorkload} (${why})`,
  );
}

function promoting(out: Outcome): void {
  const { canary, workload } = out.input;
  if (workload.revision !== out.status.lastAppliedSpec) {
    // A newer revision arrived while promoting: finish promoting what was analysed? No: the target now
    // runs unanalysed code, so start over with all traffic on the primary.
    out.normal(EventReasons.NewRevision, `New revision detected while promoting ${out.ref}`);
    startAnalysis(
      out,
      EventReasons.AnalysisRestarted,
      'Restarting analysis: all traffic back to the primary,',
    );
    return;
  }
  if (workload.primaryRevision !== out.status.lastAppliedSpec || !workload.primary.ready) {
    if (!workload.primary.retriable) rollback(out, `primary rollout failed: ${workload.primary.message}`);
    return;
  }
  const weight = nextPromotionWeight(out.status.canaryWeight ?? 0, canary.analysis.stepWeightPromotion);
  if (weight > 0) {
    out.set({ canaryWeight: weight });
    out.normal(EventReasons.WeightAdvanced, `Advance ${out.ref} primary weight ${100 - weight}`);
    return;
  }
  out.set({ phase: 'Finalising', canaryWeight: 0 });
  out.normal(
    EventReasons.Promoting,
    `Routing all traffic to primary ${canary.names.primaryWorkload}; scaling down ${canary.names.target}`,
  );
}

function finalising(out: Outcome): void {
  const { canary } = out.input;
  out.set({ phase: 'Succeeded', lastPromotedSpec: out.status.lastAppliedSpec, failedChecks: 0 });
  out.normal(
    EventReasons.Promoted,
    `Promotion completed! ${out.ref}: ${canary.names.primaryWorkload} runs the new revision`,
  );
  out.alert('info', 'Promotion completed! Canary analysis passed and the new version is live.');
  out.postRollout = 'Succeeded';
}

function rollback(out: Outcome, reason: string, failed: CheckResult[] = []): void {
  out.set({ phase: 'Failed', canaryWeight: 0 });
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
