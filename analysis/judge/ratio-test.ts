/**
 * The sequential comparison of one kind of event (5xx responses, requests slower than a bucket
 * edge) between canary and primary. Pure functions over a small JSON value; no clock, no I/O.
 *
 * Model: in one interval the canary served `nc` requests and the primary `np`; events happen at
 * rates `pc` and `pp`, and `rho = pc / pp` is the relative risk. Given the interval's total events
 * `k`, the canary's share of them is Binomial(k, theta) with `theta = rho nc / (rho nc + np)`
 * (exact for Poisson counts; under "same rate" the exact hypergeometric law is tighter in convex
 * order, so the binomial likelihood ratio stays a valid e-value). Conditioning on `k` is what makes
 * a shared incident carry no evidence: if both versions fail together, the split of the failures
 * follows the split of the traffic. The log-likelihood of every `rho` on a fixed grid is the
 * running state; a sum over intervals with different weights is still one likelihood in `rho`.
 */

/** The ratios the likelihood is kept at: 2^(j/6) from 1/16 to 64, plus the two thresholds. */
const BASE_GRID_LOG2 = Array.from({ length: 61 }, (_, j) => (j - 24) / 6);

/** Running sums of one comparison; JSON-serializable, lives in the Canary's status. */
export interface RatioTestState {
  /** The thresholds the grid was built for; a state is only valid with the same ones. */
  allowedRatio: number;
  regressionRatio: number;
  /** Log-likelihood of each grid ratio (see {@link ratioGrid}), summed over intervals. */
  logLikelihood: number[];
  canary: { requests: number; events: number };
  primary: { requests: number; events: number };
}

/** Thresholds of one comparison. */
export interface RatioTestSettings {
  /** "No regression" is `rho <= allowedRatio` (1: the canary may not be worse at all). */
  allowedRatio: number;
  /** A step needs evidence that `rho < regressionRatio`: the smallest regression not to promote. */
  regressionRatio: number;
}

/** One interval's counts of one comparison. A version with no requests gives no comparison. */
export interface RatioCounts {
  canaryRequests: number;
  canaryEvents: number;
  primaryRequests: number;
  primaryEvents: number;
}

/** The grid of relative risks for these thresholds, ascending, both thresholds on it exactly. */
export function ratioGrid(settings: RatioTestSettings): number[] {
  return [...cachedGrid(settings).ratios];
}

interface Grid {
  ratios: number[];
  logRatios: number[];
  allowedIndex: number;
  regressionIndex: number;
  regressionWeights: number[];
  safeWeights: number[];
  intervalWeights: number[];
}

// The judge runs every interval of every canary: a grid and its weights are built once per thresholds.
const GRIDS = new Map<string, Grid>();

function cachedGrid(settings: RatioTestSettings): Grid {
  const key = `${settings.allowedRatio}/${settings.regressionRatio}`;
  const hit = GRIDS.get(key);
  if (hit) return hit;
  const ratios = BASE_GRID_LOG2.map((l) => 2 ** l);
  for (const extra of [settings.allowedRatio, settings.regressionRatio])
    if (!ratios.some((v) => Math.abs(v / extra - 1) < 1e-9)) ratios.push(extra);
  ratios.sort((a, b) => a - b);
  const r = settings.allowedRatio;
  const rr = settings.regressionRatio;
  const grid: Grid = {
    ratios,
    logRatios: ratios.map(Math.log),
    allowedIndex: indexOf(ratios, r),
    regressionIndex: indexOf(ratios, rr),
    // The alternative to "no regression" is centred on a doubling; the alternative to "a
    // regression" on no change at all, where identical versions sit.
    regressionWeights: priorLogWeights(ratios, (rho) => rho > r * (1 + 1e-9), Math.log2(r) + 1, REG_SD_LOG2),
    safeWeights: priorLogWeights(ratios, (rho) => rho < rr * (1 - 1e-9), Math.log2(r), SAFE_SD_LOG2),
    intervalWeights: priorLogWeights(ratios, () => true, 0, CS_SD_LOG2),
  };
  GRIDS.set(key, grid);
  return grid;
}

/** A state with no evidence. */
export function emptyRatioTest(settings: RatioTestSettings): RatioTestState {
  return {
    allowedRatio: settings.allowedRatio,
    regressionRatio: settings.regressionRatio,
    logLikelihood: ratioGrid(settings).map(() => 0),
    canary: { requests: 0, events: 0 },
    primary: { requests: 0, events: 0 },
  };
}

/** Adds one interval. Returns a new state; the input is not changed. */
export function addRatioInterval(state: RatioTestState, counts: RatioCounts): RatioTestState {
  const { canaryRequests: nc, canaryEvents: xc, primaryRequests: np, primaryEvents: xp } = counts;
  const next: RatioTestState = {
    ...state,
    canary: { requests: state.canary.requests + nc, events: state.canary.events + xc },
    primary: { requests: state.primary.requests + np, events: state.primary.events + xp },
  };
  // Without both versions, or without events, the split of events says nothing about rho.
  if (nc === 0 || np === 0 || xc + xp === 0) return next;
  const { ratios, logRatios } = cachedGrid(state);
  const k = xc + xp;
  const logNp = Math.log(np);
  const logNc = Math.log(nc);
  next.logLikelihood = state.logLikelihood.map(
    (ll, g) => ll + xc * (logRatios[g]! + logNc) + xp * logNp - k * Math.log(ratios[g]! * nc + np),
  );
  return next;
}

function logSumExp(values: number[]): number {
  let max = -Infinity;
  for (const v of values) if (v > max) max = v;
  if (max === -Infinity) return -Infinity;
  let sum = 0;
  for (const v of values) sum += Math.exp(v - max);
  return max + Math.log(sum);
}

