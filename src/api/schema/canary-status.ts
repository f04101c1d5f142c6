/** The Canary status: Flagger's fields and Fledge's additions (checks, outbox, unready times). */
import { Type, type Static } from '@sinclair/typebox';
import { MAX_ROLLBACK_WINDOW_REVISIONS } from '../bounds.js';
import { ConditionSchema, Enum, StringMap } from './common.js';
import { JudgeStatusSchema } from './judge.js';
import { GateStatusSchema, OperatorRequestStatusSchema } from './operator-request.js';

export const PHASES = [
  'Initializing',
  'Initialized',
  'Waiting',
  'Progressing',
  'WaitingPromotion',
  'Promoting',
  'Finalising',
  'Succeeded',
  'Failed',
  'Terminating',
  'Terminated',
] as const;
export type Phase = (typeof PHASES)[number];

/** The result of one check (webhook or metric), as recorded in status and Events. Fledge addition. */
export const CheckResultSchema = Type.Object({
  name: Type.String(),
  kind: Enum(['metric', 'webhook'] as const, 'What was checked.'),
  passed: Type.Boolean(),
  value: Type.Optional(Type.Number()),
  min: Type.Optional(Type.Number()),
  max: Type.Optional(Type.Number()),
  query: Type.Optional(Type.String({ description: 'The query as sent, variables resolved.' })),
  message: Type.String(),
});

/**
 * An effect of a committed transition (a Kubernetes Event, an alert, the post-rollout webhooks) not
 * delivered yet: the status write that decides a transition also writes its effects here, and each
 * is removed only once delivered or given up. Fledge addition.
 */
export const PendingEffectSchema = Type.Object({
  id: Type.String({
    minLength: 1,
    description: 'Unique id of the effect: delivery is at-least-once, receivers de-duplicate on it.',
  }),
  kind: Enum(['event', 'alert', 'post-rollout'] as const, 'What to deliver.'),
  phase: Enum(PHASES, 'Phase reported to webhooks.'),
  checksum: Type.String({ description: 'Revision reported to webhooks.' }),
  eventType: Type.Optional(Enum(['Normal', 'Warning'] as const, 'Type of an Event.')),
  reason: Type.Optional(Type.String({ description: 'Reason of an Event.' })),
  severity: Type.Optional(Enum(['info', 'warn', 'error'] as const, 'Severity of an alert.')),
  message: Type.Optional(Type.String({ description: 'Message of an Event or an alert.' })),
  fields: Type.Optional(Type.Array(Type.Object({ name: Type.String(), value: Type.String() }))),
  delivered: Type.Optional(
    Type.Array(Type.String(), { description: 'Receivers that took it already; not sent to again.' }),
  ),
  attempts: Type.Optional(Type.Integer({ minimum: 0, description: 'Failed delivery attempts so far.' })),
  lastError: Type.Optional(Type.String({ description: 'Why the last attempt failed.' })),
});

export const CanaryStatusSchema = Type.Object({
  phase: Type.Optional(Enum(PHASES, 'Phase of the rollout.')),
  canaryWeight: Type.Optional(Type.Integer()),
  failedChecks: Type.Optional(Type.Integer()),
  iterations: Type.Optional(Type.Integer()),
  lastAppliedSpec: Type.Optional(Type.String({ description: 'Revision of the target being analysed.' })),
  lastPromotedSpec: Type.Optional(
    Type.String({
      description:
        'Revision last promoted to the primary: the revision the primary Deployment was last given, read from it.',
    }),
  ),
  promotedRevisions: Type.Optional(
    Type.Array(Type.String({ minLength: 1 }), {
      maxItems: MAX_ROLLBACK_WINDOW_REVISIONS,
      description:
        'Fledge (analysis.rollbackWindow): the last promoted revisions, newest first; a target set back to one is promoted without analysis.',
    }),
  ),
  fastRollback: Type.Optional(
    Type.Boolean({
      description:
        'Fledge: the revision being (or last) promoted came back within the rollback window and skipped the analysis.',
    }),
  ),
  trackedConfigs: Type.Optional(StringMap('configmap/NAME or secret/NAME to checksum.')),
  lastTransitionTime: Type.Optional(Type.String()),
  conditions: Type.Optional(Type.Array(ConditionSchema)),
  checks: Type.Optional(
    Type.Array(CheckResultSchema, { description: 'Fledge: results of the last analysis.' }),
  ),
  observedGeneration: Type.Optional(Type.Integer()),
  /**
   * Fledge: when the primary was last seen going from ready to not ready (RFC 3339), absent while it
   * is ready. The progress deadline is timed from here, so a pod that restarts late in a long
   * rollout is given the whole deadline to come back, and the timer survives a controller restart.
   */
  primaryUnreadySince: Type.Optional(
    Type.String({
      description:
        'Fledge: since when the primary has not been ready (absent while ready); the progress deadline is timed from here.',
    }),
  ),
  /**
   * Fledge: when the canary (target) stopped being ready, or was scaled up for an analysis (RFC
   * 3339), absent while it is ready or not running. The progress deadline is timed from here.
   */
  canaryUnreadySince: Type.Optional(
    Type.String({
      description:
        'Fledge: since when the canary has not been ready while it should run (absent while ready); the progress deadline is timed from here.',
    }),
  ),
  sessionAffinityCookie: Type.Optional(
    Type.String({
      description:
        'Session affinity cookie (name=value) of the current rollout, set while the canary gets traffic.',
    }),
  ),
  previousSessionAffinityCookie: Type.Optional(
    Type.String({
      description: 'Session affinity cookie of the previous rollout, expired for users who still send it.',
    }),
  ),
  primarySessionAffinityCookie: Type.Optional(
    Type.String({
      description:
        'Cookie (name=value) keeping users on the primary for one interval while the canary gets traffic.',
    }),
  ),
  gate: Type.Optional(GateStatusSchema),
  judge: Type.Optional(JudgeStatusSchema),
  lastRequest: Type.Optional(OperatorRequestStatusSchema),
  outbox: Type.Optional(
    Type.Array(PendingEffectSchema, {
      description: 'Fledge: effects of a committed transition still to be delivered (at-least-once).',
    }),
  ),
});

export type CanaryStatus = Static<typeof CanaryStatusSchema>;
export type CheckResult = Static<typeof CheckResultSchema>;
export type PendingEffect = Static<typeof PendingEffectSchema>;
