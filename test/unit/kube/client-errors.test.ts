/** API server answers mapped to the port's errors, keeping the server's message. */
import {
  AlreadyExistsError,
  ConflictError,
  InvalidError,
  KubeApiError,
  NotFoundError,
} from '../../../src/kube/cluster.js';
import { ExpiredError, serverMessage, toKubeError } from '../../../src/kube/client/errors.js';

const status = (code: number, reason: string, message: string) => ({
  kind: 'Status',
  apiVersion: 'v1',
  status: 'Failure',
  code,
  reason,
  message,
});

describe('toKubeError', () => {
  it('maps 404 to NotFoundError naming the kind and namespace/name', () => {
    const err = toKubeError(
      404,
      status(404, 'NotFound', 'canaries.fledge.dev "podinfo" not found'),
      'get Canary test/podinfo',
    );
    expect(err).toBeInstanceOf(NotFoundError);
    expect(err.status).toBe(404);
    expect(err.message).toBe('get Canary test/podinfo: canaries.fledge.dev "podinfo" not found');
  });

  it('tells a taken name (AlreadyExists) from a stale resourceVersion (Conflict)', () => {
    const taken = toKubeError(
      409,
      status(409, 'AlreadyExists', 'configmaps "a" already exists'),
      'create ConfigMap ns/a',
    );
    expect(taken).toBeInstanceOf(AlreadyExistsError);
    expect(taken).not.toBeInstanceOf(ConflictError);
    const stale = toKubeError(
      409,
      status(
        409,
        'Conflict',
        'Operation cannot be fulfilled on canaries.fledge.dev "a": the object has been modified',
      ),
      'patch Canary ns/a',
    );
    expect(stale).toBeInstanceOf(ConflictError);
    expect(stale).not.toBeInstanceOf(AlreadyExistsError);
    expect(toKubeError(409, 'conflict', 'x')).toBeInstanceOf(ConflictError);
  });

  it('keeps the server message of a 422 whole (it names the fields)', () => {
    const message =
      'Canary.fledge.dev "bad" is invalid: spec.analysis.threshold: Invalid value: "string": spec.analysis.threshold in body must be of type integer: "string"';
    const err = toKubeError(422, status(422, 'Invalid', message), 'create Canary ns/bad');
    expect(err).toBeInstanceOf(InvalidError);
    expect(err.message).toBe(`create Canary ns/bad: ${message}`);
  });

  it('maps 410 to ExpiredError and anything else to KubeApiError with the status', () => {
    expect(
      toKubeError(410, status(410, 'Expired', 'too old resource version: 1 (200)'), 'watch x'),
    ).toBeInstanceOf(ExpiredError);
    const forbidden = toKubeError(
      403,
      status(403, 'Forbidden', 'configmaps is forbidden: User "x" cannot list'),
      'list ConfigMap ns',
    );
    expect(forbidden).toBeInstanceOf(KubeApiError);
    expect(forbidden).not.toBeInstanceOf(NotFoundError);
    expect(forbidden.status).toBe(403);
    expect(forbidden.message).toBe(
      'list ConfigMap ns: configmaps is forbidden: User "x" cannot list (HTTP 403)',
    );
    const unsupported = toKubeError(
      415,
      status(415, 'UnsupportedMediaType', 'the body of the request was in an unknown format'),
      'patch VirtualService ns/vs',
    );
    expect(unsupported.status).toBe(415);
  });

  it('carries the answer as the cause', () => {
    const body = status(500, 'InternalError', 'etcd timeout');
    expect(toKubeError(500, body, 'x').cause).toBe(body);
  });
});

describe('serverMessage', () => {
  it('reads Status.message, else plain text, else says there was none', () => {
    expect(serverMessage(status(500, 'InternalError', 'boom'))).toBe('boom');
    expect(serverMessage('  upstream connect error  ')).toBe('upstream connect error');
    expect(serverMessage(undefined)).toBe('no message');
    expect(serverMessage({ kind: 'Status' })).toBe('no message');
  });
});
