/**
 * Picks the scaler reconciler for a Canary's `autoscalerRef`. An unknown kind is a configuration
 * error, never a silent fallback (validation already refuses one, naming the field).
 */
import type { ResolvedCanary } from '../../api/defaults.js';
import type { Cluster } from '../../kube/cluster.js';
import { InvalidTargetError } from '../workload.js';
import { HpaScaler } from './hpa.js';
import { ScaledObjectScaler } from './scaled-object.js';
import type { ScalerReconciler } from './scaler.js';

/**
 * The reconciler for the Canary's autoscaler; undefined when it has no `autoscalerRef`.
 * @throws InvalidTargetError for a kind Fledge has no reconciler for
 */
export function scalerFor(canary: ResolvedCanary, cluster: Cluster): ScalerReconciler | undefined {
  const kind = canary.spec.autoscalerRef?.kind;
  switch (kind) {
    case undefined:
      return undefined;
    case 'HorizontalPodAutoscaler':
      return new HpaScaler(cluster);
    case 'ScaledObject':
      return new ScaledObjectScaler(cluster);
    default:
      throw new InvalidTargetError(
        `Canary ${canary.namespace}/${canary.name}: spec.autoscalerRef.kind ${String(kind)} is not supported (supported: HorizontalPodAutoscaler, ScaledObject)`,
      );
  }
}
