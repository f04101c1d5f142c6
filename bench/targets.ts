/** The benchmark's targets, and how far a figure stands from one. Pure functions. */

/** A bound a figure should respect. */
export interface Target {
  /** `<`: strictly below; `<=`: at most; `=`: exactly. */
  op: '<' | '<=' | '=';
  bound: number;
  /** Shown after the bound, e.g. `ms`. */
  unit?: string;
}

/** How a figure compares to its target. */
export interface Verdict {
  met: boolean;
  /** E.g. `-95% of target`, `+3.6x over`, `+0.4 over`; empty when the figure is missing. */
  distance: string;
}

/** Targets from the benchmark issue. */
export const TARGETS = {
  /** 5,000 canaries at 10 s on one replica. */
  latenessP99Ms: { op: '<', bound: 250, unit: 'ms' },
  cores: { op: '<', bound: 1, unit: 'core' },
  /** A steady-state tick reads nothing (GET/LIST): informer caches and WATCH only. */
  readsPerTick: { op: '=', bound: 0 },
  /** A weight step writes the route and the status, nothing more. */
  writesPerWeightStep: { op: '<=', bound: 2 },
  /** A tick where nothing changes writes nothing. */
  writesPerIdleTick: { op: '=', bound: 0 },
  /** One Prometheus query per metric per tick. */
  queriesPerMetricPerTick: { op: '=', bound: 1 },
  /** Metric queries in flight at once, at most: one tick's per running tick. */
  queriesInFlight: (bound: number): Target => ({ op: '<=', bound }),
  /** Rollback lands within 1 s of the check reaching the threshold, in the same tick. */
  rollbackP99Ms: { op: '<', bound: 1000, unit: 'ms' },
  /** Soak: every canary ends as its last revision was made to, whatever was killed when. */
  wrongFinalStates: { op: '=', bound: 0 },
  /** Soak: no weight step skipped or written again, no rollout missing or extra. */
  stepDefects: { op: '=', bound: 0 },
} as const satisfies Record<string, Target | ((bound: number) => Target)>;

/** Peak RSS bounds of one controller by fleet size (issue 10); other sizes have none. */
export const PEAK_RSS_TARGETS_MB: Readonly<Record<number, number>> = { 100: 100, 5_000: 400 };

/** The peak RSS target at `canaries`, if the issue sets one for that size. */
export function peakRssTarget(canaries: number): Target | undefined {
  const bound = PEAK_RSS_TARGETS_MB[canaries];
  return bound === undefined ? undefined : { op: '<', bound, unit: 'MB' };
}

/** `< 250 ms`, `= 0`. */
export function describeTarget(t: Target): string {
  return `${t.op === '<=' ? '≤' : t.op} ${t.bound}${t.unit ? ` ${t.unit}` : ''}`;
}

/** Compares `value` with `target`; a missing value is not met. */
export function evaluate(value: number | undefined, target: Target): Verdict {
  if (value === undefined || !Number.isFinite(value)) return { met: false, distance: '' };
  const met =
    target.op === '<'
      ? value < target.bound
      : target.op === '<='
        ? value <= target.bound
        : Math.abs(value - target.bound) < 1e-9;
  if (target.bound === 0) {
    return { met, distance: met ? 'on target' : `+${formatNumber(value)} over` };
  }
  if (target.op === '=') {
    const delta = value - target.bound;
    return { met, distance: met ? 'on target' : `${delta > 0 ? '+' : ''}${formatNumber(delta)} off` };
  }
  if (met)
    return { met, distance: `${Math.round(((value - target.bound) / target.bound) * 100)}% vs target` };
  const times = value / target.bound;
  return {
    met,
    distance:
      times >= 2 ? `${formatNumber(times)}x the target` : `+${Math.round((times - 1) * 100)}% over target`,
  };
}

/** A figure for a table: 3 significant digits below 100, whole numbers above. */
export function formatNumber(value: number | undefined): string {
  if (value === undefined || !Number.isFinite(value)) return '–';
  const abs = Math.abs(value);
  if (abs >= 100 || Number.isInteger(value)) return String(Math.round(value));
  if (abs >= 10) return value.toFixed(1);
  if (abs >= 1) return value.toFixed(2);
  if (abs === 0) return '0';
  return value.toPrecision(2);
}
