/**
 * Builds the JSON body Flagger POSTs to webhooks, so receivers written for Flagger (its load
 * tester, gate services, chat bridges) work unchanged.
 */
import type { ResolvedWebhook } from '../api/defaults.js';
import type { Phase } from '../api/schema/canary.js';
import { stableHash } from '../workloads/stable-hash.js';
import type { WebhookPayload } from './webhook.js';

/** The canary a payload is about. */
export interface HookSubject {
  name: string;
  namespace: string;
  /** Phase of the canary when the hook is called. */
  phase: Phase;
  /** The canary revision being analysed: see {@link canaryChecksum}. */
  checksum: string;
  /**
   * Id of the effect being delivered (`post-rollout` and `event` hooks), sent as
   * `metadata.effectId`: delivery is at-least-once, so a receiver de-duplicates on it.
   */
  effectId?: string;
}

/** Metadata key of the effect id; a hook's own metadata cannot override it. */
export const EFFECT_ID_METADATA_KEY = 'effectId';

/** The revision a payload's `checksum` describes: the Canary's status fields Flagger hashes. */
export interface ChecksumSource {
  /** Revision of the target under analysis (or last applied). */
  lastAppliedSpec?: string | undefined;
  /** Checksums of the ConfigMaps and Secrets the target references. */
  trackedConfigs?: Record<string, string> | undefined;
}

/**
 * Flagger's `checksum`: a hash of the Canary's `lastAppliedSpec` and `trackedConfigs`, so it
 * changes with every new revision of the target or of a tracked config and stays the same for
 * every call about one revision. Receivers use it to tell one rollout from the next (a gate
 * approved for one revision is not approved for the next). Same digest as revisions; Flagger's
 * own hash function differs, so the values are not Flagger's, only their meaning is.
 */
export function canaryChecksum(source: ChecksumSource): string {
  return stableHash({
    lastAppliedSpec: source.lastAppliedSpec ?? '',
    trackedConfigs: source.trackedConfigs ?? {},
  });
}

/** The subject of a payload: the Canary's identity, with the phase and checksum the tick chose. */
export function subjectOf(
  canary: { name: string; namespace: string },
  payload: Pick<WebhookPayload, 'phase' | 'checksum'>,
): HookSubject {
  return { name: canary.name, namespace: canary.namespace, phase: payload.phase, checksum: payload.checksum };
}

/** Kubernetes Event type, sent as `metadata.eventType` to `event` webhooks. */
export type CanaryEventType = 'Normal' | 'Warning';

/** An Event the controller recorded, forwarded to `event` webhooks. */
export interface CanaryEvent {
  message: string;
  type: CanaryEventType;
}

/**
 * Metadata keys Fledge sets on `event` payloads. A hook's own metadata cannot override them,
 * as in Flagger.
 */
export const EVENT_METADATA_KEYS = ['eventMessage', 'eventType', 'timestamp'] as const;

/** The payload for every webhook type but `event`: the subject plus a copy of the hook's metadata. */
export function buildPayload(subject: HookSubject, hook: Pick<ResolvedWebhook, 'metadata'>): WebhookPayload {
  return {
    name: subject.name,
    namespace: subject.namespace,
    phase: subject.phase,
    checksum: subject.checksum,
    metadata: {
      ...(hook.metadata ?? {}),
      ...(subject.effectId ? { [EFFECT_ID_METADATA_KEY]: subject.effectId } : {}),
    },
  };
}

/**
 * The payload for an `event` webhook: metadata holds `eventMessage`, `eventType` and `timestamp`
 * (Unix time in milliseconds, as a decimal string, as Flagger sends it), then the hook's own
 * metadata for any other key.
 */
export function buildEventPayload(
  subject: HookSubject,
  hook: Pick<ResolvedWebhook, 'metadata'>,
  event: CanaryEvent,
  nowMs: number,
): WebhookPayload {
  const payload = buildPayload(subject, hook);
  payload.metadata = {
    ...payload.metadata,
    eventMessage: event.message,
    eventType: event.type,
    timestamp: String(Math.trunc(nowMs)),
  };
  return payload;
}
