/** What a tick asks of webhooks and metrics, and how it tells the world what happened. */
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
}

/**
 * Notifications: failures are logged by the implementation, never thrown into a tick. Held to
 * `test/contract/checks-contract.ts`.
 */
export interface Notifications {
  /** Sends an emitted Event to every `event` webhook, in order. */
  event(canary: ResolvedCanary, event: EventEffect, payload: WebhookPayload): Promise<void>;
  /** Sends an alert to the Canary's alert providers, by severity. */
  alert(canary: ResolvedCanary, alert: AlertEffect): Promise<void>;
  /** Calls the post-rollout webhooks in order, up to the first failure. */
  postRollout(canary: ResolvedCanary, payload: WebhookPayload): Promise<void>;
}
