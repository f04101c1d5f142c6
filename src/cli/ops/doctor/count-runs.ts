/**
 * For a canary with a judge: its count queries (the builtin ones of its mesh, and those of every
 * MetricTemplate of its metrics that gives `spec.countQueries`), run now over the analysis
 * interval through the analysis' own code (`observeCounts`), recording how each query went and
 * counting the series of the selectors of those without data, for `counts.ts` to explain.
 */
import {
  builtinCountQueries,
  COUNT_QUERY_MESHES,
  observeCounts,
  type CountQueries,
} from '../../../../analysis/judge/count-queries.js';
import type { IntervalObservation } from '../../../../analysis/judge/observation.js';
import { resolveJudgeSettings, type JudgeSettings } from '../../../../analysis/judge/settings.js';
import { templateCountQueries } from '../../../../analysis/judge/template-count-queries.js';
import type { CountOf, MetricQuery, MetricsProvider } from '../../../../analysis/provider.js';
import { contextFor, type MetricCheckDeps, type MetricProviderRef } from '../../../../analysis/run-checks.js';
import type { ResolvedCanary } from '../../../api/defaults.js';
import { metricsMeshOf } from '../../../api/providers.js';
import { formatDuration } from '../../../api/duration.js';
import type { MetricTemplate } from '../../../api/schema/metric-template.js';
import { countQuery, seriesSelectors, type QueryOutcome, type SelectorProbe } from './metrics.js';
import { outcomeOf } from './metric-runs.js';

/**
 * The Canary's `spec.analysis.judge` as written, or undefined. The one place doctor reads it: the
 * field is added to the Canary schema separately, and this accessor becomes its typed read.
 */
export function judgeSpecOf(canary: ResolvedCanary): unknown {
  return (canary.spec.analysis as { judge?: unknown }).judge;
}

/** One count query as run now. */
export interface CountQueryRun {
  count: CountOf;
  query: string;
  outcome: QueryOutcome;
  /** For a query without data: its selectors, counted. */
  probes?: SelectorProbe[];
}

/** One set of count queries (the builtin ones, or one MetricTemplate's) as run now. */
export interface CountObservation {
  /** Where the queries come from: `builtin istio` or `MetricTemplate ns/name (metric errors)`. */
  source: string;
  /** The Prometheus range they ran over, e.g. `1m`. */
  interval: string;
  /** What the judge would read; absent when a query failed or the queries could not be made. */
  observation?: IntervalObservation;
  /** Why the queries could not be made or run. */
  problem?: string;
  runs: CountQueryRun[];
}

/** Count queries to run, and where. */
interface CountPlan {
  source: string;
  queries: CountQueries;
  provider: MetricProviderRef;
  providerNamespace: string;
}

/** Count queries that cannot be made, and why. */
interface Unplanned {
  source: string;
  problem: string;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The builtin count queries of the canary's mesh, or why there are none. */
function builtinPlan(
  canary: ResolvedCanary,
  interval: string,
  settings: JudgeSettings,
): CountPlan | Unplanned {
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
    return { source, problem: messageOf(error) };
  }
  if (!canary.metricsServer)
    return {
      source,
      problem:
        "the count queries need a Prometheus address: set spec.metricsServer or the controller's --metrics-server flag",
    };
  return {
    source,
    queries,
    provider: { type: 'prometheus', address: canary.metricsServer },
    providerNamespace: canary.namespace,
  };
}

/** The count queries of each metric's MetricTemplate that has `spec.countQueries`. */
async function templatePlans(
  canary: ResolvedCanary,
  interval: string,
  settings: JudgeSettings,
  getTemplate: MetricCheckDeps['getTemplate'],
): Promise<(CountPlan | Unplanned)[]> {
  const plans: (CountPlan | Unplanned)[] = [];
  for (const metric of canary.analysis.metrics) {
    if (!metric.templateRef) continue;
    const namespace = metric.templateRef.namespace || canary.namespace;
    const id = `MetricTemplate ${namespace}/${metric.templateRef.name}`;
    let template: MetricTemplate | undefined;
    try {
      template = await getTemplate(namespace, metric.templateRef.name);
    } catch {
      // The metric's own check reports the failed read.
      continue;
    }
    if (template?.spec.countQueries === undefined) continue;
    const source = `${id} (metric ${metric.name})`;
    const { type, address, secretRef, headers, insecureSkipVerify } = template.spec.provider;
    if (!address) {
      plans.push({ source, problem: `spec.provider.address is required for provider type ${type}` });
      continue;
    }
    try {
      const queries = templateCountQueries(template, {
        context: { ...contextFor(canary, metric), interval },
        primary: canary.names.primaryWorkload,
        edgeMs: settings.latency?.edgeMs,
      });
      plans.push({
        source,
        queries,
        provider: { type, address, secretRef, headers, insecureSkipVerify },
        providerNamespace: namespace,
      });
    } catch (error) {
      plans.push({ source, problem: messageOf(error) });
    }
  }
  return plans;
}

