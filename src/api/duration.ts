/**
 * Go-style durations ("30s", "1m30s", "1.5h", "500ms"), the format Flagger's manifests use.
 *
 * Parsed here rather than with a general-purpose library because the accepted grammar must be
 * exactly Go's `time.ParseDuration` (minus negative values): a manifest Flagger accepts must parse,
 * and one it rejects must not.
 */

const UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
};

const TERM = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/y;

/** Thrown for a string that is not a Go duration; the message says why. */
export class DurationError extends Error {
  override name = 'DurationError';
}

/** Parses a Go duration into milliseconds. Throws {@link DurationError} when the string is not one. */
export function parseDurationMs(text: string): number {
  if (text === '0') return 0;
  if (text.length === 0) throw new DurationError('empty duration');
  if (text.startsWith('-')) throw new DurationError(`negative duration "${text}"`);
  const body = text.startsWith('+') ? text.slice(1) : text;
  let total = 0;
  let at = 0;
  TERM.lastIndex = 0;
  while (at < body.length) {
    TERM.lastIndex = at;
    const m = TERM.exec(body);
    if (!m) {
      throw new DurationError(
        `invalid duration "${text}": expected a number and a unit (ns, us, ms, s, m, h)`,
      );
    }
    total += Number(m[1]) * (UNIT_MS[m[2] as string] as number);
    at = TERM.lastIndex;
  }
  return total;
}

/** True when {@link parseDurationMs} accepts the string. */
export function isDuration(text: string): boolean {
  try {
    parseDurationMs(text);
    return true;
  } catch {
    return false;
  }
}

/** Formats milliseconds the way Prometheus range selectors and Go print them: "90s" becomes "1m30s". */
export function formatDuration(ms: number): string {
  if (ms <= 0) return '0s';
  if (ms < 1_000) return `${Math.round(ms)}ms`;
  let seconds = Math.round(ms / 1_000);
  const hours = Math.floor(seconds / 3_600);
  seconds -= hours * 3_600;
  const minutes = Math.floor(seconds / 60);
  seconds -= minutes * 60;
  return `${hours ? `${hours}h` : ''}${minutes ? `${minutes}m` : ''}${seconds ? `${seconds}s` : ''}`;
}

const PROMETHEUS_UNIT_MS: Record<string, number> = {
  y: 365 * 86_400_000,
  w: 7 * 86_400_000,
  d: 86_400_000,
  h: 3_600_000,
  m: 60_000,
  s: 1_000,
  ms: 1,
};

/** Prometheus' duration grammar: integers with units, largest first, each at most once (`1h30m`). */
const PROMETHEUS_DURATION =
  /^(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$/;

/**
 * Parses a Prometheus duration (what a range selector `[5m]` takes: `30s`, `1h30m`, `1d`) into
 * milliseconds. Throws {@link DurationError} for what Prometheus would refuse, such as `1.5m`,
 * `0.5h` or `+30s`, which Go would accept.
 */
export function parsePrometheusDurationMs(text: string): number {
  const m = text === '' ? null : PROMETHEUS_DURATION.exec(text);
  if (!m) {
    throw new DurationError(
      `invalid Prometheus duration "${text}": whole numbers with units y, w, d, h, m, s, ms, largest first (e.g. 30s, 1m, 1h30m)`,
    );
  }
  const units = ['y', 'w', 'd', 'h', 'm', 's', 'ms'];
  return units.reduce(
    (total, unit, i) => total + Number(m[i + 1] ?? 0) * (PROMETHEUS_UNIT_MS[unit] as number),
    0,
  );
}
