/**
 * One tick of one canary: observe, decide, persist, act.
 *
 * The persisted status is the commit point. It is written once per tick, only if it changed, with
 * the resourceVersion the tick read as a precondition: two ticks racing on one canary (two
 * replicas, or a restart) cannot both advance it, because the loser's status write fails with a
 * conflict before it has changed anything, and it re-decides from fresh state on its next tick.
 * Routing and scaling are then brought to what the persisted status implies (`weights.ts`); they
 * are idempotent and re-applied on every tick, so a crash between the status write and the route
 * write is repaired by the next tick without skipping or repeating a step.
 */
import type { Logger } from 'pino';
import { NO_JUDGE_COUNTS } from '../../analysis/judge/run-counts.js';
import { resolveCanary, type ResolveOptions, type ResolvedCanary } from '../api/defaults.js';
import type { Canary, CanaryStatus, PendingEffect } from '../api/schema/canary.js';
import { formatFieldError } from '../api/validate.js';
import { ConflictError, type Cluster, type ObjectKey } from '../kube/cluster.js';
import { MalformedObjectError } from '../kube/object-shape.js';
import { OwnershipConflictError } from '../kube/owner-references.js';
import { API } from '../kube/resources.js';
import { TickReads } from '../kube/tick-reads.js';
import { canaryChecksum, type ChecksumSource } from '../hooks/payload.js';
import type { WebhookPayload } from '../hooks/webhook.js';
import type { Router, Routes } from '../routers/router.js';
import type { WorkloadController, WorkloadObservation } from '../workloads/workload.js';
import { TargetNotFoundError } from '../workloads/workload.js';
import { withReconciledCondition } from './conditions.js';
import { ensureFinalizer, finalizedEvent, FINALIZER, restoreForDeletion } from './finalizer.js';
import { nextSessionCookies, randomCookieValue } from './session-affinity.js';
import { StatusWriter } from './status-writer.js';
import { decide } from './decide.js';
import { canaryErrors, ValidationMemo } from './validation-memo.js';
import type { EventRecorder } from './event-recorder.js';
import { EventReasons, LogKeys } from './events.js';
import {
  calculateEffects,
  deliverEvent,
  drainOutbox,
  effectIdBase,
  reportLost,
  type DirectEvent,
  type DrainDeps,
} from './outbox.js';
import { hookPhase, nextObservation, planObservations, type Gathered } from './plan.js';
import { clearRequestPatch, readRequest } from './request-annotations.js';
import type { Checks, GateType, Notifications } from './ports.js';
import type { EventEffect, GateAnswers } from './types.js';
import type { TickReport, TickResult } from './tick-result.js';
import { canaryShouldRun, routesFor } from './weights.js';

/** Where the answer of each gate goes. */
const GATE_ANSWER: Record<GateType, keyof GateAnswers> = {
  'confirm-rollout': 'confirmRollout',
  rollback: 'rollback',
  'confirm-traffic-increase': 'confirmTrafficIncrease',
  'confirm-promotion': 'confirmPromotion',
};

export { FINALIZER } from './finalizer.js';
export type { TickReport, TickResult } from './tick-result.js';

export interface ReconcilerOptions {
  cluster: Cluster;
  workloads: WorkloadController;
  /** Returns the router for a provider; throws for an unsupported one. */
  routerFor: (provider: string) => Router;
  checks: Checks;
  notifications: Notifications;
  events: EventRecorder;
  now: () => Date;
  logger: Logger;
  resolve: ResolveOptions;
  /** Makes the value of a session affinity cookie (default: 10 random letters, as Flagger). */
  cookieValue?: () => string;
}

/** The Reconciled condition's reason for an error that stops a tick before anything is decided. */
function problemReasonOf(err: unknown): (typeof EventReasons)[keyof typeof EventReasons] {
  if (err instanceof TargetNotFoundError) return EventReasons.TargetNotFound;
  if (err instanceof OwnershipConflictError) return EventReasons.OwnershipConflict;
  if (err instanceof MalformedObjectError) return EventReasons.MalformedObject;
  return EventReasons.ReconcileError;
}

/** Runs ticks. Decides from the Canary's status alone (its validation memo only saves work). */
export class Reconciler {
  private readonly statuses: StatusWriter;
  private readonly validations = new ValidationMemo();