/** Normal weights on log2(rho) around `centerLog2`, over the grid points `keep` selects, summing to 1. */
function priorLogWeights(
  grid: number[],
  keep: (rho: number) => boolean,
  centerLog2: number,
  sdLog2: number,
): number[] {
  const raw = grid.map((rho) =>
    keep(rho) ? -((Math.log2(rho) - centerLog2) ** 2) / (2 * sdLog2 ** 2) : -Infinity,
  );
  const total = logSumExp(raw);
  return raw.map((w) => w - total);
}

/**
 * Spread of the mixing distributions, in doublings. Against "no regression": wide, from 1.2x to
 * 8x. Against "a regression": narrow around no change, where identical versions sit, which
 * shortened rollouts at 20 rps by a tenth in the simulation. The confidence interval: wider still.
 */
const REG_SD_LOG2 = 1.2;
const SAFE_SD_LOG2 = 0.5;
const CS_SD_LOG2 = 2;

function indexOf(grid: number[], ratio: number): number {
  const i = grid.findIndex((v) => Math.abs(v / ratio - 1) < 1e-9);
  if (i < 0) throw new Error(`ratio ${ratio} is not on the grid`);
  return i;
}

/** The evidence of a state, in natural logs of e-values. */
export interface RatioEvidence {
  /** Against "no regression" (`rho <= allowedRatio`): a regression once >= log(1/alpha). */
  logRegression: number;
  /** Against "a regression" (`rho >= regressionRatio`): may step once >= log(1/beta). */
  logSafe: number;
  /** Maximum-likelihood relative risk on the grid (undefined before any event). */
  estimate: number | undefined;
  /** Anytime-valid confidence interval for the relative risk, at level 1 - `confidenceAlpha`. */
  interval: [number, number];
}

/**
 * The e-values of a state. Each is a mixture of likelihood ratios over the alternative's grid
 * points against the null's boundary point; by monotone likelihood ratio the boundary is the
 * worst case of the composite null, so each is a nonnegative supermartingale under its null and
 * exceeds 1/a with probability at most a over all intervals (Ville's inequality).
 */
export function ratioEvidence(state: RatioTestState, confidenceAlpha: number): RatioEvidence {
  const grid = cachedGrid(state);
  const ll = state.logLikelihood;
  const logRegression = logSumExp(ll.map((l, g) => l + grid.regressionWeights[g]!)) - ll[grid.allowedIndex]!;
  const logSafe = logSumExp(ll.map((l, g) => l + grid.safeWeights[g]!)) - ll[grid.regressionIndex]!;
  return { logRegression, logSafe, ...estimateOf(grid, ll, confidenceAlpha) };
}

/**
 * The confidence sequence: the ratios against which a two-sided mixture has not reached
 * 1/alpha. The mixture's numerator is the same for every ratio, so the set is a threshold on
 * the log-likelihood (an interval, the log-likelihood being concave in log rho); it is widened
 * by one grid step on each side so that a ratio between grid points is not left out.
 */
function estimateOf(
  { ratios: grid, intervalWeights: weights }: Grid,
  ll: number[],
  alpha: number,
): { estimate: number | undefined; interval: [number, number] } {
  const cut = logSumExp(ll.map((l, g) => l + weights[g]!)) - Math.log(1 / alpha);
  let lo = ll.findIndex((l) => l > cut);
  let hi = ll.length - 1 - [...ll].reverse().findIndex((l) => l > cut);
  const flat = ll.every((l) => l === ll[0]);
  lo = Math.max(0, lo - 1);
  hi = Math.min(grid.length - 1, hi + 1);
  const lowest = lo === 0 ? 0 : grid[lo]!;
  const highest = hi === grid.length - 1 ? Infinity : grid[hi]!;
  if (flat) return { estimate: undefined, interval: [0, Infinity] };
  const best = ll.indexOf(Math.max(...ll));
  return { estimate: grid[best]!, interval: [lowest, highest] };
}

function klBernoulli(a: number, b: number): number {
  const term = (p: number, q: number) => (p === 0 ? 0 : p * Math.log(p / q));
  return term(a, b) + term(1 - a, 1 - b);
}

/**
 * Roughly how many more requests (both versions together) a decision needs, at the current
 * traffic split, event rate and estimate: the evidence still missing divided by the expected
 * gain per request. Undefined when no event has been seen (the rate, hence the gain, is unknown).
 */
export function ratioRequestsNeeded(
  state: RatioTestState,
  evidence: RatioEvidence,
  split: number,
  logRegressionTarget: number,
  logSafeTarget: number,
): number | undefined {
  const requests = state.canary.requests + state.primary.requests;
  const events = state.canary.events + state.primary.events;
  if (events === 0 || requests === 0 || !(split > 0 && split < 1)) return undefined;
  const eventRate = events / requests;
  const rho = evidence.estimate ?? 1;
  const theta = (x: number) => (x * split) / (x * split + 1 - split);
  const paths: number[] = [];
  // If the estimate holds, the regression evidence grows by KL(theta(rho) || theta(r)) per event.
  if (rho > state.allowedRatio)
    paths.push(
      Math.max(0, logRegressionTarget - evidence.logRegression) /
        klBernoulli(theta(rho), theta(state.allowedRatio)),
    );
  if (rho < state.regressionRatio)
    paths.push(
      Math.max(0, logSafeTarget - evidence.logSafe) /
        klBernoulli(theta(Math.max(rho, state.allowedRatio)), theta(state.regressionRatio)),
    );
  if (paths.length === 0) return undefined;
  return Math.ceil(Math.min(...paths) / eventRate);
}
