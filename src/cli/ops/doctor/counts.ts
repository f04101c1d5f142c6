/**
 * The judge's count queries: each version's counts as run now, and when they cannot be read, why
 * (bad judge settings or template, Prometheus unreachable, no series for the version's labels, or
 * series without traffic in the interval). The queries run elsewhere (`count-runs.ts`).
 */
import type { VersionCounts } from '../../../../analysis/judge/observation.js';
import type { CountObservation } from './count-runs.js';
import type { CountRun, CountsRead, Finding } from './finding.js';
import { noDataFinding, SOURCE_FIX } from './metrics.js';

const NO_TRAFFIC_FIX =
  'send traffic to both versions (a load-test webhook): while a version has no requests the judge holds the weight (not enough data)';

/** The findings of the count queries: problems, and a version without data explained. */
export function checkJudgeCounts(observations: CountObservation[], canary: string): Finding[] {
  const object = `Canary ${canary}`;
  const findings: Finding[] = [];
  for (const obs of observations) {
    const what = `judge count queries (${obs.source})`;
    if (obs.problem !== undefined) {
      const unreachable = obs.runs.some((r) => r.outcome.kind === 'unreachable');
      findings.push({
        severity: 'error',
        area: 'metrics',
        object,
        saw: `${what}: ${obs.problem}`,
        fix: unreachable
          ? SOURCE_FIX
          : 'fix what the message names (spec.analysis.judge, the MetricTemplate spec.countQueries, or the metrics server): until then the judge cannot compare the versions',
      });
      continue;
    }
    for (const version of ['canary', 'primary'] as const) {
      if (obs.observation?.[version] !== undefined) continue;
      const run = obs.runs.find((r) => r.count.version === version && r.count.of === 'requests');
      findings.push(noDataFinding(`${what}: ${version} requests`, run?.probes ?? [], object, NO_TRAFFIC_FIX));
    }
  }
  return findings;
}

function read(counts: VersionCounts | undefined): CountsRead | undefined {
  if (!counts) return undefined;
  const within = counts.buckets?.[0]?.count;
  return {
    requests: counts.requests,
    errors: counts.errors,
    ...(within !== undefined ? { withinEdge: within } : {}),
  };
}

/** The count queries as the report lists them. */
export function countRuns(observations: CountObservation[]): CountRun[] {
  return observations.map((obs) => {
    const edgeMs = obs.runs.find((r) => r.count.edgeMs !== undefined)?.count.edgeMs;
    const canary = read(obs.observation?.canary);
    const primary = read(obs.observation?.primary);
    return {
      source: obs.source,
      interval: obs.interval,
      ...(edgeMs !== undefined ? { edgeMs } : {}),
      ...(canary ? { canary } : {}),
      ...(primary ? { primary } : {}),
      ...(obs.problem !== undefined ? { problem: obs.problem } : {}),
      queries: obs.runs.map((r) => ({
        version: r.count.version,
        of: r.count.of,
        query: r.query,
        ...(r.outcome.kind === 'value' ? { value: r.outcome.value } : {}),
      })),
    };
  });
}
