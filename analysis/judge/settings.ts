/** The judge's settings: defaults, and the checks that name the field of a bad one. */
import { JudgeInputError } from './observation.js';

/** Thresholds of one compared quantity (5xx, or requests slower than an edge). */
export interface ComparisonSettings {
  /** "No regression": the canary's rate is at most this times the primary's. */
  allowedRatio: number;
  /** The smallest ratio that must not be promoted: a step needs evidence of less. */
  regressionRatio: number;
  /**
   * A canary rate below this may step whatever the ratio (a version with no 5xx gives the ratio
   * test nothing to compare); 0 turns it off.
   */
  negligibleRate: number;
}

/** Everything the judge needs besides the counts. */
export interface JudgeSettings {
  /** Bound on rolling back a canary that is no worse, over the whole rollout (split over metrics). */
  alpha: number;
  /** Bound, per metric, on stepping a canary that is worse by `regressionRatio` or more. */
  beta: number;
  /** Intervals the judge may answer "not enough data" before it answers "hold-limit". */
  maxHolds: number;
  errors: ComparisonSettings;
  /** Latency is judged on the share of requests slower than `edgeMs`, a bucket bound; absent: not judged. */
  latency: (ComparisonSettings & { edgeMs: number }) | undefined;
}

/**
 * The defaults: at most 0.5% false rollbacks over a whole rollout (half of issue 12's 1%: a long
 * rollout at low traffic comes close to the bound), 1% promoted doublings per metric, an hour of
 * holding at 1 m intervals.
 */
export const DEFAULT_JUDGE_SETTINGS: JudgeSettings = {
  alpha: 0.005,
  beta: 0.01,
  maxHolds: 60,
  errors: { allowedRatio: 1, regressionRatio: 2, negligibleRate: 0.001 },
  latency: undefined,
};

const DEFAULT_LATENCY: ComparisonSettings = { allowedRatio: 1, regressionRatio: 2, negligibleRate: 0.001 };

function record(value: unknown, field: string): Record<string, unknown> {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new JudgeInputError(field, 'must be an object');
  return value as Record<string, unknown>;
}

function numberIn(
  value: unknown,
  fallback: number,
  field: string,
  ok: (n: number) => boolean,
  rule: string,
): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || !ok(value))
    throw new JudgeInputError(field, `must be ${rule}, got ${JSON.stringify(value) ?? 'nothing'}`);
  return value;
}

function comparison(raw: unknown, defaults: ComparisonSettings, field: string): ComparisonSettings {
  const v = record(raw, field);
  const allowedRatio = numberIn(
    v.allowedRatio,
    defaults.allowedRatio,
    `${field}.allowedRatio`,
    (n) => n > 0,
    'a ratio > 0',
  );
  const regressionRatio = numberIn(
    v.regressionRatio,
    Math.max(defaults.regressionRatio, allowedRatio * 2),
    `${field}.regressionRatio`,
    (n) => n > allowedRatio,
    `a ratio greater than ${field}.allowedRatio (${allowedRatio})`,
  );
  const negligibleRate = numberIn(
    v.negligibleRate,
    defaults.negligibleRate,
    `${field}.negligibleRate`,
    (n) => n >= 0 && n < 1,
    'a rate in [0, 1)',
  );
  return { allowedRatio, regressionRatio, negligibleRate };
}

/** Fills in the defaults and checks every field; `field` prefixes the names in messages. */
export function resolveJudgeSettings(raw: unknown, field = 'settings'): JudgeSettings {
  const v = record(raw, field);
  const d = DEFAULT_JUDGE_SETTINGS;
  const probability = (n: number) => n > 0 && n < 1;
  const latencyRaw = v.latency === undefined ? undefined : record(v.latency, `${field}.latency`);
  let latency: JudgeSettings['latency'];
  if (latencyRaw) {
    const edgeMs = latencyRaw.edgeMs;
    if (typeof edgeMs !== 'number' || !Number.isFinite(edgeMs) || edgeMs <= 0)
      throw new JudgeInputError(
        `${field}.latency.edgeMs`,
        `must be a histogram bucket bound in ms > 0, got ${JSON.stringify(edgeMs) ?? 'nothing'}`,
      );
    latency = { ...comparison(latencyRaw, DEFAULT_LATENCY, `${field}.latency`), edgeMs };
  }
  return {
    alpha: numberIn(v.alpha, d.alpha, `${field}.alpha`, probability, 'a probability in (0, 1)'),
    beta: numberIn(v.beta, d.beta, `${field}.beta`, probability, 'a probability in (0, 1)'),
    maxHolds: numberIn(
      v.maxHolds,
      d.maxHolds,
      `${field}.maxHolds`,
      (n) => Number.isInteger(n) && n >= 0,
      'a whole number of intervals >= 0',
    ),
    errors: comparison(v.errors, d.errors, `${field}.errors`),
    latency,
  };
}
