/**
 * What the judge reads each interval: counts per version over exactly the interval served at the
 * current weight (requests, 5xx, cumulative latency buckets), and the checks that reject bad ones
 * with the field and the reason. A percentage or a p99 cannot be judged: they hide the split of
 * traffic and how many requests were slow.
 */

/** Bad input to the judge; `field` is the path of the offending value (`canary.errors`). */
export class JudgeInputError extends Error {
  override readonly name = 'JudgeInputError';
  constructor(
    readonly field: string,
    readonly reason: string,
  ) {
    super(`${field}: ${reason}`);
  }
}

/** One cumulative histogram bucket, as Prometheus counts it: requests that took at most `le` ms. */
export interface LatencyBucket {
  /** Upper bound, ms; `Infinity` for the `+Inf` bucket. */
  le: number;
  count: number;
}

/** One version's counts over one interval. */
export interface VersionCounts {
  requests: number;
  /** Responses counted as failures (5xx). */
  errors: number;
  /** Cumulative buckets in ascending `le`; absent when latency is not judged. */
  buckets?: LatencyBucket[] | undefined;
}

/** One interval; a missing version (no series for it) gives no comparison for that interval. */
export interface IntervalObservation {
  canary?: VersionCounts | undefined;
  primary?: VersionCounts | undefined;
}

function checkCount(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0)
    throw new JudgeInputError(field, `must be a whole number >= 0, got ${describe(value)}`);
  return value;
}

function describe(value: unknown): string {
  if (typeof value === 'number') return String(value);
  if (value === undefined) return 'nothing';
  return JSON.stringify(value);
}

function checkBuckets(value: unknown, field: string): LatencyBucket[] {
  if (!Array.isArray(value) || value.length === 0)
    throw new JudgeInputError(field, `must be a non-empty list of {le, count}, got ${describe(value)}`);
  const out: LatencyBucket[] = [];
  value.forEach((raw: unknown, i) => {
    const at = `${field}[${i}]`;
    if (typeof raw !== 'object' || raw === null)
      throw new JudgeInputError(at, 'must be an object {le, count}');
    const { le: rawLe, count } = raw as Record<string, unknown>;
    const le = rawLe === '+Inf' || rawLe === Infinity ? Infinity : rawLe;
    if (typeof le !== 'number' || Number.isNaN(le) || le < 0)
      throw new JudgeInputError(`${at}.le`, `must be a bound in ms >= 0 or "+Inf", got ${describe(rawLe)}`);
    const previous = out[i - 1];
    if (previous && le <= previous.le)
      throw new JudgeInputError(
        `${at}.le`,
        `must be greater than the previous bound (${le} <= ${previous.le})`,
      );
    const n = checkCount(count, `${at}.count`);
    if (previous && n < previous.count)
      throw new JudgeInputError(
        `${at}.count`,
        `buckets are cumulative: must not be less than the previous bucket's (${n} < ${previous.count})`,
      );
    out.push({ le, count: n });
  });
  return out;
}

/** Checks one version's counts (also those a caller built in code: NaN and -1 are caught). */
export function checkVersionCounts(value: unknown, field: string): VersionCounts {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new JudgeInputError(
      field,
      `must be an object {requests, errors, buckets?}, got ${describe(value)}`,
    );
  const v = value as Record<string, unknown>;
  const requests = checkCount(v.requests, `${field}.requests`);
  const errors = checkCount(v.errors, `${field}.errors`);
  if (errors > requests)
    throw new JudgeInputError(`${field}.errors`, `${errors} is more than ${field}.requests (${requests})`);
  const buckets = v.buckets === undefined ? undefined : checkBuckets(v.buckets, `${field}.buckets`);
  return { requests, errors, buckets };
}

/** Checks an interval; `prefix` names where it came from in messages (`''` for the top level). */
export function checkObservation(value: unknown, prefix = ''): IntervalObservation {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new JudgeInputError(prefix || 'observation', 'must be an object {canary, primary}');
  const v = value as Record<string, unknown>;
  const at = (name: string) => (prefix ? `${prefix}.${name}` : name);
  return {
    canary: v.canary === undefined ? undefined : checkVersionCounts(v.canary, at('canary')),
    primary: v.primary === undefined ? undefined : checkVersionCounts(v.primary, at('primary')),
  };
}

/** Requests in a version's histogram and how many of them took longer than `edgeMs`. */
export function slowerThan(
  counts: VersionCounts,
  edgeMs: number,
  field: string,
): { requests: number; slow: number } | undefined {
  const buckets = counts.buckets;
  if (!buckets) return undefined;
  const edge = buckets.find((b) => b.le === edgeMs);
  if (!edge)
    throw new JudgeInputError(
      `${field}.buckets`,
      `no bucket with le ${edgeMs} (settings.latency.edgeMs); bounds: ${buckets.map((b) => b.le).join(', ')}`,
    );
  // The +Inf bucket is the histogram's own total; without it, the request counter stands in.
  const last = buckets[buckets.length - 1]!;
  const requests = last.le === Infinity ? last.count : Math.max(counts.requests, last.count);
  return { requests, slow: requests - edge.count };
}
