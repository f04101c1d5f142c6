/** How `fledge doctor` prints a report for people: findings first, then what it ran. */
import { formatMetricValue } from '../../../../analysis/threshold.js';
import type { CountRun, CountsRead, DoctorReport } from './finding.js';

function count(n: number, what: string): string {
  return `${n} ${what}${n === 1 ? '' : 's'}`;
}

function renderVersion(counts: CountsRead | undefined, edgeMs: number | undefined): string {
  if (!counts) return 'no data';
  const within = counts.withinEdge !== undefined ? `, ${counts.withinEdge} within ${edgeMs ?? '?'} ms` : '';
  return `${counts.requests} requests, ${counts.errors} 5xx${within}`;
}

/** One set of the judge's count queries: each version's counts, then each query with its value. */
function renderCounts(run: CountRun): string[] {
  const lines = [`Judge count queries, run now (${run.source}, over ${run.interval}):`];
  if (run.problem !== undefined) lines.push(`  FAIL  ${run.problem}`);
  if (run.problem === undefined || run.canary || run.primary) {
    lines.push(`  canary   ${renderVersion(run.canary, run.edgeMs)}`);
    lines.push(`  primary  ${renderVersion(run.primary, run.edgeMs)}`);
  }
  for (const q of run.queries) {
    const value = q.value !== undefined ? formatMetricValue(q.value) : 'no value';
    lines.push(`        ${q.version} ${q.of} ${value}: ${q.query}`);
  }
  return lines;
}

/** The report as text. */
export function renderReport(report: DoctorReport): string {
  const by = (s: string) => report.findings.filter((f) => f.severity === s).length;
  const lines = [
    `Canary ${report.canary}: ${
      report.findings.length === 0
        ? 'no findings'
        : [count(by('error'), 'error'), count(by('warning'), 'warning'), count(by('info'), 'note')].join(', ')
    }`,
  ];
  for (const f of report.findings) {
    lines.push('', `${f.severity.toUpperCase().padEnd(8)}${f.area.padEnd(10)}${f.object}`);
    lines.push(`  saw: ${f.saw}`, `  fix: ${f.fix}`);
  }
  if (report.metrics.length > 0) {
    lines.push('', 'Metric checks, run now:');
    for (const m of report.metrics) {
      const value = m.value !== undefined ? formatMetricValue(m.value) : 'no value';
      lines.push(`  ${m.passed ? 'pass' : 'FAIL'}  ${m.metric}  ${value}  ${m.result}`);
      if (m.query) lines.push(`        query: ${m.query}`);
    }
  }
  for (const run of report.counts ?? []) lines.push('', ...renderCounts(run));
  if (report.probes.length > 0) {
    lines.push('', 'Endpoints, probed now (HEAD, no payload):');
    for (const p of report.probes) {
      lines.push(`  ${p.reachable ? 'ok  ' : 'FAIL'}  ${p.what}  ${p.address}  ${p.answer}`);
    }
  }
  return lines.join('\n');
}
