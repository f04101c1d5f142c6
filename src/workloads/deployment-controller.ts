/**
 * The workload controller for Deployment targets, as Flagger manages them: the user's Deployment
 * (the target) runs the canary version, a `<target>-primary` copy runs the stable version, and the
 * services `<apex>`, `<apex>-primary` and `<apex>-canary` front them.
 *
 * Who calls what, and when (the reconciler, once per tick):
 * - every tick: {@link DeploymentController.reconcile} (idempotent: creates what is missing, fixes
 *   selectors, labels and ports, writes nothing when all is in place), then
 *   {@link DeploymentController.observe};
 * - initialisation: `reconcile` creates the primary; the reconciler waits (tick after tick) until
 *   `observe` reports the primary ready, then calls {@link DeploymentController.scaleCanaryToZero}
 *   and moves to Initialized. The target keeps serving until then;
 * - a new revision: {@link DeploymentController.scaleCanaryUp} before the canary gets traffic;
 * - Promoting: {@link DeploymentController.promote} with the analysed revision (every tick of the
 *   phase: it writes only once), then traffic goes back to the primary once `observe` reports the
 *   primary ready at that revision (`primaryRevision`);
 * - Finalising, Succeeded, Failed: `scaleCanaryToZero` after the canary lost its traffic (not after
 *   a failed promotion, when the canary keeps all traffic until the primary is ready);
 * - Canary deleted with `revertOnDeletion`: {@link DeploymentController.finalize}.
 *
 * With `spec.autoscalerRef`, the primary gets a copy of the target's autoscaler
 * (`scalers/`): created by `reconcile`, brought to the target's by `promote`; the target's own
 * autoscaler scales the canary and owns the target's replicas while it runs, so they are only
 * written when scaling up from zero. Without one, the target's replicas are the user's count:
 * kept while the canary runs and copied to the primary on promotion.
 *
 * Every write is a create, a JSON merge patch of the fields Fledge owns, or (promotion) a replace
 * with the read resourceVersion as precondition, and is made only when something differs.
 */
import { calculateMergePatch } from './merge-patch.js';
import type { ResolvedCanary } from '../api/defaults.js';
import {
  ConflictError,
  NotFoundError,
  describeKey,
  type Cluster,
  type MergePatch,
  type ObjectKey,
} from '../kube/cluster.js';
import { API, objectKey, type Deployment, type Service } from '../kube/resources.js';
import { configKey, type ConfigRef } from './config-refs.js';
import {
  adoptPrimaryCopies,
  describeMissing,
  readTargetConfigs,
  syncPrimaryCopies,
  trackedConfigsOf,
} from './config-tracker.js';
import {
  calculateNewPrimary,
  calculatePrimarySpec,
  calculatePrimaryTemplate,
  calculateRevision,
  calculateServices,
  primaryRevisionOf,
} from './desired-objects.js';
import { checkStandings, checkTargetStanding, withCanaryOwner } from '../kube/owner-references.js';
import { calculateDeploymentReadiness, scaledToZeroReadiness } from './readiness.js';
import { calculatePromotedReplicas, primaryReplicas } from './replicas.js';
import type { ScalerReconciler } from './scalers/scaler.js';
import { scalerFor } from './scalers/factory.js';
import { selectorLabelOf, type SelectorLabel } from './selector-label.js';
import { reconcileService } from './service-reconciler.js';
import { checkDeployment, checkService } from './workload-shape.js';
import { readChecked, type TickReads } from '../kube/tick-reads.js';
import {
  ConfigNotFoundError,
  InvalidTargetError,
  TargetNotFoundError,
  type Readiness,
  type WorkloadController,
  type WorkloadObservation,
} from './workload.js';

export interface DeploymentControllerOptions {
  cluster: Cluster;
  /** Clock for readiness deadlines; defaults to the wall clock. */
  now?: () => Date;
}

/** Primary/canary Deployments and their services for one Deployment target. */
export class DeploymentController implements WorkloadController {
  private readonly cluster: Cluster;
  private readonly now: () => Date;

  constructor(options: DeploymentControllerOptions) {
    if (!options?.cluster) throw new TypeError('DeploymentController: options.cluster is required');
    this.cluster = options.cluster;
    this.now = options.now ?? (() => new Date());
  }

