/**
 * For a canary with a judge: the count queries the controller reads (the builtin ones of its mesh,
 * or the judged metric's MetricTemplate's `spec.countQueries`), run now over the analysis interval
 * through the analysis' own code (`observeCounts`), recording how each query went and counting the
 * series of the selectors of those without data, for `counts.ts` to explain.
 */
import { CountPlanError, planJudgeCounts, type CountPlan } from '../../../../analysis/judge/count-plan.js';
import { observeCounts } from '../../../../analysis/judge/count-queries.js';
import type { IntervalObservation } from '../../../../analysis/judge/observation.js';
import type { CountOf, MetricQuery, MetricsProvider } from '../../../../analysis/provider.js';
import type { MetricCheckDeps } from '../../../../analysis/run-checks.js';
import type { ResolvedCanary } from '../../../api/defaults.js';
import { formatDuration } from '../../../api/duration.js';
import { countQuery, seriesSelectors, type QueryOutcome, type SelectorProbe } from './metrics.js';
import { outcomeOf } from './metric-runs.js';

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

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
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
  providerFor: MetricCheckDeps['providerFor'],
): Promise<CountObservation> {
  const interval = plan.interval;
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
 * Runs the judge's count queries of a canary now, planned as the controller plans them
 * (`count-plan.ts`); an empty list when it has no judge. Never rejects on account of the canary:
 * queries that cannot be made or a failed query is an observation with its problem.
 */
export async function observeJudgeCounts(
  canary: ResolvedCanary,
  deps: Pick<MetricCheckDeps, 'getTemplate' | 'providerFor'>,
): Promise<CountObservation[]> {
  const judge = canary.analysis.judge;
  if (!judge) return [];
  try {
    const plan = await planJudgeCounts(canary, judge.settings, deps.getTemplate);
    return [await runPlan(canary, plan, deps.providerFor)];
  } catch (error) {
    if (!(error instanceof CountPlanError)) throw error;
    const interval = formatDuration(canary.analysis.intervalMs);
    return [{ source: error.source, interval, problem: error.message, runs: [] }];
  }
}
