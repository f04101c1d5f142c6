/**
 * Runs a canary's metric checks now, through the analysis' own code (`runMetricChecks` and the
 * providers the controller builds), recording how each query went, then counts the series of each
 * selector of a query that found no data, for `metrics.ts` to explain.
 */
import { runMetricChecks, type MetricCheckDeps } from '../../../../analysis/run-checks.js';
import { MetricQueryError, type MetricQuery, type MetricsProvider } from '../../../../analysis/provider.js';
import type { ResolvedCanary } from '../../../api/defaults.js';
import { countQuery, seriesSelectors, type MetricObservation, type QueryOutcome } from './metrics.js';

/** How a failed query went: Prometheus unreachable, or the query failed. */
export function outcomeOf(error: unknown): QueryOutcome {
  const message = error instanceof Error ? error.message : String(error);
  const cause =
    error instanceof MetricQueryError ? (error.cause as { failure?: unknown } | undefined) : undefined;
  return cause?.failure === 'network' ? { kind: 'unreachable', message } : { kind: 'failed', message };
}

/** Runs the checks and the selector counts of those without data. */
export async function observeMetrics(
  canary: ResolvedCanary,
  deps: Pick<MetricCheckDeps, 'getTemplate' | 'providerFor'>,
): Promise<MetricObservation[]> {
  const seen = new Map<string, { outcome: QueryOutcome; provider: MetricsProvider; query: MetricQuery }>();
  const checks = await runMetricChecks(canary, {
    getTemplate: deps.getTemplate,
    providerFor: async (spec, namespace) => {
      const provider = await deps.providerFor(spec, namespace);
      return {
        query: async (query) => {
          try {
            const value = await provider.query(query);
            const outcome: QueryOutcome =
              value === undefined || Number.isNaN(value) ? { kind: 'empty' } : { kind: 'value', value };
            seen.set(query.text, { outcome, provider, query });
            return value;
          } catch (error) {
            seen.set(query.text, { outcome: outcomeOf(error), provider, query });
            throw error;
          }
        },
      };
    },
  });
  return Promise.all(
    checks.map(async (check): Promise<MetricObservation> => {
      const ran = check.query !== undefined ? seen.get(check.query) : undefined;
      if (!ran) return { check };
      if (ran.outcome.kind !== 'empty') return { check, outcome: ran.outcome };
      const probes = await Promise.all(
        seriesSelectors(ran.query.text).map(async (selector) => {
          try {
            const series = await ran.provider.query({ ...ran.query, text: countQuery(selector) });
            return { selector, series: series ?? 0 };
          } catch {
            // The check's own outcome already says whether Prometheus answers.
            return { selector, series: undefined };
          }
        }),
      );
      return { check, outcome: ran.outcome, probes };
    }),
  );
}
