/**
 * Runs a canary's metric checks: resolves each metric to a query and a metrics server, runs the
 * queries (a few at a time), and judges the values. A metric that cannot be checked for any
 * reason is a failed check carrying the reason, never an exception and never a pass.
 */
import type { ResolvedCanary, ResolvedMetric } from '../src/api/defaults.js';
import { parsePrometheusDurationMs } from '../src/api/duration.js';
import type { CheckResult } from '../src/api/schema/canary.js';
import type { MetricTemplate } from '../src/api/schema/metric-template.js';
import { builtinQuery, isBuiltinMetric } from './builtin-queries.js';
import { mapLimited } from './map-limited.js';
import type { MetricsProvider } from './provider.js';
import { renderTemplate, type TemplateContext } from './template.js';
import { formatMetricValue, judgeThreshold } from './threshold.js';

/** Queries in flight at once for one canary, unless told otherwise. */
export const DEFAULT_METRIC_CONCURRENCY = 4;

/** Where a query runs: a MetricTemplate's `spec.provider`, or Prometheus at the canary's metricsServer. */
export interface MetricProviderRef {
  /** Kind of metrics server, e.g. `prometheus`. */
  type: string;
  /** Address of the server. */
  address: string;
  /** Secret with credentials, in the namespace passed alongside. */
  secretRef?: { name: string } | undefined;
  /** Extra HTTP headers sent with every query. */
  headers?: Readonly<Record<string, string>> | undefined;
  insecureSkipVerify?: boolean | undefined;
}

/** What {@link runMetricChecks} needs from the outside world. */
export interface MetricCheckDeps {
  /** Reads a MetricTemplate; `undefined` when it does not exist. */
  getTemplate(namespace: string, name: string): Promise<MetricTemplate | undefined>;
  /**
   * Builds (or reuses) the provider for a metrics server. `namespace` is where `secretRef` lives.
   * May throw (unsupported type, missing Secret): the metric then fails with that message.
   */
  providerFor(spec: MetricProviderRef, namespace: string): MetricsProvider | Promise<MetricsProvider>;
  /** Queries in flight at once (default {@link DEFAULT_METRIC_CONCURRENCY}). */
  concurrency?: number | undefined;
}

/** A metric resolved to the query to run and where to run it. */
interface PlannedQuery {
  text: string;
  provider: MetricProviderRef;
  /** Namespace handed to `providerFor` (the MetricTemplate's, or the Canary's). */
  providerNamespace: string;
  intervalMs: number;
}

