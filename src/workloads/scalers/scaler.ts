/**
 * The scaler port: the autoscaler named by `spec.autoscalerRef` scales the target (the canary);
 * Fledge gives the primary a copy, `<name>-primary`, owned by the Canary. One file per autoscaler
 * kind implements it (`hpa.ts`, `scaled-object.ts`), as Flagger's scaler reconcilers do;
 * `factory.ts` picks one.
 *
 * When the DeploymentController calls what:
 * - every tick, `reconcilePrimaryScaler`: creates the copy when it is missing, and applies
 *   `primaryScalerReplicas` to an existing one;
 * - Promoting, `promotePrimaryScaler`: the copy takes the target's autoscaler spec, with the new
 *   revision (Flagger: a change to the autoscaler is released, like the pod template, by a promotion);
 * - scaling the target to zero / up: `pauseTargetScaler` / `resumeTargetScaler`, and `minReplicas`
 *   for the count the target starts at.
 */
import type { ResolvedCanary } from '../../api/defaults.js';
import {
  describeKey,
  type Cluster,
  type KubeObject,
  type MergePatch,
  type ObjectKey,
} from '../../kube/cluster.js';
import { withCanaryOwner } from '../../kube/owner-references.js';
import { objectKey } from '../../kube/resources.js';
import { calculateMergePatch } from '../merge-patch.js';

/** What the DeploymentController asks of the autoscaler of one Canary. */
export interface ScalerReconciler {
  /**
   * Creates `<autoscalerRef.name>-primary` from the target's autoscaler when it is missing; on an
   * existing one, applies `primaryScalerReplicas` (and the Canary's owner reference) only.
   * @throws AutoscalerNotFoundError when the target's autoscaler does not exist
   */
  reconcilePrimaryScaler(canary: ResolvedCanary): Promise<void>;
  /** Brings the primary's autoscaler to the target's (with the overrides). Writes only a difference. */
  promotePrimaryScaler(canary: ResolvedCanary): Promise<void>;
  /** Keeps the target's autoscaler from scaling the target up while it is at zero. */
  pauseTargetScaler(canary: ResolvedCanary): Promise<void>;
  /** Lets the target's autoscaler scale the target again. Missing autoscaler: nothing to resume. */
  resumeTargetScaler(canary: ResolvedCanary): Promise<void>;
  /** Replicas the target starts at when scaled up from zero: its autoscaler's minimum, at least 1. */
  minReplicas(canary: ResolvedCanary): Promise<number>;
}

/** `spec.autoscalerRef` names an autoscaler that does not exist: nothing to copy for the primary. */
export class AutoscalerNotFoundError extends Error {
  override name = 'AutoscalerNotFoundError';
}

/**
 * `primaryScalerReplicas` as the kind's own field names (HPA: minReplicas, KEDA: minReplicaCount).
 * Empty without it.
 */
export function calculateReplicaOverrides(
  canary: ResolvedCanary,
  fields: { min: string; max: string },
): Record<string, number> {
  const r = canary.spec.autoscalerRef?.primaryScalerReplicas;
  return {
    ...(r?.minReplicas !== undefined ? { [fields.min]: r.minReplicas } : {}),
    ...(r?.maxReplicas !== undefined ? { [fields.max]: r.maxReplicas } : {}),
  };
}

/** An autoscaler's spec: what every kind has, as far as the shared code needs it. */
export interface ScalerObject extends KubeObject {
  spec: { scaleTargetRef: { name: string; [key: string]: unknown }; [key: string]: unknown };
}

/**
 * What the two kinds share: reading the target's autoscaler, creating and syncing the copy. A kind
 * supplies its API, the copy's spec and the replica overrides.
 */
export abstract class CopiedScaler<T extends ScalerObject> implements ScalerReconciler {
  constructor(protected readonly cluster: Cluster) {}

  /** apiVersion and kind of the autoscaler. */
  protected abstract readonly api: { apiVersion: string; kind: string };
  /** The spec of the primary's copy: the target's, pointed at the primary, with the overrides. */
  protected abstract calculatePrimarySpec(canary: ResolvedCanary, target: T): T['spec'];
  /** The spec fields `primaryScalerReplicas` sets (empty without it). */
  protected abstract calculateReplicaOverrides(canary: ResolvedCanary): Partial<T['spec']>;

