/**
 * Bounds of every duration a Canary can set: the range the code honours. Past them a value that
 * parses is still wrong: a timer longer than 2^31-1 ms fires at once in Node.js, a webhook timeout
 * of 1500us fails every call, and Prometheus refuses a range it cannot parse. Each bound is
 * documented in the README ("Bounds").
 */
import { DurationError, formatDuration, parseDurationMs, parsePrometheusDurationMs } from './duration.js';
import { quote, type FieldError } from './field-error.js';
import type { Canary } from './schema/canary.js';

const HOUR_MS = 3_600_000;

/** Longest `analysis.interval`: one tick a day. */
export const MAX_ANALYSIS_INTERVAL_MS = 24 * HOUR_MS;
/** Flagger's floor for `analysis.interval`; shorter ones are raised to the controller's `--min-interval`. */
export const FLAGGER_MIN_INTERVAL_MS = 10_000;
/** Longest metric `interval` (the query's range). */
export const MAX_METRIC_INTERVAL_MS = 24 * HOUR_MS;
/** Shortest webhook `timeout`: below it every call fails before a receiver can answer. */
export const MIN_WEBHOOK_TIMEOUT_MS = 100;
/** Longest webhook `timeout`. */
export const MAX_WEBHOOK_TIMEOUT_MS = HOUR_MS;
/** Shortest Istio route timeout (Istio refuses less than 1 ms). */
export const MIN_ROUTE_TIMEOUT_MS = 1;
/** Longest Istio route timeout and per-try timeout. */
export const MAX_ROUTE_TIMEOUT_MS = 24 * HOUR_MS;
/** Longest `progressDeadlineSeconds`: one day. */
export const MAX_PROGRESS_DEADLINE_SECONDS = 86_400;
/**
 * Most revisions `analysis.rollbackWindow` keeps: the list lives in the Canary's status, which is
 * written on every tick, so it stays short.
 */
export const MAX_ROLLBACK_WINDOW_REVISIONS = 10;

interface DurationField {
  path: string;
  value: string | undefined;
  grammar: 'go' | 'prometheus';
  minMs: number;
  maxMs: number;
}

function durationFields(canary: Canary): DurationField[] {
  const spec = canary.spec;
  const fields: DurationField[] = [
    {
      path: 'spec.analysis.interval',
      value: spec.analysis.interval,
      grammar: 'go',
      minMs: 1,
      maxMs: MAX_ANALYSIS_INTERVAL_MS,
    },
    {
      path: 'spec.service.timeout',
      value: spec.service.timeout,
      grammar: 'go',
      minMs: MIN_ROUTE_TIMEOUT_MS,
      maxMs: MAX_ROUTE_TIMEOUT_MS,
    },
    {
      path: 'spec.service.retries.perTryTimeout',
      value: spec.service.retries?.perTryTimeout,
      grammar: 'go',
      minMs: MIN_ROUTE_TIMEOUT_MS,
      maxMs: MAX_ROUTE_TIMEOUT_MS,
    },
  ];
  spec.analysis.metrics?.forEach((m, i) =>
    fields.push({
      path: `spec.analysis.metrics[${i}].interval`,
      value: m.interval,
      grammar: 'prometheus',
      minMs: 1,
      maxMs: MAX_METRIC_INTERVAL_MS,
    }),
  );
  spec.analysis.webhooks?.forEach((h, i) =>
    fields.push({
      path: `spec.analysis.webhooks[${i}].timeout`,
      value: h.timeout,
      grammar: 'go',
      minMs: MIN_WEBHOOK_TIMEOUT_MS,
      maxMs: MAX_WEBHOOK_TIMEOUT_MS,
    }),
  );
  return fields;
}

function describeMs(ms: number): string {
  return ms < 1_000 ? `${ms}ms` : formatDuration(ms);
}

/** Errors for durations of a (schema-valid) Canary outside the range the code honours. */
export function durationErrors(canary: Canary): FieldError[] {
  const errors: FieldError[] = [];
  for (const f of durationFields(canary)) {
    if (f.value === undefined) continue;
    let ms: number;
    try {
      ms = f.grammar === 'go' ? parseDurationMs(f.value) : parsePrometheusDurationMs(f.value);
    } catch (err) {
      if (!(err instanceof DurationError)) throw err;
      const kind =
        f.grammar === 'go'
          ? 'duration such as 30s, 1m or 1m30s'
          : 'Prometheus duration such as 30s, 1m or 1h30m';
      errors.push({ path: f.path, message: `must be a ${kind} (got ${quote(f.value)})` });
      continue;
    }
    if (ms === 0 && f.minMs > 0) errors.push({ path: f.path, message: 'must be greater than zero' });
    else if (ms < f.minMs)
      errors.push({
        path: f.path,
        message: `must be at least ${describeMs(f.minMs)} (got ${quote(f.value)})`,
      });
    else if (ms > f.maxMs)
      errors.push({
        path: f.path,
        message: `must be at most ${describeMs(f.maxMs)} (got ${quote(f.value)})`,
      });
  }
  return errors;
}

/** Warnings for durations Fledge accepts but changes: an interval below Flagger's 10 s floor. */
export function durationWarnings(canary: Canary): FieldError[] {
  const text = canary.spec.analysis.interval;
  if (text === undefined) return [];
  let ms: number;
  try {
    ms = parseDurationMs(text);
  } catch {
    return [];
  }
  if (ms === 0 || ms >= FLAGGER_MIN_INTERVAL_MS) return [];
  return [
    {
      path: 'spec.analysis.interval',
      message: `is below 10s: the controller raises it to its --min-interval (default 10s, Flagger's floor)`,
    },
  ];
}
