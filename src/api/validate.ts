/**
 * Validation of Fledge documents: the JSON schema (the same one the CRDs carry) plus the rules
 * that span several fields, which a schema cannot say. Every problem is a {@link FieldError} naming
 * the field path in the form users write it: `spec.analysis.stepWeights[2]`.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { MESSAGE_HINT, API_VERSION } from './schema/common.js';
import type { Canary } from './schema/canary.js';
import type { MetricTemplate } from './schema/metric-template.js';
import type { AlertProvider } from './schema/alert-provider.js';
import { KINDS, kindInfo, type KindInfo } from './kinds.js';
import { canaryWarnings, validateCanaryRules } from './canary-rules.js';
import { valueErrors, validateAlertProviderRules, validateMetricTemplateRules } from './document-rules.js';
import { metadataNameErrors } from './names.js';
import { formatFieldError, quote, type FieldError } from './field-error.js';

export { formatFieldError, type FieldError } from './field-error.js';
export { validateCanaryRules } from './canary-rules.js';
export { validateMetricTemplateRules } from './document-rules.js';

/** What checking one document found: errors stop the controller; warnings do not. */
export interface DocumentCheck {
  errors: FieldError[];
  /** Accepted, with a meaning (Flagger's) that is rarely what was meant. */
  warnings: FieldError[];
}

// `verbose` hands each error its schema node and data, for the message hints and "got" values.
const ajv = new Ajv({ allErrors: true, strict: false, verbose: true });
// Compiled on first use: the validator a kind compiles to is code V8 must parse and keep (about
// 1 MB of RSS for MetricTemplate), and a controller whose canaries use no MetricTemplate or
// AlertProvider never needs theirs.
const validators = new Map<KindInfo['kind'], ValidateFunction>();

function validatorOf(info: KindInfo): ValidateFunction {
  let check = validators.get(info.kind);
  if (!check) {
    check = ajv.compile(info.schema);
    validators.set(info.kind, check);
  }
  return check;
}

/** Fields Flagger renamed; a migrating user gets the new name instead of a bare "unknown field". */
const RENAMED_FIELDS: Record<string, string> = { canaryAnalysis: 'analysis' };

function pointerToPath(pointer: string): string {
  let out = '';
  for (const raw of pointer.split('/').slice(1)) {
    const part = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (/^\d+$/.test(part)) out += `[${part}]`;
    else if (/^[A-Za-z_][\w-]*$/.test(part)) out += out ? `.${part}` : part;
    else out += `[${JSON.stringify(part)}]`;
  }
  return out;
}

function join(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1]?.toLowerCase() === b[j - 1]?.toLowerCase() ? 0 : 1;
      row.push(Math.min((prev[j] as number) + 1, (row[j - 1] as number) + 1, (prev[j - 1] as number) + cost));
    }
    prev = row;
  }
  return prev[b.length] as number;
}

/** `unknown field`, with the closest known field name when the unknown one looks like a typo of it. */
function unknownFieldMessage(field: string, parentSchema: unknown): string {
  const renamed = RENAMED_FIELDS[field];
  if (renamed) return `unknown field (Flagger renamed it: use ${renamed})`;
  const properties = (parentSchema as { properties?: Record<string, unknown> } | undefined)?.properties;
  const known = Object.keys(properties ?? {});
  const maxDistance = Math.max(1, Math.floor(field.length / 4));
  let best: { name: string; distance: number } | undefined;
  for (const name of known) {
    const distance = editDistance(field, name);
    if (distance <= maxDistance && (!best || distance < best.distance)) best = { name, distance };
  }
  if (best) return `unknown field (did you mean ${best.name}?)`;
  return known.length > 0 ? `unknown field (known: ${known.join(', ')})` : 'unknown field';
}

function got(data: unknown): string {
  return ` (got ${quote(data)})`;
}

function schemaError(e: ErrorObject): FieldError {
  const path = pointerToPath(e.instancePath);
  const hint = (e.parentSchema as Record<string, unknown> | undefined)?.[MESSAGE_HINT];
  switch (e.keyword) {
    case 'additionalProperties': {
      const field = String(e.params.additionalProperty);
      return { path: join(path, field), message: unknownFieldMessage(field, e.parentSchema) };
    }
    case 'required':
      return { path: join(path, String(e.params.missingProperty)), message: 'required field is missing' };
    case 'pattern':
    case 'enum':
    case 'anyOf':
      return {
        path,
        message: `${typeof hint === 'string' ? hint : (e.message ?? 'invalid value')}${got(e.data)}`,
      };
    case 'const':
      return { path, message: `must be ${JSON.stringify(e.params.allowedValue)}${got(e.data)}` };
    case 'minLength':
      if (e.params.limit === 1) return { path, message: 'must not be empty' };
      return { path, message: e.message ?? 'invalid value' };
    case 'type':
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return { path, message: `${e.message ?? 'invalid value'}${got(e.data)}` };
    default:
      return { path, message: e.message ?? 'invalid value' };
  }
}

