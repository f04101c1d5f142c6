/**
 * Rules on a whole document, before its schema: values JSON cannot carry (`.inf`, `.nan`, which the
 * API server refuses), integers past what a float holds exactly, and nesting too deep to walk; and
 * the rules of the MetricTemplate and AlertProvider kinds.
 */
import { quote, truncatePath, type FieldError } from './field-error.js';
import { refNameErrors } from './names.js';
import type { AlertProvider } from './schema/alert-provider.js';
import { IMPLEMENTED_METRIC_PROVIDERS, type MetricTemplate } from './schema/metric-template.js';
import { httpUrlProblem } from './urls.js';

/** The deepest nesting of mappings and lists a document may have; real manifests stay below 20. */
export const MAX_DOCUMENT_DEPTH = 64;

function childPath(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  if (/^[A-Za-z_][\w-]*$/.test(key)) return path ? `${path}.${key}` : key;
  return `${path}[${JSON.stringify(key.length > 40 ? `${key.slice(0, 40)}...` : key)}]`;
}

/**
 * Errors for numbers JSON cannot carry and for nesting deeper than {@link MAX_DOCUMENT_DEPTH}.
 * Iterative, so a document nested a million levels deep is reported, not a stack overflow.
 */
export function valueErrors(doc: unknown): FieldError[] {
  const errors: FieldError[] = [];
  const stack: { value: unknown; path: string; depth: number }[] = [{ value: doc, path: '', depth: 0 }];
  while (stack.length > 0 && errors.length < 20) {
    const { value, path, depth } = stack.pop()!;
    if (typeof value === 'number') {
      if (!Number.isFinite(value)) {
        errors.push({
          path,
          message: `must be a finite number (got ${quote(value)}): the API server refuses .inf and .nan`,
        });
      } else if (Number.isInteger(value) && !Number.isSafeInteger(value)) {
        errors.push({
          path,
          message: `is too large to be exact (got ${quote(value)}; at most ${Number.MAX_SAFE_INTEGER})`,
        });
      }
      continue;
    }
    if (typeof value !== 'object' || value === null) continue;
    if (depth >= MAX_DOCUMENT_DEPTH) {
      errors.push({
        path: truncatePath(path),
        message: `is nested too deeply (more than ${MAX_DOCUMENT_DEPTH} levels)`,
      });
      continue;
    }
    const entries: [string | number, unknown][] = Array.isArray(value)
      ? value.map((v, i) => [i, v])
      : Object.entries(value as Record<string, unknown>);
    for (let i = entries.length - 1; i >= 0; i--) {
      const [key, child] = entries[i]!;
      stack.push({ value: child, path: childPath(path, key), depth: depth + 1 });
    }
  }
  return errors;
}

const WORKLOAD_VARIABLE = /\{\{\s*workload\s*\}\}/;

/**
 * Why one query of a MetricTemplate's `spec.countQueries` cannot be used, or undefined. Without
 * `{{ workload }}` the canary's and the primary's queries would be the same, and the judge would
 * compare a version with itself.
 */
export function countQueryProblem(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.trim() === '') return 'must be a non-empty PromQL string';
  if (!WORKLOAD_VARIABLE.test(value))
    return "must select the version's workload with {{ workload }}, or the canary's and the primary's queries are the same";
  return undefined;
}

function countQueryErrors(template: MetricTemplate): FieldError[] {
  const queries = template.spec.countQueries;
  if (!queries) return [];
  return (['requests', 'errors', 'withinEdge'] as const).flatMap((field) => {
    const value = queries[field];
    const problem = value === undefined ? undefined : countQueryProblem(value);
    return problem ? [{ path: `spec.countQueries.${field}`, message: problem }] : [];
  });
}

/** Rules across fields of a MetricTemplate. */
export function validateMetricTemplateRules(template: MetricTemplate): FieldError[] {
  const provider = template.spec.provider;
  if (!(IMPLEMENTED_METRIC_PROVIDERS as readonly string[]).includes(provider.type)) {
    return [
      {
        path: 'spec.provider.type',
        message: `metric provider "${provider.type}" is not supported by this version of Fledge (supported: ${IMPLEMENTED_METRIC_PROVIDERS.join(', ')})`,
      },
    ];
  }
  const errors: FieldError[] = [];
  if (provider.address === undefined) {
    errors.push({ path: 'spec.provider.address', message: `is required for provider type ${provider.type}` });
  } else {
    const problem = httpUrlProblem(provider.address);
    if (problem) errors.push({ path: 'spec.provider.address', message: problem });
  }
  if (provider.secretRef) errors.push(...refNameErrors('spec.provider.secretRef', provider.secretRef));
  errors.push(...countQueryErrors(template));
  return errors;
}

/** Rules across fields of an AlertProvider: what the controller's notifier factory refuses. */
export function validateAlertProviderRules(provider: AlertProvider): FieldError[] {
  const spec = provider.spec;
  const errors: FieldError[] = [];
  if (spec.proxy !== undefined) {
    errors.push({
      path: 'spec.proxy',
      message: 'is not supported by this version of Fledge; remove it or reach the address directly',
    });
  }
  if (spec.address !== undefined) {
    const problem = httpUrlProblem(spec.address);
    if (problem) errors.push({ path: 'spec.address', message: problem });
  } else if (!spec.secretRef) {
    errors.push({
      path: 'spec.address',
      message: 'is required unless spec.secretRef names a Secret with an "address" key',
    });
  }
  if (spec.secretRef) errors.push(...refNameErrors('spec.secretRef', spec.secretRef));
  return errors;
}