  /**
   * Creates the primary (with config copies) and the services when missing; keeps them right. The
   * primary and the three services are read and their ownership checked before the first write:
   * one that another Canary controls stops the tick with nothing written.
   * @throws OwnershipConflictError naming the object and its controller
   */
  async reconcile(canary: ResolvedCanary, reads?: TickReads): Promise<void> {
    const target = await this.getTarget(canary, reads);
    const label = selectorLabelOf(target);
    const stored = await this.readDeployment(this.primaryKey(canary), reads);
    const serviceNames = [canary.names.apex, canary.names.primaryService, canary.names.canaryService];
    const services = await Promise.all(
      serviceNames.map((name) => this.readService(objectKey(API.service, canary.namespace, name))),
    );
    checkStandings([stored, ...services], canary);
    let primary = stored;
    if (!primary) {
      primary = await this.createPrimary(canary, target, label);
      reads?.forget(this.primaryKey(canary));
    } else {
      if (await this.reconcilePrimaryMetadata(canary, primary, label)) reads?.forget(this.primaryKey(canary));
      await adoptPrimaryCopies(this.cluster, canary, target.spec.template.spec);
    }
    const desired = calculateServices(canary, target, label, primary.spec.template);
    for (const [i, service] of desired.entries())
      await reconcileService(this.cluster, canary, service, services[i]);
    await this.scaler(canary)?.reconcilePrimaryScaler(canary);
  }

  /**
   * Revision, tracked configs and readiness of both versions. Writes nothing.
   *
   * A ConfigMap or Secret the target requires but that does not exist is left out of the revision
   * (its arrival makes a new one) and named in the canary's readiness message while the canary is
   * not ready, since it is then the likely reason; `reconcile` and `promote` refuse to copy a
   * target with one missing ({@link ConfigNotFoundError}). Missing optional references are skipped.
   */
  async observe(canary: ResolvedCanary, reads?: TickReads): Promise<WorkloadObservation> {
    const target = await this.getTarget(canary, reads);
    const label = selectorLabelOf(target);
    const [configs, primary] = await Promise.all([
      readTargetConfigs(this.cluster, canary.namespace, target.spec.template.spec),
      this.readDeployment(this.primaryKey(canary), reads),
    ]);
    const trackedConfigs = trackedConfigsOf(configs.tracked);
    const now = this.now();
    const judge = (d: Deployment, thresholdPercent: number): Readiness =>
      calculateDeploymentReadiness(d, {
        thresholdPercent,
        progressDeadlineMs: canary.progressDeadlineMs,
        now,
      });

    const canaryReplicas = target.spec.replicas ?? 1;
    const canaryReadiness =
      canaryReplicas === 0
        ? scaledToZeroReadiness(target)
        : judge(target, canary.analysis.canaryReadyThreshold);
    // A missing required config keeps the canary's pods from starting: say so where users look.
    if (!canaryReadiness.ready && configs.missing.length > 0) {
      canaryReadiness.message += `; ${describeMissing(canary.namespace, configs.missing)}`;
    }
    return {
      revision: calculateRevision(target.spec.template, trackedConfigs),
      primaryRevision: primaryRevisionOf(primary),
      trackedConfigs,
      canaryReplicas,
      primary: primary
        ? judge(primary, canary.analysis.primaryReadyThreshold)
        : { ready: false, retriable: true, message: `${describeKey(this.primaryKey(canary))} not found` },
      canary: canaryReadiness,
      primaryLabels: { [label.key]: label.primaryValue },
      canaryLabels: { [label.key]: label.canaryValue },
    };
  }