async function probeSelectors(provider: MetricsProvider, query: MetricQuery): Promise<SelectorProbe[]> {
  return Promise.all(
    seriesSelectors(query.text).map(async (selector) => {
      try {
        const series = await provider.query({ ...query, text: countQuery(selector), count: undefined });
        return { selector, series: series ?? 0 };
      } catch {
        // The query's own outcome already says whether Prometheus answers.
        return { selector, series: undefined };
      }
    }),
  );
}

async function runPlan(
  canary: ResolvedCanary,
  plan: CountPlan,
  interval: string,
  providerFor: MetricCheckDeps['providerFor'],
): Promise<CountObservation> {
  const runs: { run: CountQueryRun; query: MetricQuery }[] = [];
  let provider: MetricsProvider;
  try {
    provider = await providerFor(plan.provider, plan.providerNamespace);
  } catch (error) {
    return { source: plan.source, interval, problem: messageOf(error), runs: [] };
  }
  const recording: MetricsProvider = {
    query: async (query) => {
      const count = query.count as CountOf;
      try {
        const value = await provider.query(query);
        const outcome: QueryOutcome = value === undefined ? { kind: 'empty' } : { kind: 'value', value };
        runs.push({ run: { count, query: query.text, outcome }, query });
        return value;
      } catch (error) {
        runs.push({ run: { count, query: query.text, outcome: outcomeOf(error) }, query });
        throw error;
      }
    },
  };
  let observation: IntervalObservation | undefined;
  let problem: string | undefined;
  try {
    observation = await observeCounts(plan.queries, {
      provider: recording,
      metric: 'judge',
      namespace: canary.namespace,
      target: canary.names.target,
      intervalMs: canary.analysis.intervalMs,
    });
  } catch (error) {
    problem = messageOf(error);
  }
  // In a fixed order (they finish in any): canary first, then requests, errors, withinEdge.
  const rank = (c: CountOf) =>
    (c.version === 'canary' ? 0 : 3) + ['requests', 'errors', 'withinEdge'].indexOf(c.of);
  runs.sort((a, b) => rank(a.run.count) - rank(b.run.count));
  const probed = await Promise.all(
    runs.map(async ({ run, query }) =>
      run.outcome.kind === 'empty' ? { ...run, probes: await probeSelectors(provider, query) } : run,
    ),
  );
  return {
    source: plan.source,
    interval,
    ...(observation ? { observation } : {}),
    ...(problem !== undefined ? { problem } : {}),
    runs: probed,
  };
}

/**
 * Runs the judge's count queries of a canary now; an empty list when it has no judge. Never
 * rejects on account of the canary: bad judge settings, a mesh without builtin count queries or a
 * failed query is an observation with its problem.
 */
export async function observeJudgeCounts(
  canary: ResolvedCanary,
  deps: Pick<MetricCheckDeps, 'getTemplate' | 'providerFor'>,
): Promise<CountObservation[]> {
  const spec = judgeSpecOf(canary);
  if (spec === undefined) return [];
  const interval = formatDuration(canary.analysis.intervalMs);
  let settings: JudgeSettings;
  try {
    settings = resolveJudgeSettings(spec, 'spec.analysis.judge');
  } catch (error) {
    return [{ source: 'spec.analysis.judge', interval, problem: messageOf(error), runs: [] }];
  }
  const templates = await templatePlans(canary, interval, settings, deps.getTemplate);
  const builtin = builtinPlan(canary, interval, settings);
  // A mesh without builtin count queries is a problem only when no template gives them instead.
  const meshless =
    'problem' in builtin && !COUNT_QUERY_MESHES.includes(metricsMeshOf(canary.provider) ?? canary.provider);
  const plans = meshless && templates.length > 0 ? templates : [builtin, ...templates];
  return Promise.all(
    plans.map((plan) =>
      'problem' in plan
        ? Promise.resolve({ ...plan, interval, runs: [] })
        : runPlan(canary, plan, interval, deps.providerFor),
    ),
  );
}
