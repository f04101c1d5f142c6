/**
 * The judge's counts for one tick of a Canary: its provider's builtin count queries over the
 * analysis interval (the traffic served at the current weight), run through the metrics port.
 * Like the metric checks, it never rejects: a count that cannot be read comes back as an error
 * message, which the controller records as a failed check, never as a pass.
 */
import type { ResolvedCanary } from '../../src/api/defaults.js';
import { formatDuration } from '../../src/api/duration.js';
import type { MetricCheckDeps } from '../run-checks.js';
import { builtinCountQueries, observeCounts, type CountQueries } from './count-queries.js';
import type { IntervalObservation } from './observation.js';

/** The counts of one interval, or why they could not be read (with the query, when one ran). */
export type JudgeCounts = { observation: IntervalObservation } | { error: string };

/** What a controller with no count queries wired answers: a failed check, never a pass. */
export const NO_JUDGE_COUNTS: JudgeCounts = {
  error: 'this controller reads no counts for the judge (no count queries wired)',
};

/** What {@link observeJudgeCounts} needs: where the queries run. */
export type JudgeCountDeps = Pick<MetricCheckDeps, 'providerFor'>;

/** The metric the judge's queries are reported under (the 5xx comparison's builtin). */
export const JUDGE_METRIC = 'request-success-rate';

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Reads one interval's counts for the Canary's judge (`canary.analysis.judge` must be set). */
export async function observeJudgeCounts(canary: ResolvedCanary, deps: JudgeCountDeps): Promise<JudgeCounts> {
  const judge = canary.analysis.judge;
  if (!judge) return { error: 'the judge is not enabled (spec.analysis.judge)' };
  const edgeMs = judge.settings.latency?.edgeMs;
  // Validation refuses these; a Canary read before that rule existed must not be judged on other counts.
  const templated = canary.analysis.metrics.find(
    (m) =>
      m.templateRef && (m.name === JUDGE_METRIC || (edgeMs !== undefined && m.name === 'request-duration')),
  );
  if (templated)
    return {
      error: `metric ${templated.name} has a templateRef: count queries from a MetricTemplate are not supported yet`,
    };
  let queries: CountQueries;
  try {
    queries = builtinCountQueries(canary.provider, {
      namespace: canary.namespace,
      target: canary.names.target,
      primary: canary.names.primaryWorkload,
      interval: formatDuration(canary.analysis.intervalMs),
      ingress: canary.spec.ingressRef?.name,
      edgeMs,
    });
  } catch (error) {
    return { error: messageOf(error) };
  }
  if (!canary.metricsServer)
    return {
      error: `the judge's count queries need a Prometheus address: set spec.metricsServer on Canary ${canary.namespace}/${canary.name} or the controller's --metrics-server flag`,
    };
  try {
    const provider = await deps.providerFor(
      { type: 'prometheus', address: canary.metricsServer },
      canary.namespace,
    );
    const observation = await observeCounts(queries, {
      provider,
      metric: JUDGE_METRIC,
      namespace: canary.namespace,
      target: canary.names.target,
      intervalMs: canary.analysis.intervalMs,
    });
    return { observation };
  } catch (error) {
    return { error: `count query failed: ${messageOf(error)}` };
  }
}
