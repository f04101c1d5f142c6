/** What a tick asks of webhooks and metrics, and how it tells the world what happened. */
import type { JudgeCounts } from '../../analysis/judge/run-counts.js';
import type { ResolvedCanary } from '../api/defaults.js';
import type { CheckResult } from '../api/schema/canary.js';
import type { WebhookPayload } from '../hooks/webhook.js';
import type { AlertEffect, EventEffect, GateAnswer } from './types.js';

export type GateType = 'confirm-rollout' | 'confirm-traffic-increase' | 'confirm-promotion' | 'rollback';

/**
 * Gates and checks: the observations that cost a request. Webhooks of one type are called in the
 * order they are declared, and none of these methods rejects for a failed or unreachable hook.
 * Held to `test/contract/checks-contract.ts`.
 */
export interface Checks {
  /**
   * Asks the webhooks of one gate type; no webhook of that type means open (for rollback: no
   * rollback). A confirm-* gate closes at the first refusal, naming that hook (`refusedBy`,
   * `muted`); rollback opens at the first hook answering 2xx. Hooks after that are not asked.
   */
  gate(canary: ResolvedCanary, type: GateType, payload: WebhookPayload): Promise<GateAnswer>;
  /** Runs the pre-rollout webhooks, up to the first failure: one check per hook called. */
  preRollout(canary: ResolvedCanary, payload: WebhookPayload): Promise<CheckResult[]>;
  /** Runs the rollout webhooks up to the first failure, then, if none failed, the metrics. */
  analysis(canary: ResolvedCanary, payload: WebhookPayload): Promise<CheckResult[]>;
  /**
   * Reads the judge's counts of the interval just analysed (`spec.analysis.judge`); never rejects:
   * a count that cannot be read is an error message. Absent: a Canary with a judge gets a failed check.
   */
  judgeCounts?(canary: ResolvedCanary): Promise<JudgeCounts>;
}

/**
 * How one delivery went, per receiver (`webhook "name"`, `alert "name"`, `kubernetes-event`), so
 * that a retry goes only to the receivers that did not take it.
 */
export interface DeliveryReport {
  delivered: string[];
  failed: { receiver: string; message: string }[];
}

/** What a delivery carries besides the effect: its id, and receivers that already took it. */
export interface DeliveryOptions {
  /** Unique id of the effect, sent along so receivers can de-duplicate (delivery is at-least-once). */
  effectId?: string;
  /** Receivers to leave out: they took this effect on an earlier attempt. */
  skip?: ReadonlySet<string>;
}

/**
 * Notifications. They never throw into a tick: a failure is reported per receiver, and the
 * reconciler keeps the effect in the Canary's outbox until every receiver took it. Held to
 * `test/contract/checks-contract.ts`.
 */
export interface Notifications {
  /** Sends an emitted Event to every `event` webhook, in order. */
  event(
    canary: ResolvedCanary,
    event: EventEffect,
    payload: WebhookPayload,
    options?: DeliveryOptions,
  ): Promise<DeliveryReport>;
  /** Sends an alert to the Canary's alert providers, by severity. */
  alert(canary: ResolvedCanary, alert: AlertEffect, options?: DeliveryOptions): Promise<DeliveryReport>;
  /** Calls the post-rollout webhooks in order, up to the first failure. */
  postRollout(
    canary: ResolvedCanary,
    payload: WebhookPayload,
    options?: DeliveryOptions,
  ): Promise<DeliveryReport>;
}
