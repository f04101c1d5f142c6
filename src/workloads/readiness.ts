/**
 * Whether a Deployment's rollout is done, decided from its status alone (no I/O, no clock of its
 * own), with the rules Flagger uses:
 * - the controller has seen the latest spec (generation <= observedGeneration);
 * - every replica runs the new template (updatedReplicas == spec.replicas) and no old ones remain
 *   (status.replicas == updatedReplicas);
 * - enough of them are available (availableReplicas >= updatedReplicas x threshold%).
 * Waiting cannot help (not retriable) once the `Progressing` condition says
 * `ProgressDeadlineExceeded`, or once `Available` has said `MinimumReplicasUnavailable` for longer
 * than the Canary's progress deadline.
 */
import { describeKey, keyOf } from '../kube/cluster.js';
import type { Deployment, DeploymentCondition } from '../kube/resources.js';
import type { Readiness } from './workload.js';

/** What readiness is judged against. */
export interface ReadinessOptions {
  /** Percent of updated replicas that must be available (`primaryReadyThreshold` / `canaryReadyThreshold`). */
  thresholdPercent: number;
  /** The Canary's progress deadline. */
  progressDeadlineMs: number;
  now: Date;
}

function condition(d: Deployment, type: string): DeploymentCondition | undefined {
  return d.status?.conditions?.find((c) => c.type === type);
}

/** Whether `Available` has been False for lack of replicas for longer than the deadline. */
function unavailableTooLong(d: Deployment, options: ReadinessOptions): boolean {
  const available = condition(d, 'Available');
  if (available?.status !== 'False' || available.reason !== 'MinimumReplicasUnavailable') return false;
  const since = Date.parse(available.lastUpdateTime ?? available.lastTransitionTime ?? '');
  return Number.isFinite(since) && options.now.getTime() - since > options.progressDeadlineMs;
}

/** Readiness of a Deployment's rollout. */
export function calculateDeploymentReadiness(d: Deployment, options: ReadinessOptions): Readiness {
  const what = describeKey(keyOf(d));
  const waiting = (detail: string): Readiness => {
    if (unavailableTooLong(d, options)) {
      return {
        ready: false,
        retriable: false,
        message: `${what} has had too few available replicas for longer than the progress deadline (${options.progressDeadlineMs / 1000}s): ${detail}`,
      };
    }
    return { ready: false, retriable: true, message: `waiting for rollout of ${what}: ${detail}` };
  };

  const generation = d.metadata.generation ?? 0;
  const observed = d.status?.observedGeneration ?? 0;
  // Conditions describe the observed generation: before the controller catches up they are stale.
  if (generation > observed)
    return waiting(`observed generation ${observed} is behind generation ${generation}`);

  const progressing = condition(d, 'Progressing');
  if (progressing?.reason === 'ProgressDeadlineExceeded') {
    return {
      ready: false,
      retriable: false,
      message: `${what} exceeded its progress deadline${progressing.message ? `: ${progressing.message}` : ''}`,
    };
  }

  const wanted = d.spec.replicas ?? 1;
  const total = d.status?.replicas ?? 0;
  const updated = d.status?.updatedReplicas ?? 0;
  const available = d.status?.availableReplicas ?? 0;
  if (updated < wanted) return waiting(`${updated} of ${wanted} replicas are updated`);
  if (total > updated) return waiting(`${total - updated} old replicas are pending termination`);
  const threshold = options.thresholdPercent;
  // available >= updated x threshold%, in integers so that 99.99...% rounding cannot pass.
  if (available * 100 < updated * threshold) {
    const needed = Math.ceil((updated * threshold) / 100);
    const suffix = threshold < 100 ? ` (${needed} needed at ready threshold ${threshold}%)` : '';
    return waiting(`${available} of ${updated} updated replicas are available${suffix}`);
  }
  return {
    ready: true,
    retriable: true,
    message: `${what} is ready: ${available} of ${updated} updated replicas are available`,
  };
}

/** The canary while the target is scaled to zero: not ready, and the reconciler knows why. */
export function scaledToZeroReadiness(d: Deployment): Readiness {
  return { ready: false, retriable: true, message: `${describeKey(keyOf(d))} is scaled to zero` };
}
