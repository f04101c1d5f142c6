/**
 * Validation of Fledge documents: the JSON schema (the same one the CRDs carry) plus the rules
 * that span several fields, which a schema cannot say. Every problem is a {@link FieldError} naming
 * the field path in the form users write it: `spec.analysis.stepWeights[2]`.
 */
import { Ajv, type ErrorObject } from 'ajv';
import { MESSAGE_HINT, API_VERSION } from './schema/common.js';
import { IMPLEMENTED_PROVIDERS, KNOWN_PROVIDERS, type Canary } from './schema/canary.js';
import { IMPLEMENTED_METRIC_PROVIDERS, type MetricTemplate } from './schema/metric-template.js';
import { KINDS, kindInfo } from './kinds.js';
import { parseDurationMs } from './duration.js';
import { BUILTIN_METRIC_NAMES } from './builtin-metrics.js';

/** One problem with one field. */
export interface FieldError {
  /** Path such as `spec.analysis.stepWeights[2]`; empty for the document itself. */
  path: string;
  message: string;
}

/** Renders a FieldError as `path: message`. */
export function formatFieldError(e: FieldError): string {
  return e.path ? `${e.path}: ${e.message}` : e.message;
}

// `verbose` hands each error its schema node and data, for the message hints and "got" values.
const ajv = new Ajv({ allErrors: true, strict: false, verbose: true });
const validators = new Map(KINDS.map((k) => [k.kind, ajv.compile(k.schema)]));

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
  return ` (got ${JSON.stringify(data) ?? String(data)})`;
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

/** Rules across fields of a Canary that its schema cannot express. */
export function validateCanaryRules(canary: Canary): FieldError[] {
  const errors: FieldError[] = [];
  const spec = canary.spec;
  const a = spec.analysis;
  const add = (path: string, message: string) => errors.push({ path, message });

  if (spec.provider !== undefined) {
    if (!(KNOWN_PROVIDERS as readonly string[]).includes(spec.provider)) {
      add('spec.provider', `unknown provider "${spec.provider}" (known: ${KNOWN_PROVIDERS.join(', ')})`);
    } else if (!(IMPLEMENTED_PROVIDERS as readonly string[]).includes(spec.provider)) {
      add(
        'spec.provider',
        `provider "${spec.provider}" is not supported by this version of Fledge (supported: ${IMPLEMENTED_PROVIDERS.join(', ')})`,
      );
    }
  }
  if (spec.targetRef.kind === 'DaemonSet') {
    add(
      'spec.targetRef.kind',
      'DaemonSet targets are not supported by this version of Fledge (supported: Deployment)',
    );
  }

  if (a.stepWeight !== undefined && a.stepWeights !== undefined) {
    add('spec.analysis.stepWeights', 'set either stepWeight or stepWeights, not both');
  }
  if (a.stepWeights && a.maxWeight !== undefined) {
    add(
      'spec.analysis.maxWeight',
      'is ignored when stepWeights is set (the last step is the max weight); remove it',
    );
  }
  a.stepWeights?.forEach((w, i) => {
    const prev = a.stepWeights?.[i - 1];
    if (prev !== undefined && w <= prev) {
      add(`spec.analysis.stepWeights[${i}]`, `must be greater than the previous step (${w} <= ${prev})`);
    }
  });
  if (a.stepWeight !== undefined && a.maxWeight !== undefined && a.stepWeight > a.maxWeight) {
    add('spec.analysis.stepWeight', `must not exceed maxWeight (${a.stepWeight} > ${a.maxWeight})`);
  }
  if (a.match && a.match.length > 0 && a.iterations === undefined) {
    add(
      'spec.analysis.iterations',
      'is required with analysis.match (A/B testing runs a number of iterations)',
    );
  }
  const isCanaryStrategy = a.iterations === undefined;
  const abTesting = a.match !== undefined && a.match.length > 0;
  // With analysis.match the user meant A/B testing: the missing iterations is reported above, alone.
  if (isCanaryStrategy && !abTesting && a.stepWeight === undefined && a.stepWeights === undefined) {
    add(
      'spec.analysis',
      'set stepWeight or stepWeights (canary strategy), or iterations (blue/green, A/B testing)',
    );
  }
  if (!isCanaryStrategy && (a.stepWeight !== undefined || a.stepWeights !== undefined)) {
    add(
      'spec.analysis.iterations',
      'cannot be combined with stepWeight/stepWeights: iterations selects blue/green or A/B testing',
    );
  }
  if (a.mirror && a.match && a.match.length > 0) {
    add('spec.analysis.mirror', 'cannot be combined with analysis.match (A/B testing)');
  }
  if (a.mirrorWeight !== undefined && !a.mirror) {
    add('spec.analysis.mirrorWeight', 'has no effect unless analysis.mirror is true');
  }

  const names = new Map<string, number>();
  a.metrics?.forEach((m, i) => {
    const path = `spec.analysis.metrics[${i}]`;
    if (names.has(m.name))
      add(`${path}.name`, `duplicate metric name "${m.name}" (also metrics[${names.get(m.name)}])`);
    names.set(m.name, i);
    const builtin = (BUILTIN_METRIC_NAMES as readonly string[]).includes(m.name);
    if (!builtin && !m.templateRef && !m.query) {
      add(
        path,
        `"${m.name}" is not a builtin metric (${BUILTIN_METRIC_NAMES.join(', ')}): set templateRef or query`,
      );
    }
    if (m.templateRef && m.query) add(`${path}.query`, 'set either templateRef or query, not both');
    if (!m.thresholdRange && m.threshold === undefined) {
      add(`${path}.thresholdRange`, 'is required: a check without a range always passes');
    }
    const r = m.thresholdRange;
    if (r && r.min === undefined && r.max === undefined)
      add(`${path}.thresholdRange`, 'set min, max or both');
    if (r?.min !== undefined && r.max !== undefined && r.min > r.max) {
      add(`${path}.thresholdRange`, `min must not exceed max (${r.min} > ${r.max})`);
    }
    if (m.interval && parseSafe(m.interval) === 0) add(`${path}.interval`, 'must be greater than zero');
  });

  const hookNames = new Map<string, number>();
  a.webhooks?.forEach((h, i) => {
    const path = `spec.analysis.webhooks[${i}]`;
    if (hookNames.has(h.name))
      add(`${path}.name`, `duplicate webhook name "${h.name}" (also webhooks[${hookNames.get(h.name)}])`);
    hookNames.set(h.name, i);
    if (!/^https?:\/\/[^\s/]+/.test(h.url))
      add(`${path}.url`, `must be an http:// or https:// address ("${h.url}")`);
  });
  if (a.interval && parseSafe(a.interval) === 0) add('spec.analysis.interval', 'must be greater than zero');
  return errors;
}

