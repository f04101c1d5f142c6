/**
 * Metrics: each check's query as the analysis would run it now, and when it finds no data, why:
 * Prometheus unreachable, no series for the workload's labels, or series that exist but carried no
 * traffic in the interval. The queries run elsewhere (`metric-runs.ts`); this file only judges.
 */
import type { CheckResult } from '../../../api/schema/canary.js';
import type { Finding, MetricRun } from './finding.js';

/** How one query of a check went at the provider. */
export type QueryOutcome =
  | { kind: 'value'; value: number }
  | { kind: 'empty' }
  | { kind: 'unreachable'; message: string }
  | { kind: 'failed'; message: string };

/** A series selector of a query, and how many series match it now. */
export interface SelectorProbe {
  selector: string;
  /** Series matching it; undefined when the probe itself failed. */
  series: number | undefined;
}

/** One check as run now. */
export interface MetricObservation {
  check: CheckResult;
  /** How its query went; absent when it never reached a provider (a missing template, ...). */
  outcome?: QueryOutcome;
  /** For a query without data: its selectors, counted. */
  probes?: SelectorProbe[];
}

const SELECTOR = /([A-Za-z_:][A-Za-z0-9_:]*)\s*\{([^{}]*)\}/g;

/**
 * The series selectors (`metric{labels}`) of a PromQL query, to count what matches each one. A
 * selector of the `by`/`without` clause has parentheses, not braces, so it is never taken.
 */
export function seriesSelectors(query: string): string[] {
  const found = new Set<string>();
  for (const m of query.matchAll(SELECTOR)) found.add(`${m[1]}{${(m[2] ?? '').trim()}}`);
  return [...found];
}

/** The query counting the series of a selector. */
export function countQuery(selector: string): string {
  return `count(${selector})`;
}

/** The fix of an unreachable metrics server. */
export const SOURCE_FIX =
  'check spec.metricsServer, --metrics-server or the MetricTemplate provider address; doctor queries from where it runs: outside the cluster, kubectl port-forward Prometheus and pass its local address';

const NO_TRAFFIC_FIX =
  'send traffic to the canary (a load-test webhook), or set noDataPolicy: pass on the metric';

/**
 * Why a query found no data, from its selectors' series counts: no series for some selector, or
 * series without traffic in the interval. `metric` names the query in the finding.
 */
export function noDataFinding(
  metric: string,
  probes: readonly SelectorProbe[],
  object: string,
  noTrafficFix = NO_TRAFFIC_FIX,
): Finding {
  const missing = probes.filter((p) => p.series === 0);
  if (missing.length > 0) {
    return {
      severity: 'warning',
      area: 'metrics',
      object,
      saw: `${metric}: no data; no series matches ${missing.map((p) => p.selector).join(', ')}: the workload labels in the query are wrong, or Prometheus does not scrape these pods`,
      fix: 'compare the query labels with the pods (namespace, workload name) and check that the proxies are scraped',
    };
  }
  if (probes.length > 0 && probes.every((p) => (p.series ?? 0) > 0)) {
    const counted = probes.map((p) => `${p.selector}: ${p.series} series`).join(', ');
    return {
      severity: 'warning',
      area: 'metrics',
      object,
      saw: `${metric}: no data, although the series exist (${counted}): the workload received no traffic in the interval`,
      fix: noTrafficFix,
    };
  }
  return {
    severity: 'warning',
    area: 'metrics',
    object,
    saw: `${metric}: the query returns no data`,
    fix: 'run the query in Prometheus and check its labels and the interval',
  };
}

/** The findings of the metric checks: failures, and no data explained. */
export function checkMetrics(observations: MetricObservation[], canary: string): Finding[] {
  const object = `Canary ${canary}`;
  const findings: Finding[] = [];
  for (const obs of observations) {
    const outcome = obs.outcome;
    if (outcome?.kind === 'unreachable') {
      findings.push({
        severity: 'error',
        area: 'metrics',
        object,
        saw: `${obs.check.name}: ${outcome.message}`,
        fix: SOURCE_FIX,
      });
    } else if (outcome?.kind === 'failed' || (!outcome && !obs.check.passed)) {
      findings.push({
        severity: 'error',
        area: 'metrics',
        object,
        saw: outcome?.kind === 'failed' ? `${obs.check.name}: ${outcome.message}` : obs.check.message,
        fix: 'fix the metric (its query, MetricTemplate or provider) until the query returns one number',
      });
    } else if (outcome?.kind === 'empty') {
      findings.push(noDataFinding(obs.check.name, obs.probes ?? [], object));
    } else if (!obs.check.passed) {
      findings.push({
        severity: 'warning',
        area: 'metrics',
        object,
        saw: obs.check.message,
        fix: 'the canary would fail this check now: look at the canary version or the threshold',
      });
    }
  }
  return findings;
}

/** The checks as the report lists them. */
export function metricRuns(observations: MetricObservation[]): MetricRun[] {
  return observations.map(({ check }) => ({
    metric: check.name,
    ...(check.query !== undefined ? { query: check.query } : {}),
    ...(check.value !== undefined ? { value: check.value } : {}),
    result: check.message,
    passed: check.passed,
  }));
}
