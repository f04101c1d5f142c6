/**
 * What each class of users saw: per (user class, destination workload), the requests answered, by
 * status, and their latency; plus the requests no route took and the copies mirrored. For
 * assertions such as "premium -> podinfo: 120, other -> podinfo: 0".
 */

/** The class of requests sent without any of the header mix's headers. */
export const OTHER_CLASS = 'other';

/** Answers one workload gave one class of users. */
export interface WorkloadTraffic {
  /** Requests answered (or failed) by this workload. */
  requests: number;
  /** Answers by HTTP status (connection failures count as 503, timeouts as 504, as Envoy reports them). */
  byStatus: Record<string, number>;
  /** Answers with a 5xx status. */
  errors: number;
  latencyMsSum: number;
  latencyMsMax: number;
}

/** Everything one class of users sent. */
export interface ClassTraffic {
  /** Requests sent, whatever became of them (mirrored copies not included). */
  requests: number;
  /** Requests no route took: no VirtualService yet, no matching route, or a route without destination. */
  unrouted: number;
  /** Requests routed to a destination the harness has no version server for. */
  unmapped: number;
  byWorkload: Record<string, WorkloadTraffic>;
  /** Mirrored copies answered, by workload (their answers never reach the user). */
  mirroredTo: Record<string, number>;
}

/** Traffic by user class. */
export type TrafficSummary = Record<string, ClassTraffic>;

const emptyClass = (): ClassTraffic => ({
  requests: 0,
  unrouted: 0,
  unmapped: 0,
  byWorkload: {},
  mirroredTo: {},
});

/** Counts what each class of users saw. */
export class TrafficRecord {
  private classes: Map<string, ClassTraffic>;

  constructor(private readonly classNames: readonly string[]) {
    this.classes = this.fresh();
  }

  private fresh(): Map<string, ClassTraffic> {
    return new Map(this.classNames.map((name) => [name, emptyClass()]));
  }

  private of(userClass: string): ClassTraffic {
    let c = this.classes.get(userClass);
    if (!c) {
      c = emptyClass();
      this.classes.set(userClass, c);
    }
    return c;
  }

  /** A request answered by `workload` (or failed on the way to it). */
  answered(userClass: string, workload: string, status: number, latencyMs: number): void {
    const c = this.of(userClass);
    c.requests += 1;
    const w = (c.byWorkload[workload] ??= {
      requests: 0,
      byStatus: {},
      errors: 0,
      latencyMsSum: 0,
      latencyMsMax: 0,
    });
    w.requests += 1;
    w.byStatus[status] = (w.byStatus[status] ?? 0) + 1;
    if (status >= 500) w.errors += 1;
    w.latencyMsSum += latencyMs;
    w.latencyMsMax = Math.max(w.latencyMsMax, latencyMs);
  }

  /** A request no route took. */
  unrouted(userClass: string): void {
    const c = this.of(userClass);
    c.requests += 1;
    c.unrouted += 1;
  }

  /** A request routed to a destination without a version server. */
  unmapped(userClass: string): void {
    const c = this.of(userClass);
    c.requests += 1;
    c.unmapped += 1;
  }

  /** A mirrored copy answered by `workload`. */
  mirrored(userClass: string, workload: string): void {
    const c = this.of(userClass);
    c.mirroredTo[workload] = (c.mirroredTo[workload] ?? 0) + 1;
  }

  /** A copy of the counts so far. */
  summary(): TrafficSummary {
    return JSON.parse(JSON.stringify(Object.fromEntries(this.classes))) as TrafficSummary;
  }

  /** Requests answered per user class and workload, e.g. `{ premium: { podinfo: 120 }, other: {...} }`. */
  seen(): Record<string, Record<string, number>> {
    const out: Record<string, Record<string, number>> = {};
    for (const [name, c] of this.classes) {
      out[name] = Object.fromEntries(Object.entries(c.byWorkload).map(([w, t]) => [w, t.requests]));
    }
    return out;
  }

  /** Requests of `userClass` answered by `workload` (0 when none). */
  count(userClass: string, workload: string): number {
    return this.classes.get(userClass)?.byWorkload[workload]?.requests ?? 0;
  }

  /** Starts counting afresh; returns the counts until now. */
  reset(): TrafficSummary {
    const before = this.summary();
    this.classes = this.fresh();
    return before;
  }
}
