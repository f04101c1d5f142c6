/**
 * What `fledge get` and `fledge status` show of a Canary: pure functions of the object, its Events
 * and the time, so that the output is tested without a cluster.
 */
import { calculateSteps, DEFAULT_THRESHOLD, strategyOf } from '../../api/defaults.js';
import type { Canary, CheckResult } from '../../api/schema/canary.js';
import type { KubeEvent } from '../../kube/resources.js';
import { renderJudge } from './judge-view.js';
import { renderTable } from './table.js';

export { renderTable } from './table.js';

/** One row of `fledge get`. */
export interface CanaryRow {
  namespace: string;
  name: string;
  phase: string;
  weight: number;
  /** `failed/threshold`, e.g. `1/5`. */
  failedChecks: string;
  /** Blue/green and A/B: `done/total`; empty for the canary strategy. */
  iteration: string;
  /** The last analysis, e.g. `request-success-rate 99.2 ✓, latency 612 ✗`. */
  checks: string;
  suspended: boolean;
  age: string;
}

/** `5s`, `3m`, `2h`, `4d`, as kubectl prints ages. */
export function formatAge(from: string | undefined, now: Date): string {
  if (!from) return '<unknown>';
  const seconds = Math.max(0, Math.floor((now.getTime() - Date.parse(from)) / 1000));
  if (!Number.isFinite(seconds)) return '<unknown>';
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 120) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours}h`;
  return `${Math.floor(hours / 24)}d`;
}

/** A number as people read it: at most 3 decimals, no trailing zeros. */
function formatValue(value: number): string {
  return Number.isInteger(value) ? String(value) : String(Number(value.toFixed(3)));
}

/** `min 99`, `max 500`, `99..100`, or empty when the check has no range (a webhook). */
export function formatRange(check: Pick<CheckResult, 'min' | 'max'>): string {
  if (check.min !== undefined && check.max !== undefined)
    return `${formatValue(check.min)}..${formatValue(check.max)}`;
  if (check.min !== undefined) return `min ${formatValue(check.min)}`;
  if (check.max !== undefined) return `max ${formatValue(check.max)}`;
  return '';
}

/** One check in a line: its name, value and verdict. */
export function formatCheck(check: CheckResult): string {
  const value = check.value === undefined ? '' : ` ${formatValue(check.value)}`;
  return `${check.name}${value} ${check.passed ? '✓' : '✗'}`;
}

/** The `fledge get` row of a Canary. */
export function canaryRow(canary: Canary, now: Date): CanaryRow {
  const status = canary.status ?? {};
  const analysis = canary.spec.analysis;
  const strategy = strategyOf(canary.spec);
  return {
    namespace: canary.metadata.namespace ?? '',
    name: canary.metadata.name,
    phase: status.phase ?? 'Pending',
    weight: status.canaryWeight ?? 0,
    failedChecks: `${status.failedChecks ?? 0}/${analysis.threshold ?? DEFAULT_THRESHOLD}`,
    iteration: strategy === 'canary' ? '' : `${status.iterations ?? 0}/${analysis.iterations ?? 0}`,
    checks: (status.checks ?? []).map(formatCheck).join(', '),
    suspended: canary.spec.suspend === true,
    age: formatAge(canary.metadata.creationTimestamp, now),
  };
}

/** The `fledge get` table; `allNamespaces` adds the NAMESPACE column. */
export function renderGet(rows: CanaryRow[], allNamespaces: boolean): string {
  const header = ['NAME', 'PHASE', 'WEIGHT', 'FAILED', 'ITERATION', 'SUSPENDED', 'AGE', 'CHECKS'];
  const cells = rows.map((r) => [
    r.name,
    r.phase,
    String(r.weight),
    r.failedChecks,
    r.iteration || '-',
    r.suspended ? 'true' : 'false',
    r.age,
    r.checks || '-',
  ]);
  if (!allNamespaces) return renderTable(header, cells);
  return renderTable(
    ['NAMESPACE', ...header],
    rows.map((r, i) => [r.namespace, ...(cells[i] ?? [])]),
  );
}

/** What the rollout is waiting for, when a phase says "waiting". */
function waitingFor(canary: Canary): string | undefined {
  const phase = canary.status?.phase;
  const gate =
    canary.status?.gate?.type ??
    (phase === 'Waiting'
      ? 'confirm-rollout'
      : phase === 'WaitingPromotion'
        ? 'confirm-promotion'
        : undefined);
  if (!gate) return undefined;
  const hooks = (canary.spec.analysis.webhooks ?? []).filter((h) => h.type === gate).map((h) => h.name);
  const opens = canary.status?.gate ? `; fledge promote ${canary.metadata.name} opens it` : '';
  return `waiting at the ${gate} gate${hooks.length ? ` (${hooks.join(', ')})` : ''}${opens}`;
}

/** The last operator request and what became of it. */
function lastRequestLine(canary: Canary, now: Date): string | undefined {
  const r = canary.status?.lastRequest;
  if (!r) return undefined;
  return `last request: ${r.action} by ${r.by} ${formatAge(r.at, now)} ago: ${r.result} (${r.message})`;
}

/** The steps of the rollout with the current one marked: `10 ✓  20 ✓  [30]  40  50  promote`. */
export function renderSteps(canary: Canary): string {
  const status = canary.status ?? {};
  const strategy = strategyOf(canary.spec);
  if (strategy !== 'canary') {
    const total = canary.spec.analysis.iterations ?? 0;
    const done = status.iterations ?? 0;
    const marks = Array.from({ length: total }, (_, i) => (i < done ? `${i + 1} ✓` : String(i + 1)));
    return `${strategy} iterations: ${marks.join('  ') || '-'}  then promote`;
  }
  const weight = status.canaryWeight ?? 0;
  const progressing = status.phase === 'Progressing' || status.phase === 'WaitingPromotion';
  const steps = calculateSteps(canary.spec).map((w) => {
    if (progressing && w === weight) return `[${w}]`;
    return progressing && w < weight ? `${w} ✓` : String(w);
  });
  return `weights: ${steps.join('  ')}  then promote`;
}

/** The events of one Canary, newest last, with repeats counted. */
export function eventsOf(canary: Canary, events: KubeEvent[], limit = 10): KubeEvent[] {
  return events
    .filter(
      (e) =>
        e.regarding?.kind === 'Canary' &&
        e.regarding.name === canary.metadata.name &&
        e.regarding.namespace === canary.metadata.namespace,
    )
    .sort((a, b) => lastSeen(a).localeCompare(lastSeen(b)))
    .slice(-limit);
}

function lastSeen(e: KubeEvent): string {
  return e.series?.lastObservedTime ?? e.eventTime ?? '';
}

/** The `fledge status` view: the rollout, each check with its value, range and verdict, and the Events. */
export function renderStatus(canary: Canary, events: KubeEvent[], now: Date): string {
  const status = canary.status ?? {};
  const row = canaryRow(canary, now);
  const condition = (status.conditions ?? []).find((c) => c.type === 'Promoted');
  const lines = [
    `Canary ${row.namespace}/${row.name}  (${strategyOf(canary.spec)}, target ${canary.spec.targetRef.kind}/${canary.spec.targetRef.name})`,
    `  phase:     ${row.phase}${row.suspended ? '  (suspended)' : ''}${condition?.message ? `: ${condition.message}` : ''}`,
    `  weight:    canary ${row.weight}%, primary ${100 - row.weight}%`,
    `  ${renderSteps(canary)}`,
    `  failed checks: ${row.failedChecks}${row.iteration ? `   iteration ${row.iteration}` : ''}`,
  ];
  const waiting = waitingFor(canary);
  if (waiting) lines.push(`  ${waiting}`);
  const request = lastRequestLine(canary, now);
  if (request) lines.push(`  ${request}`);
  const reconciled = (status.conditions ?? []).find((c) => c.type === 'Reconciled');
  if (reconciled?.status === 'False')
    lines.push(`  not reconciled (${reconciled.reason}): ${reconciled.message}`);
  const checks = status.checks ?? [];
  if (checks.length > 0) {
    lines.push('', 'Last analysis:');
    lines.push(
      renderTable(
        ['  CHECK', 'KIND', 'VALUE', 'RANGE', 'VERDICT', 'MESSAGE'],
        checks.map((c) => [
          `  ${c.name}`,
          c.kind,
          c.value === undefined ? '-' : formatValue(c.value),
          formatRange(c) || '-',
          c.passed ? 'pass' : 'FAIL',
          c.message,
        ]),
      ),
    );
  }
  lines.push(...renderJudge(status.judge));
  const recent = eventsOf(canary, events);
  if (recent.length > 0) {
    lines.push('', 'Events:');
    lines.push(
      renderTable(
        ['  AGE', 'TYPE', 'REASON', 'MESSAGE'],
        recent.map((e) => [
          `  ${formatAge(lastSeen(e), now)}${e.series ? ` (x${e.series.count})` : ''}`,
          e.type,
          e.reason,
          e.note,
        ]),
      ),
    );
  }
  return lines.join('\n');
}
