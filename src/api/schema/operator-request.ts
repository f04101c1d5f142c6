/**
 * Operator requests (`fledge promote`, `abort`, `retry`) as the Canary status records them, and
 * the gate a rollout waits at. Fledge additions: the request itself is a set of annotations on the
 * Canary (`src/controller/requests.ts`), so that approving never changes the spec a GitOps tool syncs.
 */
import { Type, type Static } from '@sinclair/typebox';
import { Enum } from './common.js';

/** The gate webhook types: the points a rollout can wait at. */
export const GATE_TYPES = ['confirm-rollout', 'confirm-traffic-increase', 'confirm-promotion'] as const;
export type GateWebhookType = (typeof GATE_TYPES)[number];

/**
 * The points `fledge promote` can open: the gate webhooks, and the judge's hold limit
 * (`spec.analysis.judge.onHoldLimit: gate`), where an approval lets one step go ahead.
 */
export const APPROVAL_GATES = [...GATE_TYPES, 'judge-hold-limit'] as const;
export type ApprovalGate = (typeof APPROVAL_GATES)[number];

/** What an operator can ask the controller to do. `promote-full` is `fledge promote --full`. */
export const REQUEST_ACTIONS = ['promote', 'promote-full', 'abort', 'retry'] as const;
export type RequestAction = (typeof REQUEST_ACTIONS)[number];

/**
 * What became of a request: `Accepted` (an approval kept until the gate it opens is reached),
 * `Applied`, `Rejected` (stale revision, wrong phase, malformed), `Expired` (an accepted approval
 * whose analysis ended or restarted before it was used).
 */
export const REQUEST_RESULTS = ['Accepted', 'Applied', 'Rejected', 'Expired'] as const;
export type RequestResult = (typeof REQUEST_RESULTS)[number];

export const GateStatusSchema = Type.Object(
  {
    type: Enum(APPROVAL_GATES, 'The closed gate.'),
    revision: Type.String({ description: 'Revision of the target waiting at it.' }),
  },
  { description: 'Fledge: the gate the current revision waits at (fledge promote opens it).' },
);

export const OperatorRequestStatusSchema = Type.Object(
  {
    action: Type.String({ description: 'promote, promote-full, abort or retry (as requested).' }),
    revision: Type.String({ description: 'Revision the request was made for.' }),
    by: Type.String({ description: 'Who asked (as the requester wrote it).' }),
    at: Type.String({ description: 'When it was asked (RFC 3339).' }),
    result: Enum(REQUEST_RESULTS, 'What the controller did with it.'),
    gate: Type.Optional(Enum(APPROVAL_GATES, 'The gate an accepted or applied promote opens.')),
    message: Type.String({ description: 'What was done, or why not.' }),
    handledAt: Type.String({ description: 'When the controller last changed the result (RFC 3339).' }),
  },
  { description: 'Fledge: the last operator request (fledge promote, abort, retry) and what became of it.' },
);

export type GateStatus = Static<typeof GateStatusSchema>;
export type OperatorRequestStatus = Static<typeof OperatorRequestStatusSchema>;