  abstract pauseTargetScaler(canary: ResolvedCanary): Promise<void>;
  abstract resumeTargetScaler(canary: ResolvedCanary): Promise<void>;
  abstract minReplicas(canary: ResolvedCanary): Promise<number>;

  async reconcilePrimaryScaler(canary: ResolvedCanary): Promise<void> {
    // primaryScalerReplicas is the Canary's own setting for production, which no analysis tests:
    // it applies at once, while the rest of the copy waits for a promotion.
    await this.reconcileCopy(canary, (primary) => ({
      ...primary.spec,
      ...this.calculateReplicaOverrides(canary),
    }));
  }

  async promotePrimaryScaler(canary: ResolvedCanary): Promise<void> {
    await this.reconcileCopy(canary, (_primary, target) => this.calculatePrimarySpec(canary, target));
  }

  /**
   * Creates the copy when missing, else patches it to `desired`. The target is read every time
   * (from the cache): a deleted target autoscaler is reported before anything acts on it.
   */
  private async reconcileCopy(
    canary: ResolvedCanary,
    desired: (primary: T, target: T) => T['spec'],
  ): Promise<void> {
    const target = await this.getTarget(canary);
    const primary = await this.cluster.get<T>(this.primaryKey(canary));
    if (!primary) {
      await this.cluster.create<T>(this.calculateNewPrimary(canary, target));
      return;
    }
    await this.patchPrimary(canary, primary, desired(primary, target));
  }

  protected targetKey(canary: ResolvedCanary): ObjectKey {
    return objectKey(this.api, canary.namespace, this.refName(canary));
  }

  protected primaryKey(canary: ResolvedCanary): ObjectKey {
    return objectKey(this.api, canary.namespace, `${this.refName(canary)}-primary`);
  }

  /** The target's autoscaler. @throws AutoscalerNotFoundError */
  protected async getTarget(canary: ResolvedCanary): Promise<T> {
    const target = await this.cluster.get<T>(this.targetKey(canary));
    if (!target) {
      throw new AutoscalerNotFoundError(
        `${describeKey(this.targetKey(canary))} not found: spec.autoscalerRef of Canary ${canary.namespace}/${canary.name} names an autoscaler that does not exist`,
      );
    }
    return target;
  }

  private refName(canary: ResolvedCanary): string {
    const ref = canary.spec.autoscalerRef;
    if (!ref) throw new TypeError(`Canary ${canary.namespace}/${canary.name} has no spec.autoscalerRef`);
    return ref.name;
  }

  /**
   * The copy carries no label or annotation of the target's: a GitOps tool's tracking label would
   * make it prune the copy, and KEDA's pause annotation would pause the primary.
   */
  private calculateNewPrimary(canary: ResolvedCanary, target: T): T {
    return {
      apiVersion: this.api.apiVersion,
      kind: this.api.kind,
      metadata: {
        name: this.primaryKey(canary).name,
        namespace: canary.namespace,
        ownerReferences: withCanaryOwner(undefined, canary),
      },
      spec: this.calculatePrimarySpec(canary, target),
    } as T;
  }

  private async patchPrimary(canary: ResolvedCanary, primary: T, spec: T['spec']): Promise<void> {
    const owners = withCanaryOwner(primary.metadata.ownerReferences, canary);
    const specPatch = calculateMergePatch(primary.spec, spec) as MergePatch | undefined;
    const ownersChanged = calculateMergePatch(primary.metadata.ownerReferences ?? [], owners) !== undefined;
    if (!specPatch && !ownersChanged) return;
    await this.cluster.patch(
      this.primaryKey(canary),
      {
        ...(specPatch ? { spec: specPatch } : {}),
        ...(ownersChanged ? { metadata: { ownerReferences: owners } } : {}),
      },
      { resourceVersion: primary.metadata.resourceVersion },
    );
  }
}
