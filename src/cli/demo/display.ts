/**
 * The demo's progress display: one live row per scenario and the latest Events underneath, redrawn
 * in place on a terminal; on anything else (CI logs) one line per change.
 */
import { styleText } from 'node:util';
import logUpdate from 'log-update';

/** What one row shows. */
export interface RowState {
  key: string;
  image: string;
  phase: string;
  weight: number;
  failedChecks: number;
  threshold: number;
  iterations?: string;
  /** The latest check values, e.g. `request-success-rate 94.8 (min 99)`. */
  checks: string;
  /** A/B: where premium and other users' requests went. */
  split?: string;
  /** What the provider's routing object says, e.g. `HTTPRoute podinfo: podinfo-primary 90 / ...`. */
  routes?: string;
  /** The judge's last verdict, e.g. `regression: errors 2.1x [1.2, 3.9] regression 900 >= 400`. */
  judge?: string;
  done?: 'ok' | 'unexpected';
}

const BAR_WIDTH = 20;

function bar(weight: number): string {
  const filled = Math.round((weight / 100) * BAR_WIDTH);
  return `[${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}] ${String(weight).padStart(3)}%`;
}

function phaseText(row: RowState, color: boolean): string {
  const text = row.phase.padEnd(16);
  if (!color) return text;
  if (row.phase === 'Succeeded') return styleText('green', text);
  if (row.phase === 'Failed') return styleText('red', text);
  return styleText('yellow', text);
}

function mark(row: RowState, color: boolean): string {
  if (!row.done) return ' ';
  const m = row.done === 'ok' ? 'ok' : '!!';
  return color ? styleText(row.done === 'ok' ? 'green' : 'red', m) : m;
}

function renderRow(row: RowState, color: boolean): string {
  const detail = [
    `canary weight ${bar(row.weight)}`,
    row.iterations ? `iteration ${row.iterations}` : '',
    `failed checks ${row.failedChecks}/${row.threshold}`,
  ]
    .filter(Boolean)
    .join('  ');
  const lines = [
    `${mark(row, color)} ${row.key.padEnd(8)} ${row.image.padEnd(22)} ${phaseText(row, color)} ${detail}`,
  ];
  if (row.checks) lines.push(`             checks: ${row.checks}`);
  if (row.routes) lines.push(`             route: ${row.routes}`);
  if (row.split) lines.push(`             traffic: ${row.split}`);
  if (row.judge) lines.push(`             judge: ${row.judge}`);
  return lines.join('\n');
}

export interface Display {
  update(rows: RowState[], events: string[]): void;
  done(): void;
}

/** Redraws in place on a terminal. */
export function terminalDisplay(): Display {
  return {
    update(rows, events) {
      const body = rows.map((r) => renderRow(r, true)).join('\n');
      const feed = events.map((e) => styleText('dim', `  ${e}`)).join('\n');
      logUpdate(`${body}\n\n${styleText('bold', 'Events')}\n${feed}`);
    },
    done() {
      logUpdate.done();
    },
  };
}

/** Prints a line when a row changes, and each new Event once. */
export function lineDisplay(write: (line: string) => void): Display {
  const last = new Map<string, string>();
  const seen = new Set<string>();
  return {
    update(rows, events) {
      for (const row of rows) {
        const text = renderRow(row, false);
        if (last.get(row.key) !== text) {
          last.set(row.key, text);
          write(text);
        }
      }
      for (const e of events) {
        if (seen.has(e)) continue;
        seen.add(e);
        write(`  event: ${e}`);
      }
    },
    done() {},
  };
}
