/** Tick lateness observations kept between two reads of `Scheduler.metrics()`. */

/** At most this many lateness observations are kept between two reads of `Scheduler.metrics()`. */
export const MAX_LATENESS_OBSERVATIONS = 1_000;

/** Collects lateness observations between reads, keeping the newest {@link MAX_LATENESS_OBSERVATIONS}. */
export class LatenessRecorder {
  private observations: number[] = [];

  /** Records that a tick planned for `plannedAtMs` started at `startedAtMs` (never negative). */
  observe(plannedAtMs: number, startedAtMs: number): void {
    if (!Number.isFinite(plannedAtMs) || !Number.isFinite(startedAtMs)) return;
    this.observations.push(Math.max(0, startedAtMs - plannedAtMs));
    if (this.observations.length > MAX_LATENESS_OBSERVATIONS) this.observations.shift();
  }

  /** Returns the observations since the last drain and forgets them. */
  drain(): number[] {
    const out = this.observations;
    this.observations = [];
    return out;
  }
}
