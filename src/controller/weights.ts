/**
 * Weight maths as plain functions. The routes and the canary's scale are derived from the
 * persisted status on every tick (level-triggered), so a write that failed, or a GitOps tool that
 * reverted the weights, is corrected by the next tick.
 */
import type { ResolvedCanary } from '../api/defaults.js';
import type { CanaryStatus, Phase } from '../api/schema/canary.js';
import { providerTraffic } from '../api/provider-traffic.js';
import type { Routes, SessionCookies } from '../routers/router.js';

/** The weight after `current` in the canary schedule; `current` itself when at or past the end. */
export function nextWeight(steps: readonly number[], current: number): number {
  return steps.find((w) => w > current) ?? current;
}

/** Canary weight while promoting with `stepWeightPromotion`: the primary gains `step` per tick. */
export function nextPromotionWeight(current: number, step: number | undefined): number {
  if (!step) return 0;
  return Math.max(0, current - step);
}

/** Phases in which the canary (target) Deployment runs pods. */
const CANARY_RUNNING: ReadonlySet<Phase> = new Set(['Progressing', 'WaitingPromotion', 'Promoting']);

/**
 * Whether a promotion failed and the canary took all the traffic: `Failed` with a canary weight.
 * A rollback always leaves weight 0, so the weight alone tells the two kinds of `Failed` apart.
 */
export function promotionFailed(status: CanaryStatus): boolean {
  return status.phase === 'Failed' && (status.canaryWeight ?? 0) > 0;
}

/** Whether the target Deployment should be scaled up in this status (otherwise it is scaled to zero). */
export function canaryShouldRun(status: CanaryStatus): boolean {
  const phase = status.phase;
  return (phase !== undefined && CANARY_RUNNING.has(phase)) || promotionFailed(status);
}

/**
 * The split the mesh must carry for a status: the single source of truth for routing.
 *
 * Mirroring (`analysis.mirror`) is on while an analysis runs at weight 0 after its first interval:
 * blue/green mirrors for all its iterations, the canary strategy for the one interval before its
 * first step (it counts that interval in `iterations`); neither mirrors once users get the canary.
 *
 * A provider that cannot split (`kubernetes`) always carries all traffic on the primary, and one
 * that cannot mirror (`nginx`) never mirrors: asking for more would be "restored" on every tick.
 */
export function routesFor(canary: ResolvedCanary, status: CanaryStatus): Routes {
  const phase = status.phase;
  const traffic = providerTraffic(canary.provider);
  const weight = traffic.splits && canaryShouldRun(status) ? (status.canaryWeight ?? 0) : 0;
  const analysing = phase === 'Progressing' || phase === 'WaitingPromotion';
  const mirrored =
    traffic.mirrors &&
    analysing &&
    canary.analysis.strategy !== 'ab-testing' &&
    canary.analysis.mirror &&
    weight === 0 &&
    (status.iterations ?? 0) > 0;
  return {
    primary: 100 - weight,
    canary: weight,
    mirrored,
    ...(canary.analysis.sessionAffinity ? { cookies: sessionCookiesOf(status) } : {}),
  };
}

/** The session affinity cookies a status holds (`session-affinity.ts` keeps them). */
export function sessionCookiesOf(status: CanaryStatus): SessionCookies {
  return {
    ...(status.sessionAffinityCookie ? { canary: status.sessionAffinityCookie } : {}),
    ...(status.previousSessionAffinityCookie ? { previous: status.previousSessionAffinityCookie } : {}),
    ...(status.primarySessionAffinityCookie ? { primary: status.primarySessionAffinityCookie } : {}),
  };
}

/** True when two splits are the same (weights and mirroring; the cookies follow the status). */
export function sameRoutes(a: Routes, b: Routes): boolean {
  return a.primary === b.primary && a.canary === b.canary && a.mirrored === b.mirrored;
}
