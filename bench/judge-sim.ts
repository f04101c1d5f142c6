/**
 * The simulated rollouts of the judge's benchmark: 10% steps to 50%, one judgment per interval,
 * each request routed to the canary at random with probability weight/100, each one failing and
 * taking its latency at random. The same traffic feeds the judge and Flagger's threshold rule.
 */
import { judge, type JudgeState } from '../analysis/judge/judge.js';
import type { IntervalObservation, LatencyBucket, VersionCounts } from '../analysis/judge/observation.js';
import type { JudgeSettings } from '../analysis/judge/settings.js';

/** Istio's default request-duration buckets, ms. */
export const BUCKETS_MS = [0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000];

/** A version's behaviour: error rate, and latency log-normal with this p99 and median. */
export interface VersionModel {
  errorRate: number;
  p99Ms: number;
}

/** One benchmark cell's traffic. */
export interface Scenario {
  rps: number;
  intervalSeconds: number;
  primary: VersionModel;
  canary: VersionModel;
  /** Intervals (0-based, counted from the first judged one) in which both versions fail at `rate`. */
  incident?: { fromInterval: number; intervals: number; rate: number } | undefined;
}

/** How a simulated rollout ended. */
export interface RolloutResult {
  outcome: 'promoted' | 'rolled-back' | 'halted';
  /** Canary weight when it ended. */
  weight: number;
  intervals: number;
}

const MEDIAN_MS = 50;
const STEP = 10;
const MAX_WEIGHT = 50;