  constructor(private readonly o: ReconcilerOptions) {
    this.statuses = new StatusWriter(o);
  }

  /** Forgets what is remembered of the Canary `namespace/name`: called when it is deleted. */
  forget(namespace: string, name: string): void {
    this.validations.forget(namespace, name);
  }

  /** Runs one tick for the Canary `namespace/name`. Never throws: failures are returned and recorded. */
  async reconcileOnce(namespace: string, name: string): Promise<TickResult> {
    const key: ObjectKey = { ...API.canary, namespace, name };
    const log = this.o.logger.child({ [LogKeys.canary]: `${namespace}/${name}` });
    const started = Date.now();
    // Filled in by `tick` at its commit point, so that a tick failing after it still reports it.
    const committed: { report?: TickReport } = {};
    try {
      const object = await this.o.cluster.get<Canary>(key);
      if (!object) {
        this.forget(namespace, name);
        return { phase: undefined };
      }
      const result = await this.tick(key, object, log, committed);
      log.debug({ [LogKeys.phase]: result.phase, [LogKeys.durationMs]: Date.now() - started }, 'tick done');
      return result;
    } catch (err) {
      if (err instanceof ConflictError) {
        log.info('canary changed during the tick; deciding again on fresh state');
        return { phase: undefined, conflict: true };
      }
      const error = err instanceof Error ? err : new Error(String(err));
      log.error({ [LogKeys.err]: error }, 'tick failed');
      return { phase: undefined, error, ...(committed.report ? { report: committed.report } : {}) };
    }
  }

  private async tick(
    key: ObjectKey,
    object: Canary,
    log: Logger,
    committed: { report?: TickReport },
  ): Promise<TickResult> {
    const now = this.o.now();
    const status = await this.statuses.repair(key, object, log);
    const invalid = this.validations.errorsOf(object, (o) =>
      canaryErrors(o, this.o.resolve.noCrossNamespaceRefs === true),
    );
    const message = invalid.length > 0 ? invalid.map(formatFieldError).join('; ') : undefined;
    // Before validation: a Canary must stay deletable whatever its spec says.
    if (object.metadata.deletionTimestamp) return this.finalize(key, object, status, message, log);
    if (message !== undefined) {
      await this.statuses.reportProblem(key, object, status, { reason: EventReasons.InvalidSpec, message });
      return { phase: status.phase, error: new Error(message) };
    }
    const canary = resolveCanary(object, this.o.resolve);
    await ensureFinalizer(this.o.cluster, key, canary, object);
    if (canary.suspend) {
      log.debug('suspended; skipping');
      return { phase: status.phase };
    }

    let router: Router;
    let workload: WorkloadObservation;
    // Shared by the steps that observe; those acting on the decision (`act`) read afresh.
    const reads = new TickReads();
    try {
      router = this.o.routerFor(canary.provider);
      // Mesh objects are checked before any workload is written: a refused Canary changes nothing.
      await router.checkOwnership(canary, reads);
      await this.o.workloads.reconcile(canary, reads);
      workload = await this.o.workloads.observe(canary, reads);
      const targets = { primaryLabels: workload.primaryLabels, canaryLabels: workload.canaryLabels };
      await router.reconcile(canary, targets, reads);
    } catch (err) {
      const error = err instanceof Error ? err : new Error(String(err));
      const reason = problemReasonOf(err);
      await this.statuses.reportProblem(key, object, status, { reason, message: error.message });
      return { phase: status.phase, error };
    }

    const routes = await router.getRoutes(canary, reads);
    const payload = this.payload(canary, {
      lastAppliedSpec: workload.revision,
      trackedConfigs: workload.trackedConfigs,
    });
    const { gates, checks, judgeCounts } = await this.gather(canary, status, workload, routes, payload);
    const request = readRequest(object.metadata.annotations);
    const decided = decide({
      canary,
      status,
      now,
      workload,
      routes,
      gates,
      ...(checks ? { checks } : {}),
      ...(request ? { request } : {}),
      ...(judgeCounts ? { judgeCounts } : {}),
    });
    const cookieValue = this.o.cookieValue ?? randomCookieValue;
    const decision = {
      ...decided,
      status: nextSessionCookies(canary, status, decided.status, cookieValue),
    };
    const effects = calculateEffects({
      outbox: status.outbox ?? [],
      decision,
      phaseBefore: status.phase,
      idBase: effectIdBase(object, now.getTime()),
      checksum: payload.checksum,
    });
    const next = withReconciledCondition(withOutbox(decision.status, effects.outbox), now, undefined);

    const wrote = await this.statuses.persist(key, object, status, next);
    if (!wrote) await this.statuses.ensureUnchanged(key, object);
    // Only once the status records what became of the request: a crash before this line leaves
    // the annotations, and the next tick finds the request in status.lastRequest and skips it.
    if (request) await this.clearRequest(key, object, log);
    const report: TickReport = {
      target: canary.names.target,
      strategy: canary.analysis.strategy,
      skipAnalysis: canary.skipAnalysis,
      phaseBefore: status.phase,
      phase: next.phase,
      routes: routesFor(canary, next),
      checks,
    };
    committed.report = report;
    this.logDecision(log, status, next);
    if (effects.dropped.length > 0) {
      await reportLost(this.drainDeps, canary, log, effects.dropped, 'because the outbox is full');
    }
    try {
      await this.act(canary, next, router);
    } catch (err) {
      // Events and alerts tell what was decided, which holds whether or not the routes followed;
      // post-rollout hooks mean the rollout is over, so they wait for a tick whose act succeeds.
      await this.drain(key, object, canary, next.outbox, (e) => e.kind !== 'post-rollout', log);
      throw err;
    }
    await this.emit(canary, effects.direct, payload, log);
    await this.drain(key, object, canary, next.outbox, undefined, log);
    return { phase: next.phase, canaryWeight: next.canaryWeight, report };
  }

