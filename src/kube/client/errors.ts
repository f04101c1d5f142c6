/**
 * Maps the API server's answers to the port's error types. The server's `Status.message` is kept
 * whole: for a 422 it names the offending fields (from the CRD's OpenAPI schema or CEL rules).
 */
import { AlreadyExistsError, ConflictError, InvalidError, KubeApiError, NotFoundError } from '../cluster.js';

/** The parts of a `meta.k8s.io` Status object the adapter reads. */
export interface KubeStatus {
  kind: 'Status';
  status?: string;
  message?: string;
  reason?: string;
  code?: number;
  details?: { name?: string; kind?: string; uid?: string; causes?: unknown[] };
}

/** 410 Gone: a list continuation or watch resourceVersion is older than the server keeps; relist. */
export class ExpiredError extends KubeApiError {
  override name = 'ExpiredError';
  constructor(message: string, options?: ErrorOptions) {
    super(message, 410, options);
  }
}

/** The API server does not serve the kind (e.g. its CRD is not installed). Not a missing object. */
export class UnknownKindError extends KubeApiError {
  override name = 'UnknownKindError';
  constructor(message: string, options?: ErrorOptions) {
    super(message, 404, options);
  }
}

/** No answer from the API server (connection refused, reset, timed out); `status` is 0. */
export class ApiUnreachableError extends KubeApiError {
  override name = 'ApiUnreachableError';
  constructor(message: string, options?: ErrorOptions) {
    super(message, 0, options);
  }
}

/** True when `value` is a `Status` object. */
export function isStatus(value: unknown): value is KubeStatus {
  return typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'Status';
}

/** The server's explanation from a response body: Status.message, or the text itself. */
export function serverMessage(body: unknown): string {
  if (isStatus(body) && typeof body.message === 'string' && body.message !== '') return body.message;
  if (typeof body === 'string' && body.trim() !== '') return body.trim().slice(0, 500);
  return 'no message';
}

/**
 * The error for a failed call.
 * @param status HTTP status the server answered
 * @param body parsed response body (usually a Status)
 * @param action what was attempted, naming the kind and `namespace/name`, e.g. `patch Canary ns/podinfo`
 */
export function toKubeError(status: number, body: unknown, action: string): KubeApiError {
  const message = `${action}: ${serverMessage(body)}`;
  const reason = isStatus(body) ? body.reason : undefined;
  const cause = { cause: body };
  switch (status) {
    case 404:
      return new NotFoundError(message, cause);
    case 409:
      return reason === 'AlreadyExists'
        ? new AlreadyExistsError(message, cause)
        : new ConflictError(message, cause);
    case 410:
      return new ExpiredError(message, cause);
    case 422:
      return new InvalidError(message, cause);
    default:
      return new KubeApiError(`${message} (HTTP ${status})`, status, cause);
  }
}
