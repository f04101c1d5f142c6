/**
 * The workload port: primary/canary Deployments and the services in front of them, as the
 * reconciler sees them. `deployment-controller.ts` implements it for Deployment targets.
 */
import type { ResolvedCanary } from '../api/defaults.js';
import type { TickReads } from '../kube/tick-reads.js';

/** Whether a workload can take traffic, and if not whether waiting can help. */
export interface Readiness {
  ready: boolean;
  /** False when waiting cannot help (the progress deadline was exceeded): roll back. */
  retriable: boolean;
  message: string;
}

/** What one tick learns about the workloads. */
export interface WorkloadObservation {
  /** Revision of the target: a hash of its pod template and the checksums of its tracked configs. */
  revision: string;
  /**
   * The revision the primary was last promoted to (recorded on the primary by `promote`), or
   * undefined when unknown. Promotion is complete when it equals the analysed revision and the
   * primary is ready. Computed like {@link revision} (same template and config checksums, at the
   * time of the copy), so the two compare; the state machine records it as `lastPromotedSpec`.
   */
  primaryRevision: string | undefined;
  /** `configmap/NAME` or `secret/NAME` to checksum, for everything the target's pod spec references. */
  trackedConfigs: Record<string, string>;
  /** Replicas the target (canary) Deployment asks for now. */
  canaryReplicas: number;
  primary: Readiness;
  canary: Readiness;
  /** Labels selecting each version's pods (for subset routing). */
  primaryLabels: Record<string, string>;
  canaryLabels: Record<string, string>;
}

export interface WorkloadController {
  /**
   * Ensures `<target>-primary` and the services `<svc>`, `<svc>-primary`, `<svc>-canary` exist and
   * match the spec. On first initialisation the primary gets the target's template (and `-primary`
   * copies of its configs). Writes nothing when everything already matches.
   * Throws {@link TargetNotFoundError} when the target is missing.
   *
   * `reads` (in `observe` too): the objects earlier steps of the same tick read, which may be taken
   * instead of reading them again (`kube/tick-reads.ts`); a write forgets the object written there.
   */
  reconcile(canary: ResolvedCanary, reads?: TickReads): Promise<void>;
  /** Reads revision, configs and readiness of both versions. */
  observe(canary: ResolvedCanary, reads?: TickReads): Promise<WorkloadObservation>;
  /**
   * Copies the target's pod template (and config copies) to the primary. Writes nothing when the
   * primary already has them.
   * @param revision the analysed revision: when given and the target has moved on since, nothing is
   *   copied and a ConflictError is thrown, so unanalysed code never reaches the primary
   */
  promote(canary: ResolvedCanary, revision?: string): Promise<void>;
  /**
   * Scales the target (canary) up for analysis when it is at zero: to its autoscaler's minimum, or
   * to the primary's replica count, at least 1; resumes its autoscaler. A running target's replicas
   * are left as they are (its autoscaler's, or the user's).
   */
  scaleCanaryUp(canary: ResolvedCanary): Promise<void>;
  /** Pauses the target's autoscaler where it would scale from zero (KEDA) and scales the target to zero. */
  scaleCanaryToZero(canary: ResolvedCanary): Promise<void>;
  /**
   * `revertOnDeletion`: resumes the target's autoscaler, scales the target back up and points the
   * apex service at it.
   */
  finalize(canary: ResolvedCanary): Promise<void>;
}

/** The Canary's `targetRef` names a workload that does not exist. */
export class TargetNotFoundError extends Error {
  override name = 'TargetNotFoundError';
}

/**
 * The target (or the Canary's service settings) cannot be managed as asked: the message names the
 * field and what to change. Waiting does not help until the user changes something.
 */
export class InvalidTargetError extends Error {
  override name = 'InvalidTargetError';
}

/**
 * A ConfigMap or Secret the target requires does not exist, so the primary cannot be given a copy
 * of it. The message names the object and the field that references it.
 */
export class ConfigNotFoundError extends Error {
  override name = 'ConfigNotFoundError';
}
