/**
 * Webhooks: the payload Flagger sends (so receivers written for Flagger's load tester work
 * unchanged) and the port the reconciler calls them through.
 */
import type { ResolvedWebhook } from '../api/defaults.js';
import type { Phase } from '../api/schema/canary.js';

/** The JSON body POSTed to every webhook. */
export interface WebhookPayload {
  name: string;
  namespace: string;
  phase: Phase;
  /** Hash of the revision the call is about (`canaryChecksum` in `payload.ts`, Flagger's meaning). */
  checksum: string;
  metadata: Record<string, string>;
}

/** How one webhook call ended. A failure is data, never an exception. */
export interface WebhookOutcome {
  ok: boolean;
  /** HTTP status of the last attempt, when there was an answer. */
  statusCode?: number;
  /** Why it failed, or a short success note; shown in status and Events. */
  message: string;
}

/** Calls webhooks with their timeout and retries. */
export interface WebhookCaller {
  call(hook: ResolvedWebhook, payload: WebhookPayload): Promise<WebhookOutcome>;
}