/** Drops the noise ajv adds for a union (one error per branch) when the union's own error is there. */
function dedupe(errors: FieldError[]): FieldError[] {
  const seen = new Set<string>();
  return errors.filter((e) => {
    const key = formatFieldError(e);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/**
 * Checks one parsed document of any Fledge kind: values, apiVersion, kind, schema, names, then the
 * rules across fields. The one set of rules for `fledge validate` and the controller. Never throws.
 */
export function checkDocument(doc: unknown): DocumentCheck {
  const none: FieldError[] = [];
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    return {
      errors: [{ path: '', message: 'document must be a mapping with apiVersion, kind, metadata and spec' }],
      warnings: none,
    };
  }
  // Before the schema: ajv and the rules walk the document recursively, and .inf must be named.
  const values = valueErrors(doc);
  if (values.length > 0) return { errors: values, warnings: none };
  const obj = doc as Record<string, unknown>;
  const info = typeof obj.kind === 'string' ? kindInfo(obj.kind) : undefined;
  if (!info) {
    return {
      errors: [
        { path: 'kind', message: `must be one of: ${KINDS.map((k) => k.kind).join(', ')}${got(obj.kind)}` },
      ],
      warnings: none,
    };
  }
  const errors: FieldError[] = [];
  if (obj.apiVersion !== API_VERSION) {
    const hint = String(obj.apiVersion).startsWith('flagger.app/')
      ? ' (migrating from Flagger? change apiVersion)'
      : '';
    errors.push({ path: 'apiVersion', message: `must be ${API_VERSION}${hint}` });
  }
  const check = validatorOf(info);
  if (!check(doc)) {
    errors.push(
      ...dedupe(
        (check.errors ?? []).filter((e) => e.keyword !== 'type' || !isUnionBranch(e)).map(schemaError),
      ),
    );
    return { errors, warnings: none };
  }
  errors.push(...metadataNameErrors((doc as Canary).metadata));
  switch (info.kind) {
    case 'Canary':
      errors.push(...validateCanaryRules(doc as Canary));
      return { errors, warnings: errors.length === 0 ? canaryWarnings(doc as Canary) : none };
    case 'MetricTemplate':
      errors.push(...validateMetricTemplateRules(doc as MetricTemplate));
      break;
    case 'AlertProvider':
      errors.push(...validateAlertProviderRules(doc as AlertProvider));
      break;
  }
  return { errors, warnings: none };
}

/** The errors of {@link checkDocument}: what the controller refuses to run. */
export function validateDocument(doc: unknown): FieldError[] {
  return checkDocument(doc).errors;
}

/** ajv reports each failed branch of an int-or-string union; the union's own error says it better. */
function isUnionBranch(e: ErrorObject): boolean {
  return /\/anyOf\/\d+\//.test(e.schemaPath);
}

/**
 * The references of a Canary that leave its namespace: `metrics[].templateRef` and
 * `alerts[].providerRef` with a `namespace` other than the Canary's. Under
 * `--no-cross-namespace-refs` each is an error, so a tenant cannot borrow another namespace's
 * queries or alerting credentials.
 */
export function crossNamespaceRefErrors(canary: Canary): FieldError[] {
  const own = canary.metadata.namespace ?? 'default';
  const errors: FieldError[] = [];
  const check = (path: string, kind: string, ref: { name: string; namespace?: string | undefined }) => {
    if (ref.namespace === undefined || ref.namespace === '' || ref.namespace === own) return;
    errors.push({
      path: `${path}.namespace`,
      message: `${kind} ${ref.namespace}/${ref.name} is in another namespace than the Canary (${own}): cross-namespace references are disabled (--no-cross-namespace-refs)`,
    });
  };
  (canary.spec.analysis.metrics ?? []).forEach((m, i) => {
    if (m.templateRef) check(`spec.analysis.metrics[${i}].templateRef`, 'MetricTemplate', m.templateRef);
  });
  (canary.spec.analysis.alerts ?? []).forEach((a, i) => {
    check(`spec.analysis.alerts[${i}].providerRef`, 'AlertProvider', a.providerRef);
  });
  return errors;
}
