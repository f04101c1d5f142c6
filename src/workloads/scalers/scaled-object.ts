/**
 * `autoscalerRef` kind ScaledObject (KEDA, `keda.sh/v1alpha1`), as Flagger's ScaledObject
 * reconciler: the primary gets `<name>-primary`, a copy of the target's ScaledObject scaling the
 * primary Deployment, each trigger's `query` replaced by its entry in `primaryScalerQueries`
 * (by trigger name) or, without that field, rewritten to name the primary; `primaryScalerReplicas`
 * sets minReplicaCount/maxReplicaCount.
 *
 * KEDA scales from zero on activity, so scaling the target to zero is not enough to keep it
 * there: the target's ScaledObject is paused at zero replicas with KEDA's annotation while no
 * analysis runs, and the annotation is removed before the target is scaled up.
 */
import type { ResolvedCanary } from '../../api/defaults.js';
import { API, type ScaledObject, type ScaleTrigger } from '../../kube/resources.js';
import { CopiedScaler, calculateReplicaOverrides } from './scaler.js';

/** KEDA's annotation holding a ScaledObject's target at a fixed replica count. */
export const PAUSED_REPLICAS_ANNOTATION = 'autoscaling.keda.sh/paused-replicas';

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * A trigger query rewritten for the primary: `<target>` and `<target>-canary`, where they start a
 * name, become `<target>-primary` (`deployment="podinfo"`, `pod=~"podinfo-canary-.*"`). A name that
 * already ends in `-primary` is left alone, and `mypodinfo` is not touched.
 */
export function rewriteQueryForPrimary(query: string, target: string): string {
  const name = new RegExp(`(?<![\\w-])${escapeRegExp(target)}(?:-canary|-primary)?(?![\\w])`, 'g');
  return query.replace(name, `${target}-primary`);
}

function primaryTrigger(canary: ResolvedCanary, trigger: ScaleTrigger): ScaleTrigger {
  const queries = canary.spec.autoscalerRef?.primaryScalerQueries;
  const query = trigger.metadata?.query;
  if (query === undefined) return trigger;
  // With primaryScalerQueries, only the triggers it names change (Flagger's rule): a trigger it
  // does not name keeps the target's query.
  if (queries) {
    const replacement = trigger.name !== undefined ? queries[trigger.name] : undefined;
    return replacement === undefined
      ? trigger
      : { ...trigger, metadata: { ...trigger.metadata, query: replacement } };
  }
  return {
    ...trigger,
    metadata: { ...trigger.metadata, query: rewriteQueryForPrimary(query, canary.names.target) },
  };
}

/** The primary's ScaledObject spec: the target's, scaling `primaryWorkload`, queries and replicas replaced. */
export function calculatePrimaryScaledObjectSpec(
  canary: ResolvedCanary,
  target: ScaledObject,
): ScaledObject['spec'] {
  const spec = structuredClone(target.spec);
  const hpaConfig = spec.advanced?.horizontalPodAutoscalerConfig;
  // Two ScaledObjects cannot share the HPA KEDA creates for them: a named one gets -primary too.
  const advanced =
    spec.advanced && hpaConfig?.name
      ? {
          ...spec.advanced,
          horizontalPodAutoscalerConfig: { ...hpaConfig, name: `${hpaConfig.name}-primary` },
        }
      : spec.advanced;
  return {
    ...spec,
    scaleTargetRef: { ...spec.scaleTargetRef, name: canary.names.primaryWorkload },
    triggers: (spec.triggers ?? []).map((t) => primaryTrigger(canary, t)),
    ...(advanced !== undefined ? { advanced } : {}),
    ...calculateScaledObjectReplicaOverrides(canary),
  };
}

/** `primaryScalerReplicas` as ScaledObject fields. */
export function calculateScaledObjectReplicaOverrides(canary: ResolvedCanary): Partial<ScaledObject['spec']> {
  return calculateReplicaOverrides(canary, { min: 'minReplicaCount', max: 'maxReplicaCount' });
}

/** The scaler reconciler for KEDA ScaledObjects. */
export class ScaledObjectScaler extends CopiedScaler<ScaledObject> {
  protected readonly api = API.scaledObject;

  protected calculatePrimarySpec(canary: ResolvedCanary, target: ScaledObject): ScaledObject['spec'] {
    return calculatePrimaryScaledObjectSpec(canary, target);
  }

  protected calculateReplicaOverrides(canary: ResolvedCanary): Partial<ScaledObject['spec']> {
    return calculateScaledObjectReplicaOverrides(canary);
  }

  /**
   * Pauses the target's ScaledObject at zero replicas (KEDA's annotation), once. A missing one has
   * nothing to pause (`reconcilePrimaryScaler` reports it), and scaling to zero must go on.
   */
  async pauseTargetScaler(canary: ResolvedCanary): Promise<void> {
    const target = await this.cluster.get<ScaledObject>(this.targetKey(canary));
    if (!target || target.metadata.annotations?.[PAUSED_REPLICAS_ANNOTATION] === '0') return;
    await this.cluster.patch(
      this.targetKey(canary),
      { metadata: { annotations: { [PAUSED_REPLICAS_ANNOTATION]: '0' } } },
      { resourceVersion: target.metadata.resourceVersion },
    );
  }

  /** Removes the pause annotation, if present. A missing ScaledObject has nothing to resume. */
  async resumeTargetScaler(canary: ResolvedCanary): Promise<void> {
    const target = await this.cluster.get<ScaledObject>(this.targetKey(canary));
    if (target?.metadata.annotations?.[PAUSED_REPLICAS_ANNOTATION] === undefined) return;
    await this.cluster.patch(
      this.targetKey(canary),
      { metadata: { annotations: { [PAUSED_REPLICAS_ANNOTATION]: null } } },
      { resourceVersion: target.metadata.resourceVersion },
    );
  }

  /** The target ScaledObject's minReplicaCount, at least 1 (KEDA's default minimum is 0). */
  async minReplicas(canary: ResolvedCanary): Promise<number> {
    const target = await this.getTarget(canary);
    return Math.max(target.spec.minReplicaCount ?? 1, 1);
  }
}
