/** How `fledge doctor` prints a report for people: findings first, then what it ran. */
import { formatMetricValue } from '../../../../analysis/threshold.js';
import type { DoctorReport } from './finding.js';

function count(n: number, what: string): string {
  return `${n} ${what}${n === 1 ? '' : 's'}`;
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
  if (report.probes.length > 0) {
    lines.push('', 'Endpoints, probed now (HEAD, no payload):');
    for (const p of report.probes) {
      lines.push(`  ${p.reachable ? 'ok  ' : 'FAIL'}  ${p.what}  ${p.address}  ${p.answer}`);
    }
  }
  return lines.join('\n');
}
