/**
 * The canary's own event rate against a floor below which nobody cares (a version with no 5xx at
 * all gives the ratio test nothing to work on, and must still be able to step). Pure.
 */

/** Alternatives mixed, as fractions of the floor: an e-value needs no exact guess of the rate. */
const FRACTIONS = [1 / 20, 1 / 4, 1 / 2];

/**
 * Log e-value against "the canary's rate is at least `floor`": a mixture, with equal weights, of
 * Bernoulli likelihood ratios of rates below the floor against the floor itself. The floor is the
 * worst case of that null (monotone likelihood ratio), and the cumulative counts are a sufficient
 * statistic, so the value is the same as multiplying interval by interval. 0 when `floor` is 0.
 */
export function logBelowFloor(requests: number, events: number, floor: number): number {
  if (floor <= 0 || requests === 0) return 0;
  const terms = FRACTIONS.map((f) => {
    const p = f * floor;
    return events * Math.log(p / floor) + (requests - events) * (Math.log1p(-p) - Math.log1p(-floor));
  });
  const max = Math.max(...terms);
  return max + Math.log(terms.reduce((sum, t) => sum + Math.exp(t - max), 0) / FRACTIONS.length);
}

/** Canary requests still needed, with no event among them, for {@link logBelowFloor} to reach `target`. */
export function floorRequestsNeeded(current: number, target: number, floor: number): number | undefined {
  if (floor <= 0) return undefined;
  // With no events the smallest alternative gains the most: -log(1 - floor) + log(1 - p) per request.
  const gain = Math.log1p(-FRACTIONS[0]! * floor) - Math.log1p(-floor);
  // The mixture pays log(3) for not knowing which alternative is right.
  return Math.ceil(Math.max(0, target - current + Math.log(FRACTIONS.length)) / gain);
}