  /**
   * Copies the target's pod template to the primary (relabelled, config references pointing at the
   * refreshed `-primary` copies, the revision recorded), keeping the primary's selector. The
   * primary's replicas become the target's (when above zero) unless an autoscaler owns them; the
   * primary's autoscaler is brought to the target's.
   * @throws ConflictError when `revision` is given and the target no longer is at that revision
   */
  async promote(canary: ResolvedCanary, revision?: string): Promise<void> {
    const target = await this.getTarget(canary);
    const label = selectorLabelOf(target);
    const primary = await this.getPrimary(canary, 'promote');
    const configs = await readTargetConfigs(this.cluster, canary.namespace, target.spec.template.spec);
    const current = calculateRevision(target.spec.template, trackedConfigsOf(configs.tracked));
    if (revision !== undefined && current !== revision) {
      throw new ConflictError(
        `${describeKey(this.targetKey(canary))} moved from revision ${revision} to ${current}: not promoting unanalysed changes`,
      );
    }
    this.refuseMissing(canary, configs.missing, 'promoted');
    await syncPrimaryCopies(this.cluster, canary, configs.tracked);
    const copied = new Set(configs.tracked.map((c) => configKey(c.kind, c.name)));
    const template = calculatePrimaryTemplate(target, label, copied, current);
    // The stored selector is kept: it is immutable, and reconcile has checked it selects the primary.
    const scaler = this.scaler(canary);
    const spec = {
      ...calculatePrimarySpec(target, label, template, calculatePromotedReplicas(target, primary, !!scaler)),
      selector: primary.spec.selector,
    };
    if (calculateMergePatch(primary.spec, spec) !== undefined) {
      // A replace, not a patch: keys the target no longer has must disappear from the primary too.
      await this.cluster.replace<Deployment>({ ...primary, spec });
    }
    await scaler?.promotePrimaryScaler(canary);
  }

  /**
   * Scales the target up from zero: to its autoscaler's minimum, or without one to the primary's
   * replicas (at least 1). A target already running is left alone: its replicas are the autoscaler's
   * or the user's, and writing them every tick would fight both.
   */
  async scaleCanaryUp(canary: ResolvedCanary): Promise<void> {
    const target = await this.getTarget(canary);
    const scaler = this.scaler(canary);
    await scaler?.resumeTargetScaler(canary);
    if ((target.spec.replicas ?? 1) > 0) return;
    const replicas = scaler
      ? await scaler.minReplicas(canary)
      : primaryReplicas(await this.getPrimary(canary, 'scale up the canary'));
    await this.scaleTarget(canary, target, replicas);
  }

  /** Pauses the target's autoscaler (KEDA), then scales the target to zero. */
  async scaleCanaryToZero(canary: ResolvedCanary): Promise<void> {
    const target = await this.getTarget(canary);
    await this.scaler(canary)?.pauseTargetScaler(canary);
    await this.scaleTarget(canary, target, 0);
  }

  /**
   * `revertOnDeletion`: scales the target back to the primary's replicas and points the apex
   * service at the target's pods. The apex service loses its owner reference so that it outlives
   * the Canary: the primary, its autoscaler and the other services are garbage collected with the
   * Canary, and clients of the apex keep being served. The target's autoscaler is resumed so that
   * it scales the target again. Missing objects are skipped, so deletion never blocks.
   */
  async finalize(canary: ResolvedCanary): Promise<void> {
    const target = await this.cluster.get<Deployment>(this.targetKey(canary));
    if (!target) return;
    await this.scaler(canary)?.resumeTargetScaler(canary);
    const primary = await this.cluster.get<Deployment>(this.primaryKey(canary));
    const replicas = primary ? primaryReplicas(primary) : Math.max(target.spec.replicas ?? 1, 1);
    await this.scaleTarget(canary, target, replicas);

    let label: SelectorLabel;
    try {
      label = selectorLabelOf(target);
    } catch (err) {
      // A target Fledge could never manage has no apex to restore; the Canary must still be deletable.
      if (err instanceof InvalidTargetError) return;
      throw err;
    }
    const key = objectKey(API.service, canary.namespace, canary.names.apex);
    const apex = await this.cluster.get<Service>(key);
    if (!apex) return;
    const before = { selector: apex.spec.selector ?? {}, owners: apex.metadata.ownerReferences ?? [] };
    const after = {
      selector: { [label.key]: label.canaryValue },
      owners: before.owners.filter((ref) => ref.uid !== canary.uid),
    };
    const diff = calculateMergePatch(before, after) as
      { selector?: MergePatch; owners?: unknown } | undefined;
    if (!diff) return;
    await this.cluster.patch(
      key,
      {
        ...(diff.selector ? { spec: { selector: diff.selector } } : {}),
        ...(diff.owners ? { metadata: { ownerReferences: after.owners } } : {}),
      },
      { resourceVersion: apex.metadata.resourceVersion },
    );
  }

  private scaler(canary: ResolvedCanary): ScalerReconciler | undefined {
    return scalerFor(canary, this.cluster);
  }

  /** A Deployment, with the fields Fledge reads checked (MalformedObjectError otherwise). */
  private async readDeployment(key: ObjectKey, reads?: TickReads): Promise<Deployment | undefined> {
    return readChecked(this.cluster, key, checkDeployment, reads);
  }

