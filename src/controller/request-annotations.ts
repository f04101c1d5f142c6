/**
 * The operator request as annotations on the Canary: what `fledge promote`, `abort` and `retry`
 * write, and what `kubectl annotate` can write just as well. Annotations, not spec fields: a GitOps
 * tool syncs the spec, and keys it never wrote survive its server-side apply or three-way merge.
 * The controller carries a request out on its next tick and then removes these annotations.
 */
import type { RequestAction } from '../api/schema/operator-request.js';
import type { OperatorRequestStatus } from '../api/schema/operator-request.js';

/** The annotation keys of a request. */
export const RequestAnnotations = {
  /** `promote`, `promote-full`, `abort` or `retry`. */
  action: 'fledge.dev/request',
  /** The target revision the request is for (`status.gate.revision` or `status.lastAppliedSpec`). */
  revision: 'fledge.dev/request-revision',
  /** Who asks; recorded as written (the API server's audit log has the authenticated user). */
  by: 'fledge.dev/request-by',
  /** When it was asked (RFC 3339); with the rest, it tells one request from the next. */
  at: 'fledge.dev/request-at',
} as const;

/** A request as read from the annotations, not yet checked against the canary. */
export interface OperatorRequest {
  action: string;
  revision: string;
  by: string;
  at: string;
  /** Why the annotations do not make a request the controller can act on. */
  malformed?: string;
}

/** Recorded as `by` when a request does not say who made it. */
export const UNNAMED_REQUESTER = 'unnamed (no fledge.dev/request-by annotation)';

/** Reads the request from a Canary's annotations; undefined when there is none. Pure. */
export function readRequest(annotations: Record<string, string> | undefined): OperatorRequest | undefined {
  const action = annotations?.[RequestAnnotations.action];
  if (action === undefined) return undefined;
  const revision = annotations?.[RequestAnnotations.revision] ?? '';
  const at = annotations?.[RequestAnnotations.at] ?? '';
  const request: OperatorRequest = {
    action,
    revision,
    by: annotations?.[RequestAnnotations.by] || UNNAMED_REQUESTER,
    at,
  };
  const malformed = malformedReason(request);
  return malformed ? { ...request, malformed } : request;
}

const ACTIONS: readonly string[] = ['promote', 'promote-full', 'abort', 'retry'] satisfies RequestAction[];

function malformedReason(r: OperatorRequest): string | undefined {
  if (!ACTIONS.includes(r.action)) {
    return `annotation ${RequestAnnotations.action}: must be one of ${ACTIONS.join(', ')}, got ${JSON.stringify(r.action.slice(0, 40))}`;
  }
  if (r.revision === '')
    return `annotation ${RequestAnnotations.revision}: required (the revision the request is for)`;
  if (r.at === '' || Number.isNaN(Date.parse(r.at))) {
    return `annotation ${RequestAnnotations.at}: required, an RFC 3339 time such as 2026-01-01T12:00:00Z (got ${JSON.stringify(r.at.slice(0, 40))})`;
  }
  return undefined;
}

/** Whether `request` is the one `status.lastRequest` records: already handled, not to act on again. */
export function alreadyHandled(request: OperatorRequest, last: OperatorRequestStatus | undefined): boolean {
  return (
    last !== undefined &&
    last.action === request.action &&
    last.revision === request.revision &&
    last.by === request.by &&
    last.at === request.at
  );
}

/** The annotations of a request, for a merge patch of the Canary's metadata. */
export function requestAnnotations(request: Omit<OperatorRequest, 'malformed'>): Record<string, string> {
  return {
    [RequestAnnotations.action]: request.action,
    [RequestAnnotations.revision]: request.revision,
    [RequestAnnotations.by]: request.by,
    [RequestAnnotations.at]: request.at,
  };
}

/** A merge patch removing the request's annotations once handled. */
export function clearRequestPatch(): { metadata: { annotations: Record<string, null> } } {
  const annotations: Record<string, null> = {};
  for (const key of Object.values(RequestAnnotations)) annotations[key] = null;
  return { metadata: { annotations } };
}
