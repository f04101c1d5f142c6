/**
 * Which count queries the judge of a Canary reads, and where they run: the MetricTemplate's
 * `spec.countQueries` when a judged metric names one, else the builtin count queries of the
 * Canary's provider at its Prometheus. One plan for the controller (`run-counts.ts`) and for
 * `fledge doctor`, so that doctor shows what the controller reads.
 */
import { judgedTemplateMetric } from '../../src/api/judge-rules.js';
import type { ResolvedCanary } from '../../src/api/defaults.js';
import { formatDuration } from '../../src/api/duration.js';
import type { MetricTemplate } from '../../src/api/schema/metric-template.js';
import type { JudgeSettings } from './settings.js';
import { contextFor, type MetricCheckDeps, type MetricProviderRef } from '../run-checks.js';
import { builtinCountQueries, type CountQueries } from './count-queries.js';
import { templateCountQueries } from './template-count-queries.js';

/** The count queries of one Canary's judge, and the metrics server they run at. */
export interface CountPlan {
  /** Where the queries come from: `builtin istio`, or `MetricTemplate ns/name (metric errors)`. */
  source: string;
  queries: CountQueries;
  provider: MetricProviderRef;
  /** Namespace of the provider's `secretRef` (the MetricTemplate's, or the Canary's). */
  providerNamespace: string;
  /** The Prometheus range the queries cover (the analysis interval), e.g. `1m`. */
  interval: string;
}

/** Count queries that cannot be made; the message names the field or object at fault. */
export class CountPlanError extends Error {
  override name = 'CountPlanError';
  constructor(
    readonly source: string,
    message: string,
  ) {
    super(message);
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function builtinPlan(canary: ResolvedCanary, settings: JudgeSettings, interval: string): CountPlan {
  const source = `builtin ${canary.provider}`;
  let queries: CountQueries;
  try {
    queries = builtinCountQueries(canary.provider, {
      namespace: canary.namespace,
      target: canary.names.target,
      primary: canary.names.primaryWorkload,
      interval,
      ingress: canary.spec.ingressRef?.name,
      edgeMs: settings.latency?.edgeMs,
    });
  } catch (error) {
    throw new CountPlanError(source, messageOf(error));
  }
  if (!canary.metricsServer)
    throw new CountPlanError(
      source,
      `the judge's count queries need a Prometheus address: set spec.metricsServer on Canary ${canary.namespace}/${canary.name} or the controller's --metrics-server flag`,
    );
  return {
    source,
    queries,
    provider: { type: 'prometheus', address: canary.metricsServer },
    providerNamespace: canary.namespace,
    interval,
  };
}

/**
 * The plan of a Canary whose judge is on (`canary.analysis.judge`). Throws {@link CountPlanError}
 * when the queries cannot be made: a missing or unreadable MetricTemplate, one without
 * `spec.countQueries` or a provider address, a mesh without builtin count queries.
 */
export async function planJudgeCounts(
  canary: ResolvedCanary,
  settings: JudgeSettings,
  getTemplate: MetricCheckDeps['getTemplate'],
): Promise<CountPlan> {
  const interval = formatDuration(canary.analysis.intervalMs);
  const metric = judgedTemplateMetric(canary.spec);
  if (!metric?.templateRef) return builtinPlan(canary, settings, interval);
  const resolved = canary.analysis.metrics.find((m) => m.name === metric.name) ?? {
    ...metric,
    interval,
    thresholdRange: {},
    noDataPolicy: 'fail' as const,
  };
  const namespace = metric.templateRef.namespace || canary.namespace;
  const id = `MetricTemplate ${namespace}/${metric.templateRef.name}`;
  const source = `${id} (metric ${metric.name})`;
  let template: MetricTemplate | undefined;
  try {
    template = await getTemplate(namespace, metric.templateRef.name);
  } catch (error) {
    throw new CountPlanError(source, `could not read ${id}: ${messageOf(error)}`);
  }
  if (!template) throw new CountPlanError(source, `${id} not found`);
  const { type, address, secretRef, headers, insecureSkipVerify } = template.spec.provider;
  if (!address)
    throw new CountPlanError(source, `${id}: spec.provider.address is required for provider type ${type}`);
  let queries: CountQueries;
  try {
    queries = templateCountQueries(template, {
      context: { ...contextFor(canary, resolved), interval },
      primary: canary.names.primaryWorkload,
      edgeMs: settings.latency?.edgeMs,
    });
  } catch (error) {
    throw new CountPlanError(source, messageOf(error));
  }
  return {
    source,
    queries,
    provider: { type, address, secretRef, headers, insecureSkipVerify },
    providerNamespace: namespace,
    interval,
  };
}