/** Draws from the normal distribution (Box-Muller). */
function gaussian(random: () => number): number {
  const u = 1 - random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

/**
 * Binomial(n, p): exact by geometric waiting times when few successes (or failures) are expected,
 * the normal approximation otherwise (over 25 of each, where it is close enough for a benchmark).
 */
export function sampleBinomial(n: number, p: number, random: () => number): number {
  if (n <= 0 || p <= 0) return 0;
  if (p >= 1) return n;
  if (p > 0.5) return n - sampleBinomial(n, 1 - p, random);
  const mean = n * p;
  if (mean > 25) {
    const x = Math.round(mean + Math.sqrt(mean * (1 - p)) * gaussian(random));
    return Math.min(n, Math.max(0, x));
  }
  const logQ = Math.log1p(-p);
  let successes = 0;
  let position = 0;
  for (;;) {
    position += Math.floor(Math.log(1 - random()) / logQ) + 1;
    if (position > n) return successes;
    successes += 1;
  }
}

/** The standard normal CDF (Abramowitz-Stegun 7.1.26, error below 1.5e-7). */
function normalCdf(z: number): number {
  const t = 1 / (1 + 0.3275911 * (Math.abs(z) / Math.SQRT2));
  const poly =
    t * (0.254829592 + t * (-0.284496736 + t * (1.421413061 + t * (-1.453152027 + t * 1.061405429))));
  const erf = 1 - poly * Math.exp(-(z * z) / 2);
  return z >= 0 ? (1 + erf) / 2 : (1 - erf) / 2;
}

/** Share of requests at most `ms`, for a log-normal of median 50 ms and this p99. */
function latencyCdf(ms: number, p99Ms: number): number {
  const sigma = Math.log(p99Ms / MEDIAN_MS) / 2.326348;
  return normalCdf(Math.log(ms / MEDIAN_MS) / sigma);
}

function versionCounts(
  requests: number,
  errorRate: number,
  p99Ms: number,
  random: () => number,
): VersionCounts {
  const buckets: LatencyBucket[] = [];
  let left = requests;
  let below = 0;
  let previousCdf = 0;
  for (const le of BUCKETS_MS) {
    const cdf = latencyCdf(le, p99Ms);
    // Multinomial by successive binomials: of the requests not yet placed, those in this bucket.
    const inBucket = sampleBinomial(left, (cdf - previousCdf) / (1 - previousCdf), random);
    left -= inBucket;
    below += inBucket;
    previousCdf = cdf;
    buckets.push({ le, count: below });
  }
  buckets.push({ le: Infinity, count: requests });
  return { requests, errors: sampleBinomial(requests, errorRate, random), buckets };
}

/** One interval's counts at this canary weight. */
export function simulateInterval(
  scenario: Scenario,
  weight: number,
  interval: number,
  random: () => number,
): IntervalObservation {
  const total = Math.round(scenario.rps * scenario.intervalSeconds);
  const canaryRequests = sampleBinomial(total, weight / 100, random);
  const incident = scenario.incident;
  const during =
    incident && interval >= incident.fromInterval && interval < incident.fromInterval + incident.intervals;
  const rate = (m: VersionModel) => (during ? Math.max(m.errorRate, incident.rate) : m.errorRate);
  return {
    canary: versionCounts(canaryRequests, rate(scenario.canary), scenario.canary.p99Ms, random),
    primary: versionCounts(total - canaryRequests, rate(scenario.primary), scenario.primary.p99Ms, random),
  };
}

/** A rollout judged by the sequential judge; `hold-limit` halts it (a person decides). */
export function simulateJudgeRollout(
  scenario: Scenario,
  settings: JudgeSettings,
  random: () => number,
): RolloutResult {
  let state: JudgeState | undefined;
  let weight = STEP;
  for (let i = 0; ; i++) {
    const step = judge(state, simulateInterval(scenario, weight, i, random), settings);
    state = step.state;
    const outcome = step.verdict.outcome;
    if (outcome === 'regression') return { outcome: 'rolled-back', weight, intervals: i + 1 };
    if (outcome === 'hold-limit') return { outcome: 'halted', weight, intervals: i + 1 };
    if (outcome === 'pass') {
      if (weight >= MAX_WEIGHT) return { outcome: 'promoted', weight, intervals: i + 1 };
      weight += STEP;
    }
  }
}

/** Flagger's rule: `request-success-rate` min, `request-duration` (p99) max, failed-check threshold. */
export interface ThresholdRule {
  minSuccessPercent: number;
  maxP99Ms: number;
  threshold: number;
}

/** histogram_quantile's linear interpolation inside the bucket holding the quantile. */
export function histogramQuantile(q: number, buckets: LatencyBucket[]): number {
  const total = buckets[buckets.length - 1]!.count;
  if (total === 0) return NaN;
  const rank = q * total;
  let lowerLe = 0;
  let lowerCount = 0;
  for (const b of buckets) {
    if (b.count >= rank) {
      // Like Prometheus: a quantile in the +Inf bucket is the highest finite bound.
      if (b.le === Infinity) return lowerLe;
      return lowerLe + ((b.le - lowerLe) * (rank - lowerCount)) / Math.max(1, b.count - lowerCount);
    }
    lowerLe = b.le;
    lowerCount = b.count;
  }
  return lowerLe;
}

/**
 * A rollout under Flagger's rule, in Flagger's order: a failed check (no canary requests is one:
 * the query has no value) adds to the count and holds the weight; reaching the threshold rolls
 * back in the same tick; a passed check steps, at the maximum weight promotes.
 */
export function simulateThresholdRollout(
  scenario: Scenario,
  rule: ThresholdRule,
  random: () => number,
): RolloutResult {
  let weight = STEP;
  let failed = 0;
  for (let i = 0; ; i++) {
    const canary = simulateInterval(scenario, weight, i, random).canary!;
    const success = canary.requests === 0 ? NaN : 100 * (1 - canary.errors / canary.requests);
    const p99 = histogramQuantile(0.99, canary.buckets!);
    const passed = success >= rule.minSuccessPercent && p99 <= rule.maxP99Ms;
    if (!passed) {
      failed += 1;
      if (failed >= rule.threshold) return { outcome: 'rolled-back', weight, intervals: i + 1 };
      continue;
    }
    if (weight >= MAX_WEIGHT) return { outcome: 'promoted', weight, intervals: i + 1 };
    weight += STEP;
  }
}
