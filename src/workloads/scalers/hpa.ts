/**
 * `autoscalerRef` kind HorizontalPodAutoscaler (`autoscaling/v2`), as Flagger's HPA reconciler:
 * the primary gets `<name>-primary`, a copy of the target's HPA scaling the primary Deployment,
 * with `primaryScalerReplicas` as its minReplicas/maxReplicas; the target's own HPA keeps scaling
 * the target (the canary) during an analysis.
 *
 * Pausing needs no write: the HPA controller does not scale a target whose replicas are zero
 * ("scaling is disabled since the replica count of the target is zero"), so scaling the target
 * to zero pauses its HPA and scaling it up resumes it.
 */
import type { ResolvedCanary } from '../../api/defaults.js';
import { API, type HorizontalPodAutoscaler } from '../../kube/resources.js';
import { CopiedScaler, calculateReplicaOverrides } from './scaler.js';

/** The primary's HPA spec: the target's, scaling `primaryWorkload`, with the replica overrides. */
export function calculatePrimaryHpaSpec(
  canary: ResolvedCanary,
  target: HorizontalPodAutoscaler,
): HorizontalPodAutoscaler['spec'] {
  return {
    ...structuredClone(target.spec),
    scaleTargetRef: { ...target.spec.scaleTargetRef, name: canary.names.primaryWorkload },
    ...calculateHpaReplicaOverrides(canary),
  };
}

/** `primaryScalerReplicas` as HPA fields. */
export function calculateHpaReplicaOverrides(
  canary: ResolvedCanary,
): Partial<HorizontalPodAutoscaler['spec']> {
  return calculateReplicaOverrides(canary, { min: 'minReplicas', max: 'maxReplicas' });
}

/** The scaler reconciler for HorizontalPodAutoscalers. */
export class HpaScaler extends CopiedScaler<HorizontalPodAutoscaler> {
  protected readonly api = API.horizontalPodAutoscaler;

  protected calculatePrimarySpec(
    canary: ResolvedCanary,
    target: HorizontalPodAutoscaler,
  ): HorizontalPodAutoscaler['spec'] {
    return calculatePrimaryHpaSpec(canary, target);
  }

  protected calculateReplicaOverrides(canary: ResolvedCanary): Partial<HorizontalPodAutoscaler['spec']> {
    return calculateHpaReplicaOverrides(canary);
  }

  async pauseTargetScaler(): Promise<void> {}

  async resumeTargetScaler(): Promise<void> {}

  /** The target HPA's minReplicas (default 1), as Flagger scales the canary up from zero. */
  async minReplicas(canary: ResolvedCanary): Promise<number> {
    const target = await this.getTarget(canary);
    return Math.max(target.spec.minReplicas ?? 1, 1);
  }
}