function parseSafe(d: string): number | undefined {
  try {
    return parseDurationMs(d);
  } catch {
    return undefined;
  }
}

/** Rules across fields of a MetricTemplate. */
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

export function validateMetricTemplateRules(template: MetricTemplate): FieldError[] {
  const type = template.spec.provider.type;
  if (!(IMPLEMENTED_METRIC_PROVIDERS as readonly string[]).includes(type)) {
    return [
      {
        path: 'spec.provider.type',
        message: `metric provider "${type}" is not supported by this version of Fledge (supported: ${IMPLEMENTED_METRIC_PROVIDERS.join(', ')})`,
      },
    ];
  }
  return [];
}

/** Validates one parsed document of any Fledge kind: apiVersion, kind, schema, then cross-field rules. */
export function validateDocument(doc: unknown): FieldError[] {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    return [{ path: '', message: 'document must be a mapping with apiVersion, kind, metadata and spec' }];
  }
  const obj = doc as Record<string, unknown>;
  const info = typeof obj.kind === 'string' ? kindInfo(obj.kind) : undefined;
  if (!info) {
    return [
      {
        path: 'kind',
        message: `must be one of: ${KINDS.map((k) => k.kind).join(', ')} (got ${JSON.stringify(obj.kind)})`,
      },
    ];
  }
  const errors: FieldError[] = [];
  if (obj.apiVersion !== API_VERSION) {
    const hint = String(obj.apiVersion).startsWith('flagger.app/')
      ? ' (migrating from Flagger? change apiVersion)'
      : '';
    errors.push({ path: 'apiVersion', message: `must be ${API_VERSION}${hint}` });
  }
  const check = validators.get(info.kind)!;
  if (!check(doc)) {
    errors.push(
      ...dedupe(
        (check.errors ?? []).filter((e) => e.keyword !== 'type' || !isUnionBranch(e)).map(schemaError),
      ),
    );
    return errors;
  }
  if (info.kind === 'Canary') errors.push(...validateCanaryRules(doc as Canary));
  if (info.kind === 'MetricTemplate') errors.push(...validateMetricTemplateRules(doc as MetricTemplate));
  return errors;
}

/** ajv reports each failed branch of an int-or-string union; the union's own error says it better. */
function isUnionBranch(e: ErrorObject): boolean {
  return /\/anyOf\/\d+\//.test(e.schemaPath);
}