  /**
   * Asks the gates and runs the checks the plan names, one at a time in the order
   * `nextObservation` gives: a hook whose answer would not change the decision is not called
   * (no metrics after a rollback request, no confirm-* gate after a failed check).
   */
  private async gather(
    canary: ResolvedCanary,
    status: CanaryStatus,
    workload: WorkloadObservation,
    routes: Routes,
    payload: WebhookPayload,
  ): Promise<Gathered> {
    const plan = planObservations({ canary, status, workload, routes });
    const c = this.o.checks;
    const got: Gathered = { gates: {} };
    for (let step = nextObservation(plan, got); step; step = nextObservation(plan, got)) {
      const asked = { ...payload, phase: hookPhase(step, status) };
      if (step === 'checks') {
        got.checks =
          plan.checks === 'pre-rollout' ? await c.preRollout(canary, asked) : await c.analysis(canary, asked);
      } else {
        got.gates[GATE_ANSWER[step]] = await c.gate(canary, step, asked);
      }
    }
    // The judge reads the interval the analysis just judged, whatever the checks said: a regression
    // rolls back at once, and its evidence keeps accumulating through failed checks.
    if (canary.analysis.judge && plan.checks === 'analysis' && got.checks) {
      got.judgeCounts = c.judgeCounts ? await c.judgeCounts(canary) : NO_JUDGE_COUNTS;
    }
    return got;
  }

  /**
   * Brings scaling and routing to what the status implies. Order matters: the canary is scaled up
   * before it gets traffic, and loses its traffic before it is scaled down.
   */
  private async act(canary: ResolvedCanary, status: CanaryStatus, router: Router): Promise<void> {
    const running = canaryShouldRun(status);
    if (running) await this.o.workloads.scaleCanaryUp(canary);
    if (status.phase === 'Promoting') await this.o.workloads.promote(canary, status.lastAppliedSpec);
    await router.setRoutes(canary, routesFor(canary, status));
    // The target keeps serving until the primary is ready during initialisation.
    if (!running && status.phase !== 'Initializing' && status.phase !== undefined) {
      await this.o.workloads.scaleCanaryToZero(canary);
    }
  }

  /** Events of a tick without transition: sent once, best effort (see `outbox.ts`). */
  private async emit(
    canary: ResolvedCanary,
    events: DirectEvent[],
    payload: WebhookPayload,
    log: Logger,
  ): Promise<void> {
    for (const { id, event, phase } of events) {
      await deliverEvent(this.drainDeps, canary, event, { ...payload, phase }, { effectId: id }, log);
    }
  }

