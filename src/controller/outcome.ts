/**
 * What one tick of the state machine accumulates: the next status and the edge-triggered effects
 * of reaching it. Shared by `decide.ts` and the phase files it delegates to.
 */
import type { CanaryStatus, Phase } from '../api/schema/canary.js';
import { withPromotedCondition } from './conditions.js';
import type { AlertEffect, DecideInput, Decision, EventEffect } from './types.js';
import { canaryShouldRun } from './weights.js';

/** Status fields that may be removed (a merge patch only removes keys that are absent). */
type RemovableField =
  'primaryUnreadySince' | 'canaryUnreadySince' | 'gate' | 'promotedRevisions' | 'fastRollback' | 'judge';

/** Accumulates the decision of one tick. */
export class Outcome {
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

  /** `namespace/name` of the Canary, for messages. */
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

  /**
   * Starts work on the revision the target runs now, in `phase` at weight 0: the analysis counters
   * reset, the revision and the checksums of its configs recorded as the one being rolled out.
   */
  startRevision(phase: Phase): void {
    const { workload } = this.input;
    this.set({
      phase,
      canaryWeight: 0,
      failedChecks: 0,
      iterations: 0,
      lastAppliedSpec: workload.revision,
      trackedConfigs: workload.trackedConfigs,
      checks: [],
    });
    // The judge's evidence is about one revision: a new one starts with none.
    this.remove('judge');
  }

  /** Removes a status field (setting it to undefined would leave the stored value in place). */
  remove(field: RemovableField): void {
    if (!(field in this.status)) return;
    const next = { ...this.status };
    delete next[field];
    this.status = next;
  }

  done(): Decision {
    // A canary scaled to zero is not late: its timer starts again when it is scaled up.
    if (!canaryShouldRun(this.status)) this.remove('canaryUnreadySince');
    const status = withPromotedCondition(this.status, this.input.now);
    return {
      status,
      events: this.events,
      alerts: this.alerts,
      ...(this.postRollout ? { postRollout: this.postRollout } : {}),
    };
  }
}
