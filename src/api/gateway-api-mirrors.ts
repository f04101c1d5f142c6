/**
 * `spec.service.mirror` translated into Gateway API `RequestMirror` filters, as Flagger's Gateway
 * API router writes them on every rule of the route: each entry is a Gateway API
 * HTTPRequestMirrorFilter (`backendRef`, and optionally `percent` or `fraction`) copying requests
 * to a backend whose answers are discarded. The checks are the HTTPRoute CRD's (schema and CEL
 * rules), made here so that a Canary that validates can be written, with the field named.
 */
import type { FieldError } from './field-error.js';
import type { CanaryService } from './schema/canary.js';

/** A Gateway API BackendObjectReference, with the API server's defaults for group and kind. */
export interface MirrorBackendRef {
  group: string;
  kind: string;
  name: string;
  namespace?: string;
  port?: number;
}

/** A Gateway API HTTPRequestMirrorFilter. */
export interface RequestMirror {
  backendRef: MirrorBackendRef;
  /** Share of requests mirrored, 0 to 100; every request when neither this nor fraction is set. */
  percent?: number;
  fraction?: { numerator: number; denominator: number };
}

/** The CRD's `maxItems` of a rule's filters. */
export const MAX_RULE_FILTERS = 16;

const MIRROR_FIELDS = ['backendRef', 'percent', 'fraction'];
const BACKEND_REF_FIELDS = ['group', 'kind', 'name', 'namespace', 'port'];
const FRACTION_FIELDS = ['numerator', 'denominator'];
/** The CRD's patterns: a DNS subdomain or empty (group), a kind, a DNS label (namespace). */
const GROUP = /^$|^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const KIND = /^[a-zA-Z]([-a-zA-Z0-9]*[a-zA-Z0-9])?$/;
const NAMESPACE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isIntegerIn(value: unknown, min: number, max: number): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max;
}

/** Errors for the keys of `value` not in `known`. */
function unknownFields(value: Record<string, unknown>, known: string[], path: string): FieldError[] {
  return Object.keys(value)
    .filter((k) => !known.includes(k))
    .map((k) => ({ path: `${path}.${k}`, message: `unknown field (known: ${known.join(', ')})` }));
}

function stringField(
  value: unknown,
  path: string,
  pattern: RegExp,
  maxLength: number,
  errors: FieldError[],
): string | undefined {
  if (typeof value !== 'string' || value.length > maxLength || !pattern.test(value)) {
    errors.push({ path, message: `must be a string of at most ${maxLength} characters matching ${pattern}` });
    return undefined;
  }
  return value;
}

function backendRefOf(value: unknown, path: string, errors: FieldError[]): MirrorBackendRef | undefined {
  if (!isRecord(value)) {
    errors.push({
      path,
      message:
        'is required: an object with name and port (and optionally group, kind, namespace) of the backend requests are copied to',
    });
    return undefined;
  }
  const before = errors.length;
  errors.push(...unknownFields(value, BACKEND_REF_FIELDS, path));
  const { name, namespace, port } = value;
  if (typeof name !== 'string' || name === '' || name.length > 253) {
    errors.push({ path: `${path}.name`, message: 'is required: a name of 1 to 253 characters' });
  }
  const group =
    value.group === undefined ? '' : stringField(value.group, `${path}.group`, GROUP, 253, errors);
  const kind =
    value.kind === undefined ? 'Service' : stringField(value.kind, `${path}.kind`, KIND, 63, errors);
  if (namespace !== undefined) stringField(namespace, `${path}.namespace`, NAMESPACE, 63, errors);
  if (port !== undefined && !isIntegerIn(port, 1, 65535)) {
    errors.push({ path: `${path}.port`, message: 'must be an integer from 1 to 65535' });
  } else if (port === undefined && group === '' && kind === 'Service') {
    errors.push({ path: `${path}.port`, message: 'is required for a Service: the service port to copy to' });
  }
  if (errors.length > before || group === undefined || kind === undefined) return undefined;
  return {
    group,
    kind,
    name: name as string,
    ...(namespace !== undefined ? { namespace: namespace as string } : {}),
    ...(port !== undefined ? { port: port as number } : {}),
  };
}