  /**
   * Delivers the outbox entries `which` selects and writes down what is left, with the
   * resourceVersion this tick holds as a precondition: a replica that lost a race must not write
   * back an outbox another one has changed. Losing it only means a delivered effect may be
   * delivered again (at-least-once).
   */
  private async drain(
    key: ObjectKey,
    object: Canary,
    canary: ResolvedCanary,
    outbox: PendingEffect[] | undefined,
    which: ((entry: PendingEffect) => boolean) | undefined,
    log: Logger,
  ): Promise<void> {
    if (!outbox || outbox.length === 0) return;
    const result = await drainOutbox(this.drainDeps, canary, outbox, which);
    if (!result.changed) return;
    await this.statuses.writeOutbox(key, object, result.outbox, log);
  }

  /**
   * Removes the request's annotations, with the resourceVersion this tick holds as a precondition:
   * a newer request written meanwhile is left for the next tick, never removed unread.
   */
  private async clearRequest(key: ObjectKey, object: Canary, log: Logger): Promise<void> {
    try {
      const written = await this.o.cluster.patch<Canary>(key, clearRequestPatch(), {
        ...(object.metadata.resourceVersion ? { resourceVersion: object.metadata.resourceVersion } : {}),
      });
      object.metadata.resourceVersion = written.metadata.resourceVersion;
    } catch (err) {
      if (!(err instanceof ConflictError)) throw err;
      log.info('canary changed before its request annotations were removed; the next tick looks again');
    }
  }

  private get drainDeps(): DrainDeps {
    return { notifications: this.o.notifications, events: this.o.events, logger: this.o.logger };
  }

  private async record(canary: ResolvedCanary, event: EventEffect, payload: WebhookPayload): Promise<void> {
    const log = this.o.logger.child({ [LogKeys.canary]: `${canary.namespace}/${canary.name}` });
    await deliverEvent(this.drainDeps, canary, event, payload, {}, log);
  }

  /**
   * `revertOnDeletion`: restores the target and the routes, then lets the Canary go. With an
   * invalid spec it restores what it can and never blocks the deletion (`finalizer.ts`).
   */
  private async finalize(
    key: ObjectKey,
    object: Canary,
    status: CanaryStatus,
    invalid: string | undefined,
    log: Logger,
  ): Promise<TickResult> {
    const finalizers = object.metadata.finalizers ?? [];
    if (!finalizers.includes(FINALIZER)) return { phase: status.phase };
    if (status.phase !== 'Terminating') {
      await this.statuses.persist(key, object, status, { ...status, phase: 'Terminating' });
    }
    const { canary, lost } = await restoreForDeletion(this.o, object, invalid);
    await this.o.cluster.patch(key, { metadata: { finalizers: finalizers.filter((f) => f !== FINALIZER) } });
    const event = finalizedEvent(`${key.namespace}/${key.name}`, { canary, lost }, invalid);
    if (canary) {
      await this.record(canary, event, this.payload(canary, status)); // logs it too
    } else {
      log.warn({ [LogKeys.reason]: event.reason }, event.message);
      await this.statuses.recordOnly(key, object, event);
    }
    return { phase: 'Terminated' };
  }

  /**
   * The payload of this tick's hooks. The checksum describes the revision the tick is about, the
   * target's as observed: Flagger writes it to lastAppliedSpec before asking any hook, so the
   * hooks of a new revision already see its checksum. Each step sets its own `phase` (`hookPhase`).
   */
  private payload(canary: ResolvedCanary, revision: ChecksumSource): WebhookPayload {
    return {
      name: canary.name,
      namespace: canary.namespace,
      phase: canary.object.status?.phase ?? 'Initializing',
      checksum: canaryChecksum(revision),
      metadata: {},
    };
  }

  private logDecision(log: Logger, before: CanaryStatus, after: CanaryStatus): void {
    if (before.phase !== after.phase || before.canaryWeight !== after.canaryWeight) {
      log.info(
        { [LogKeys.phase]: after.phase, [LogKeys.weight]: after.canaryWeight, from: before.phase },
        `${before.phase ?? 'new'} -> ${after.phase} at weight ${after.canaryWeight ?? 0}`,
      );
    }
  }
}

/** The status with its outbox set, or without the field when nothing is pending. */
function withOutbox(status: CanaryStatus, outbox: PendingEffect[]): CanaryStatus {
  const { outbox: _old, ...rest } = status;
  return outbox.length > 0 ? { ...rest, outbox } : rest;
}
