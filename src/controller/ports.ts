/** What a tick asks of webhooks and metrics, and how it tells the world what happened. */
import type { ResolvedCanary } from '../api/defaults.js';
import type { CheckResult } from '../api/schema/canary.js';
import type { WebhookPayload } from '../hooks/webhook.js';
import type { AlertEffect, EventEffect, GateAnswer } from './types.js';

export type GateType = 'confirm-rollout' | 'confirm-traffic-increase' | 'confirm-promotion' | 'rollback';

/** Gates and checks: the observations that cost a request. */
export interface Checks {
  /** Asks the webhooks of one gate type; no webhook of that type means open (for rollback: no rollback). */
  gate(canary: ResolvedCanary, type: GateType, payload: WebhookPayload): Promise<GateAnswer>;
  /** Runs the pre-rollout webhooks. */
  preRollout(canary: ResolvedCanary, payload: WebhookPayload): Promise<CheckResult[]>;
  /** Runs the rollout webhooks, then the metrics. */
  analysis(canary: ResolvedCanary, payload: WebhookPayload): Promise<CheckResult[]>;
}

/** Notifications: failures are logged by the implementation, never thrown into a tick. */
export interface Notifications {
  /** Sends an emitted Event to the `event` webhooks. */
  event(canary: ResolvedCanary, event: EventEffect, payload: WebhookPayload): Promise<void>;
  /** Sends an alert to the Canary's alert providers, by severity. */
  alert(canary: ResolvedCanary, alert: AlertEffect): Promise<void>;
  /** Calls the post-rollout webhooks. */
  postRollout(canary: ResolvedCanary, payload: WebhookPayload): Promise<void>;
}