function fractionOf(value: unknown, path: string, errors: FieldError[]): RequestMirror['fraction'] {
  if (!isRecord(value)) {
    errors.push({
      path,
      message: 'must be an object with numerator and optionally denominator (default 100)',
    });
    return undefined;
  }
  const before = errors.length;
  errors.push(...unknownFields(value, FRACTION_FIELDS, path));
  const { numerator, denominator = 100 } = value;
  if (!isIntegerIn(numerator, 0, 2 ** 31 - 1)) {
    errors.push({ path: `${path}.numerator`, message: 'is required: an integer of at least 0' });
  }
  if (!isIntegerIn(denominator, 1, 2 ** 31 - 1)) {
    errors.push({ path: `${path}.denominator`, message: 'must be an integer of at least 1' });
  }
  if (errors.length > before) return undefined;
  if ((numerator as number) > (denominator as number)) {
    errors.push({
      path: `${path}.numerator`,
      message: `must be at most the denominator (${denominator as number})`,
    });
    return undefined;
  }
  return { numerator: numerator as number, denominator: denominator as number };
}

function mirrorOf(value: unknown, path: string, errors: FieldError[]): RequestMirror | undefined {
  if (!isRecord(value)) {
    errors.push({ path, message: 'must be an object with backendRef and optionally percent or fraction' });
    return undefined;
  }
  const before = errors.length;
  errors.push(...unknownFields(value, MIRROR_FIELDS, path));
  const backendRef = backendRefOf(value.backendRef, `${path}.backendRef`, errors);
  if (value.percent !== undefined && !isIntegerIn(value.percent, 0, 100)) {
    errors.push({ path: `${path}.percent`, message: 'must be an integer from 0 to 100' });
  }
  const fraction =
    value.fraction === undefined ? undefined : fractionOf(value.fraction, `${path}.fraction`, errors);
  if (value.percent !== undefined && value.fraction !== undefined) {
    errors.push({ path: `${path}.fraction`, message: 'cannot be set with percent: set one of them' });
  }
  if (errors.length > before || !backendRef) return undefined;
  return {
    backendRef,
    ...(value.percent !== undefined ? { percent: value.percent as number } : {}),
    ...(fraction ? { fraction } : {}),
  };
}

/**
 * The RequestMirror filters of `spec.service.mirror`, in its order, with the errors of its entries.
 * `canaryService` is the Canary's `<apex>-canary` Service: `analysis.mirror` mirrors there, and an
 * entry copying to it too would make a mirrored canary indistinguishable from an unmirrored one.
 */
export function translateMirrors(
  service: Partial<CanaryService>,
  canaryService: string,
): { mirrors: RequestMirror[]; errors: FieldError[] } {
  const errors: FieldError[] = [];
  const mirrors: RequestMirror[] = [];
  const entries: unknown = service.mirror ?? [];
  if (!Array.isArray(entries)) {
    return { mirrors, errors: [{ path: 'spec.service.mirror', message: 'must be a list of mirrors' }] };
  }
  entries.forEach((entry, i) => {
    const path = `spec.service.mirror[${i}]`;
    const mirror = mirrorOf(entry, path, errors);
    if (!mirror) return;
    const ref = mirror.backendRef;
    if (
      ref.group === '' &&
      ref.kind === 'Service' &&
      ref.namespace === undefined &&
      ref.name === canaryService
    ) {
      errors.push({
        path: `${path}.backendRef.name`,
        message: `is the canary's own service ${canaryService}: use analysis.mirror to mirror to the canary`,
      });
      return;
    }
    mirrors.push(mirror);
  });
  return { mirrors, errors };
}

/**
 * Whether `filter` is the `analysis.mirror` copy to the canary Service (`service.mirror` entries
 * cannot name that Service, see {@link translateMirrors}).
 */
export function isCanaryMirror(
  filter: { type: string; requestMirror?: RequestMirror },
  canaryService: string,
): boolean {
  const ref = filter.requestMirror?.backendRef;
  return (
    filter.type === 'RequestMirror' &&
    ref?.name === canaryService &&
    ref.namespace === undefined &&
    (ref.kind ?? 'Service') === 'Service' &&
    (ref.group ?? '') === ''
  );
}
