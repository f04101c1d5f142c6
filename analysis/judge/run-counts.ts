/**
 * The judge's counts for one tick of a Canary: the count queries of its plan (`count-plan.ts`)
 * over the analysis interval (the traffic served at the current weight), run through the metrics port.
 * Like the metric checks, it never rejects: a count that cannot be read comes back as an error
 * message, which the controller records as a failed check, never as a pass.
 */
import type { ResolvedCanary } from '../../src/api/defaults.js';
import type { MetricCheckDeps } from '../run-checks.js';
import { planJudgeCounts, type CountPlan } from './count-plan.js';
import { observeCounts } from './count-queries.js';
import type { IntervalObservation } from './observation.js';

/** The counts of one interval, or why they could not be read (with the query, when one ran). */
export type JudgeCounts = { observation: IntervalObservation } | { error: string };

/** What a controller with no count queries wired answers: a failed check, never a pass. */
export const NO_JUDGE_COUNTS: JudgeCounts = {
  error: 'this controller reads no counts for the judge (no count queries wired)',
};

/** What {@link observeJudgeCounts} needs: MetricTemplates, and where the queries run. */
export type JudgeCountDeps = Pick<MetricCheckDeps, 'getTemplate' | 'providerFor'>;

/** The metric the judge's queries are reported under (the 5xx comparison's builtin). */
export const JUDGE_METRIC = 'request-success-rate';

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Reads one interval's counts for the Canary's judge (`canary.analysis.judge` must be set). */
export async function observeJudgeCounts(canary: ResolvedCanary, deps: JudgeCountDeps): Promise<JudgeCounts> {
  const judge = canary.analysis.judge;
  if (!judge) return { error: 'the judge is not enabled (spec.analysis.judge)' };
  let plan: CountPlan;
  try {
    plan = await planJudgeCounts(canary, judge.settings, deps.getTemplate);
  } catch (error) {
    return { error: messageOf(error) };
  }
  try {
    const provider = await deps.providerFor(plan.provider, plan.providerNamespace);
    const observation = await observeCounts(plan.queries, {
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
