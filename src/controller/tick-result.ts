/** How a tick ended, and what it committed: read by the watcher's observers (metrics). */
import type { Strategy } from '../api/defaults.js';
import type { CanaryStatus, CheckResult, Phase } from '../api/schema/canary.js';
import type { Routes } from '../routers/router.js';

/** How a tick ended. */
export interface TickResult {
  /** The phase after the tick; undefined when the Canary is gone or invalid. */
  phase: CanaryStatus['phase'];
  /** The canary weight after the tick. */
  canaryWeight?: number | undefined;
  /** The status write lost a race: the caller should tick again soon. */
  conflict?: boolean;
  /** Why the tick could not complete (also recorded as a condition or an Event). */
  error?: Error;
  /**
   * What the tick decided and committed, for the controller's metrics. Set once the status is
   * written, so also when a later step of the tick (routing, scaling) failed; absent when the tick
   * stopped before deciding (invalid spec, missing target, suspended, deletion).
   */
  report?: TickReport;
}

/** What one tick committed: the input of the per-canary metrics (`observability/canary-metrics.ts`). */
export interface TickReport {
  /** The target Deployment's name: Flagger labels its per-canary series with it, not the Canary's. */
  target: string;
  strategy: Strategy;
  skipAnalysis: boolean;
  /** The phase the tick started from; a transition is `phaseBefore !== phase`. */
  phaseBefore: Phase | undefined;
  phase: Phase | undefined;
  /** The split the tick applies (derived from the committed status, as `act` writes it). */
  routes: Routes;
  /** This tick's checks (pre-rollout hooks, or rollout hooks and metrics); undefined when none ran. */
  checks?: CheckResult[] | undefined;
}