  /** A Service, with the fields Fledge reads checked (MalformedObjectError otherwise). */
  private async readService(key: ObjectKey): Promise<Service | undefined> {
    const object = await this.cluster.get<Service>(key);
    return object && checkService(object);
  }

  private targetKey(canary: ResolvedCanary): ObjectKey {
    return objectKey(API.deployment, canary.namespace, canary.names.target);
  }

  private primaryKey(canary: ResolvedCanary): ObjectKey {
    return objectKey(API.deployment, canary.namespace, canary.names.primaryWorkload);
  }

  private async getTarget(canary: ResolvedCanary, reads?: TickReads): Promise<Deployment> {
    const kind = canary.spec.targetRef.kind;
    if (kind !== API.deployment.kind) {
      throw new InvalidTargetError(
        `Canary ${canary.namespace}/${canary.name}: spec.targetRef.kind ${kind} is not handled by the Deployment controller`,
      );
    }
    const target = await this.readDeployment(this.targetKey(canary), reads);
    if (!target) {
      throw new TargetNotFoundError(
        `${describeKey(this.targetKey(canary))} not found: spec.targetRef of Canary ${canary.namespace}/${canary.name} names a Deployment that does not exist`,
      );
    }
    // Every operation on the target goes through here: none scales another canary's primary.
    checkTargetStanding(target, canary);
    return target;
  }

  private async getPrimary(canary: ResolvedCanary, action: string): Promise<Deployment> {
    const primary = await this.readDeployment(this.primaryKey(canary));
    if (!primary)
      throw new NotFoundError(`cannot ${action}: ${describeKey(this.primaryKey(canary))} not found`);
    return primary;
  }

  private refuseMissing(canary: ResolvedCanary, missing: ConfigRef[], what: string): void {
    if (missing.length === 0) return;
    throw new ConfigNotFoundError(
      `${describeKey(this.targetKey(canary))} cannot be ${what}: ${describeMissing(canary.namespace, missing)}`,
    );
  }

  private async createPrimary(
    canary: ResolvedCanary,
    target: Deployment,
    label: SelectorLabel,
  ): Promise<Deployment> {
    const configs = await readTargetConfigs(this.cluster, canary.namespace, target.spec.template.spec);
    this.refuseMissing(canary, configs.missing, 'copied to its primary');
    await syncPrimaryCopies(this.cluster, canary, configs.tracked);
    const copied = new Set(configs.tracked.map((c) => configKey(c.kind, c.name)));
    const revision = calculateRevision(target.spec.template, trackedConfigsOf(configs.tracked));
    return this.cluster.create(calculateNewPrimary(canary, target, label, copied, revision));
  }

  /**
   * An existing primary keeps its template (only `promote` changes it); its labels and owner are
   * kept right. Returns whether it wrote.
   */
  private async reconcilePrimaryMetadata(
    canary: ResolvedCanary,
    primary: Deployment,
    label: SelectorLabel,
  ): Promise<boolean> {
    if (primary.spec.selector?.matchLabels?.[label.key] !== label.primaryValue) {
      throw new InvalidTargetError(
        `${describeKey(this.primaryKey(canary))} does not select ${label.key}=${label.primaryValue}, the target's ` +
          `selector label with -primary appended, and spec.selector is immutable: delete it so Fledge recreates it`,
      );
    }
    const before = {
      label: primary.metadata.labels?.[label.key],
      owners: primary.metadata.ownerReferences ?? [],
    };
    const after = {
      label: label.primaryValue,
      owners: withCanaryOwner(primary.metadata.ownerReferences, canary),
    };
    const diff = calculateMergePatch(before, after) as { label?: string; owners?: unknown } | undefined;
    if (!diff) return false;
    await this.cluster.patch(
      this.primaryKey(canary),
      {
        metadata: {
          ...(diff.label ? { labels: { [label.key]: label.primaryValue } } : {}),
          ...(diff.owners ? { ownerReferences: after.owners } : {}),
        },
      },
      { resourceVersion: primary.metadata.resourceVersion },
    );
    return true;
  }

  private async scaleTarget(canary: ResolvedCanary, target: Deployment, replicas: number): Promise<void> {
    if ((target.spec.replicas ?? 1) === replicas) return;
    await this.cluster.patch(this.targetKey(canary), { spec: { replicas } });
  }
}