/** A metric that cannot be checked; its message becomes the failed check's. */
class MetricPlanError extends Error {
  override name = 'MetricPlanError';
  constructor(
    message: string,
    /** The query, when it was resolved before the failure. */
    readonly query?: string,
  ) {
    super(message);
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The template variables of one metric of a canary (also those of its template's count queries). */
export function contextFor(canary: ResolvedCanary, metric: ResolvedMetric): TemplateContext {
  return {
    name: canary.name,
    namespace: canary.namespace,
    target: canary.names.target,
    service: canary.names.apex,
    ingress: canary.spec.ingressRef?.name ?? canary.names.target,
    route: canary.spec.routeRef?.name ?? canary.names.target,
    interval: metric.interval,
    variables: metric.templateVariables,
  };
}

function metricsServerRef(canary: ResolvedCanary, what: string): MetricProviderRef {
  if (!canary.metricsServer) {
    throw new MetricPlanError(
      `${what} needs a Prometheus address: set spec.metricsServer on Canary ${canary.namespace}/${canary.name} or the controller's --metrics-server flag`,
    );
  }
  return { type: 'prometheus', address: canary.metricsServer };
}

async function planTemplateMetric(
  canary: ResolvedCanary,
  metric: ResolvedMetric,
  ref: { name: string; namespace?: string | undefined },
  deps: MetricCheckDeps,
  intervalMs: number,
): Promise<PlannedQuery> {
  const namespace = ref.namespace || canary.namespace;
  const id = `MetricTemplate ${namespace}/${ref.name}`;
  let template: MetricTemplate | undefined;
  try {
    template = await deps.getTemplate(namespace, ref.name);
  } catch (error) {
    throw new MetricPlanError(`could not read ${id}: ${messageOf(error)}`);
  }
  if (!template) throw new MetricPlanError(`${id} not found`);
  const text = renderTemplate(template.spec.query, contextFor(canary, metric), id);
  const { type, address, secretRef, headers, insecureSkipVerify } = template.spec.provider;
  if (!address) {
    throw new MetricPlanError(`${id}: spec.provider.address is required for provider type ${type}`, text);
  }
  return {
    text,
    provider: { type, address, secretRef, headers, insecureSkipVerify },
    providerNamespace: namespace,
    intervalMs,
  };
}

/**
 * Which query of a metric a check runs. A builtin name with its own `query` or `templateRef` runs
 * both, as Flagger does (its builtin checks match on the name alone): two checks, both must pass.
 */
type CheckSource = 'builtin' | 'own';

/** The checks of one metric: one, or two for a builtin name that also has its own query. */
export function checkSourcesOf(metric: ResolvedMetric): CheckSource[] {
  if (!isBuiltinMetric(metric.name)) return ['own'];
  return metric.query || metric.templateRef ? ['builtin', 'own'] : ['builtin'];
}

/** Resolves one check of a metric: the builtin query, or its templateRef, else its inline query. */
async function planMetric(
  canary: ResolvedCanary,
  metric: ResolvedMetric,
  source: CheckSource,
  deps: MetricCheckDeps,
): Promise<PlannedQuery> {
  let intervalMs: number;
  try {
    intervalMs = parsePrometheusDurationMs(metric.interval);
  } catch (error) {
    throw new MetricPlanError(`interval "${metric.interval}" is invalid: ${messageOf(error)}`);
  }
  if (source === 'builtin' && isBuiltinMetric(metric.name)) {
    const text = builtinQuery(canary.provider, metric.name, {
      namespace: canary.namespace,
      target: canary.names.target,
      interval: metric.interval,
      ingress: canary.spec.ingressRef?.name,
    });
    const provider = metricsServerRef(canary, `builtin metric ${metric.name}`);
    return { text, provider, providerNamespace: canary.namespace, intervalMs };
  }
  if (metric.templateRef) {
    return planTemplateMetric(canary, metric, metric.templateRef, deps, intervalMs);
  }
  if (metric.query) {
    const source = `Canary ${canary.namespace}/${canary.name} metric "${metric.name}" query`;
    const text = renderTemplate(metric.query, contextFor(canary, metric), source);
    const provider = metricsServerRef(canary, `inline query of metric ${metric.name}`);
    return { text, provider, providerNamespace: canary.namespace, intervalMs };
  }
  throw new MetricPlanError(
    'metric has no templateRef or query and is not a builtin (request-success-rate, request-duration)',
  );
}

function bounds(metric: ResolvedMetric): Pick<CheckResult, 'min' | 'max'> {
  const { min, max } = metric.thresholdRange;
  return { ...(min !== undefined ? { min } : {}), ...(max !== undefined ? { max } : {}) };
}

function failed(metric: ResolvedMetric, message: string, query?: string): CheckResult {
  return {
    name: metric.name,
    kind: 'metric',
    passed: false,
    ...bounds(metric),
    ...(query !== undefined ? { query } : {}),
    message: `${metric.name}: ${message}`,
  };
}

/** Judges a query's outcome; `value` undefined means the query found no data. */
export function judgeMetric(metric: ResolvedMetric, value: number | undefined, query: string): CheckResult {
  const base = { name: metric.name, kind: 'metric' as const, ...bounds(metric), query };
  if (value === undefined || Number.isNaN(value)) {
    return metric.noDataPolicy === 'pass'
      ? {
          ...base,
          passed: true,
          message: `${metric.name}: no values found; counted as passed because noDataPolicy is pass`,
        }
      : {
          ...base,
          passed: false,
          message: `${metric.name}: no values found for the query; the canary may not be receiving traffic (set noDataPolicy: pass to accept no data)`,
        };
  }
  const verdict = judgeThreshold(metric.name, value, metric.thresholdRange);
  // JSON has no Infinity: a non-finite value is reported in the message only.
  const shown = Number.isFinite(value) ? { value } : {};
  const message = Number.isFinite(value)
    ? verdict.message
    : `${verdict.message} (value ${formatMetricValue(value)})`;
  return { ...base, ...shown, passed: verdict.passed, message };
}

async function checkMetric(
  canary: ResolvedCanary,
  metric: ResolvedMetric,
  source: CheckSource,
  deps: MetricCheckDeps,
): Promise<CheckResult> {
  let plan: PlannedQuery;
  try {
    plan = await planMetric(canary, metric, source, deps);
  } catch (error) {
    return failed(metric, messageOf(error), error instanceof MetricPlanError ? error.query : undefined);
  }
  let value: number | undefined;
  try {
    const provider = await deps.providerFor(plan.provider, plan.providerNamespace);
    value = await provider.query({
      text: plan.text,
      metric: metric.name,
      namespace: canary.namespace,
      target: canary.names.target,
      intervalMs: plan.intervalMs,
    });
  } catch (error) {
    return failed(metric, messageOf(error), plan.text);
  }
  return judgeMetric(metric, value, plan.text);
}

/**
 * Runs every metric of `canary.analysis.metrics` and returns one result per check (two for a
 * builtin name with its own query, see {@link checkSourcesOf}), in spec
 * order. Never rejects on account of a metric: a missing MetricTemplate, an unknown template
 * variable, a missing metrics server or a failed query each give a failed check whose message says
 * why. (A `deps.concurrency` that is not a positive integer is a wiring bug and does reject.)
 */
export async function runMetricChecks(canary: ResolvedCanary, deps: MetricCheckDeps): Promise<CheckResult[]> {
  const concurrency = deps.concurrency ?? DEFAULT_METRIC_CONCURRENCY;
  const checks = canary.analysis.metrics.flatMap((metric) =>
    checkSourcesOf(metric).map((source) => ({ metric, source })),
  );
  return mapLimited(checks, concurrency, async ({ metric, source }) => {
    try {
      return await checkMetric(canary, metric, source, deps);
    } catch (error) {
      // checkMetric turns every expected failure into a result; this guards the loop against the rest.
      return failed(metric, `unexpected error: ${messageOf(error)}`);
    }
  });
}
