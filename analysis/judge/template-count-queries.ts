/**
 * The judge's count queries from a MetricTemplate's `spec.countQueries` (a Fledge addition): the
 * same three counts as the builtin ones (`count-queries.ts`), written by the user for metrics the
 * builtin catalogue does not know. Each query is rendered twice, with `{{ workload }}` the canary's
 * workload and then the primary's, so one template describes both versions.
 */
import { countQueryProblem } from '../../src/api/document-rules.js';
import type { MetricTemplate } from '../../src/api/schema/metric-template.js';
import { renderTemplate, TemplateRenderError, type TemplateContext } from '../template.js';
import type { CountQueries, VersionCountQueries } from './count-queries.js';

/** The variables count queries have besides those of `spec.query`. */
export const COUNT_QUERY_VARIABLES = ['workload', 'edgeMs', 'edgeSeconds'] as const;

/** A MetricTemplate whose count queries cannot be used; `field` is e.g. `spec.countQueries.errors`. */
export class CountQueryTemplateError extends Error {
  override name = 'CountQueryTemplateError';
  constructor(
    /** Who owns the queries, e.g. `MetricTemplate istio-system/errors`. */
    readonly source: string,
    readonly field: string,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`${source}: ${field}: ${reason}`, options);
  }
}

/** What the count queries of a template are rendered with. */
export interface TemplateCountQueryParams {
  /** The canary's template context for the judged metric (its `{{ target }}`, `{{ interval }}`...). */
  context: TemplateContext;
  /** The primary workload's name (`<target>-primary`). */
  primary: string;
  /** The judge's latency edge in ms; absent when latency is not judged (`withinEdge` is then not used). */
  edgeMs?: number | undefined;
}

type CountField = keyof VersionCountQueries;
const FIELDS: readonly CountField[] = ['requests', 'errors', 'withinEdge'];

function templateId(template: MetricTemplate): string {
  const { namespace, name } = template.metadata;
  return `MetricTemplate ${namespace ?? ''}/${name ?? ''}`;
}

/** Reads one query of `spec.countQueries`; the object came from the cluster, so its shape is checked. */
function queryText(raw: Record<string, unknown>, field: CountField, id: string): string | undefined {
  const value = raw[field];
  if (value === undefined) return undefined;
  const problem = countQueryProblem(value);
  if (problem !== undefined) throw new CountQueryTemplateError(id, `spec.countQueries.${field}`, problem);
  return value as string;
}

function render(
  text: string,
  field: CountField,
  id: string,
  context: TemplateContext,
  extra: Record<string, string>,
): string {
  try {
    return renderTemplate(text, context, `${id}: spec.countQueries.${field}`, extra);
  } catch (error) {
    if (!(error instanceof TemplateRenderError)) throw error;
    // renderTemplate prefixes its message with the source given above; the error names it again.
    const prefix = `${id}: spec.countQueries.${field}: `;
    const reason = error.message.startsWith(prefix) ? error.message.slice(prefix.length) : error.message;
    throw new CountQueryTemplateError(id, `spec.countQueries.${field}`, reason, { cause: error });
  }
}

/**
 * The count queries a MetricTemplate gives for one canary: `spec.countQueries` rendered with
 * `{{ workload }}` the canary workload (`context.target`) for the canary's and `params.primary`
 * for the primary's; `{{ edgeMs }}` and `{{ edgeSeconds }}` are the latency edge. Throws
 * {@link CountQueryTemplateError} naming the field: no `spec.countQueries`, a query that is not a
 * string or does not use `{{ workload }}`, an unknown variable, or no `withinEdge` while latency is
 * judged.
 */
export function templateCountQueries(
  template: MetricTemplate,
  params: TemplateCountQueryParams,
): CountQueries {
  const id = templateId(template);
  const raw: unknown = template.spec.countQueries;
  if (raw === undefined)
    throw new CountQueryTemplateError(
      id,
      'spec.countQueries',
      'is required for a metric the judge compares (give requests and errors, and withinEdge to judge latency)',
    );
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new CountQueryTemplateError(
      id,
      'spec.countQueries',
      'must be an object {requests, errors, withinEdge?}',
    );
  const fields = raw as Record<string, unknown>;
  const texts = Object.fromEntries(FIELDS.map((f) => [f, queryText(fields, f, id)])) as Partial<
    Record<CountField, string>
  >;
  for (const required of ['requests', 'errors'] as const) {
    if (texts[required] === undefined)
      throw new CountQueryTemplateError(id, `spec.countQueries.${required}`, 'is required');
  }
  const { edgeMs } = params;
  if (edgeMs !== undefined && texts.withinEdge === undefined)
    throw new CountQueryTemplateError(
      id,
      'spec.countQueries.withinEdge',
      `is required when the judge judges latency (latency.edgeMs ${edgeMs})`,
    );
  const edge: Record<string, string> =
    edgeMs === undefined ? {} : { edgeMs: String(edgeMs), edgeSeconds: String(edgeMs / 1000) };
  const version = (workload: string): VersionCountQueries => {
    const extra = { workload, ...edge };
    const one = (field: CountField) => render(texts[field] as string, field, id, params.context, extra);
    return {
      requests: one('requests'),
      errors: one('errors'),
      withinEdge: edgeMs === undefined ? undefined : one('withinEdge'),
    };
  };
  return { canary: version(params.context.target), primary: version(params.primary), edgeMs };
}
