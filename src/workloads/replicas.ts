/**
 * Replica counts of the two Deployments, as plain functions. Without an autoscaler the target's
 * `replicas` is the user's count (from Git): the canary keeps it while it runs and the primary takes
 * it on promotion. With one, the autoscalers own both counts and Fledge writes neither, except to
 * scale the target up from zero.
 */
import type { Deployment } from '../kube/resources.js';

/** The primary's replicas, as the canary's scale-up target without an autoscaler: at least one. */
export function primaryReplicas(primary: Deployment): number {
  return Math.max(primary.spec.replicas ?? 1, 1);
}

/**
 * The primary's replicas after a promotion: the target's when no autoscaler owns them and the
 * target runs (so `replicas: 3 -> 10` in Git reaches production), otherwise the primary's own.
 */
export function calculatePromotedReplicas(
  target: Deployment,
  primary: Deployment,
  autoscaled: boolean,
): number {
  const targetReplicas = target.spec.replicas ?? 1;
  if (!autoscaled && targetReplicas > 0) return targetReplicas;
  return primary.spec.replicas ?? 1;
}
