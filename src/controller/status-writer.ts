/**
 * The Canary status writes of a tick other than the routes and workloads: the commit point, the
 * repair of a malformed status, the Reconciled condition of a problem, and the outbox left after
 * delivery. Each write carries the resourceVersion the tick read (or last wrote) as a precondition.
 */
import jsonMergePatch from 'json-merge-patch';
import type { Logger } from 'pino';
import type { Canary, CanaryStatus, PendingEffect } from '../api/schema/canary.js';
import { ConflictError, type Cluster, type ObjectKey } from '../kube/cluster.js';
import { withReconciledCondition } from './conditions.js';
import type { EventRecorder } from './event-recorder.js';
import { EventReasons, LogKeys } from './events.js';
import { repairStatus } from './status-repair.js';
import type { EventEffect } from './types.js';

export interface StatusWriterDeps {
  cluster: Cluster;
  events: EventRecorder;
  logger: Logger;
  now: () => Date;
}

export class StatusWriter {
  constructor(private readonly o: StatusWriterDeps) {}

  /** The commit point of a tick (`reconciler.ts`): writes what changed, with the read's resourceVersion. */
  async persist(key: ObjectKey, object: Canary, before: CanaryStatus, after: CanaryStatus): Promise<boolean> {
    const patch = jsonMergePatch.generate(before, after);
    if (patch === undefined) return false;
    const options = object.metadata.resourceVersion
      ? { resourceVersion: object.metadata.resourceVersion }
      : {};
    const written = await this.o.cluster.patchStatus<Canary>(key, patch as Record<string, unknown>, options);
    object.metadata.resourceVersion = written.metadata.resourceVersion;
    return true;
  }

  /**
   * A tick that changed nothing writes no status, so no precondition guards its routing. Before
   * re-applying routes from the status it read, it checks that the Canary has not moved on since
   * (another tick, on another replica, committed a step): if it has, re-applying would write back
   * an older weight. Reads come from the cache, so this narrows the window rather than closing it;
   * the next tick, from fresh state, repairs whatever slips through.
   */
  async ensureUnchanged(key: ObjectKey, object: Canary): Promise<void> {
    const current = await this.o.cluster.get<Canary>(key);
    if (current && current.metadata.resourceVersion !== object.metadata.resourceVersion) {
      throw new ConflictError(`Canary ${key.namespace}/${key.name} changed during the tick`);
    }
  }

  /**
   * Reads the status, replacing what Fledge owns that has the wrong shape (`status-repair.ts`).
   * A repair is written at once, before anything can fail, so that every later write of the tick
   * starts from a status that passes the schema; it is also logged and recorded as a Warning Event.
   */
  async repair(key: ObjectKey, object: Canary, log: Logger): Promise<CanaryStatus> {
    const { status, repairs } = repairStatus(object.status);
    if (repairs.length === 0) return status;
    const message = `Repaired the status of ${key.namespace}/${key.name}: ${repairs.join('; ')}`.slice(
      0,
      1024,
    );
    log.warn({ [LogKeys.reason]: EventReasons.StatusRepaired }, message);
    const before = object.status !== null && typeof object.status === 'object' ? object.status : {};
    await this.persist(key, object, before, status);
    object.status = status;
    await this.recordOnly(key, object, { type: 'Warning', reason: EventReasons.StatusRepaired, message });
    return status;
  }

  /**
   * Records why a canary cannot be reconciled as its Reconciled condition and, when that is news,
   * as a Warning Event. Routing and workloads are left as they are: nothing half-applied.
   */
  async reportProblem(
    key: ObjectKey,
    object: Canary,
    status: CanaryStatus,
    problem: { reason: (typeof EventReasons)[keyof typeof EventReasons]; message: string },
  ): Promise<void> {
    const next = withReconciledCondition(status, this.o.now(), problem);
    if (next === status) return;
    await this.o.cluster.patchStatus(
      key,
      { conditions: next.conditions ?? [] },
      {
        ...(object.metadata.resourceVersion ? { resourceVersion: object.metadata.resourceVersion } : {}),
      },
    );
    await this.recordOnly(key, object, { type: 'Warning', reason: problem.reason, message: problem.message });
  }

  /** A Kubernetes Event only (no webhooks: the spec naming them may be unreadable), best effort. */
  async recordOnly(key: ObjectKey, object: Canary, event: EventEffect): Promise<void> {
    try {
      await this.o.events.record(
        { namespace: key.namespace, name: key.name, uid: object.metadata.uid ?? '' },
        event,
      );
    } catch (err) {
      this.o.logger.warn({ [LogKeys.err]: err }, 'could not record Event');
    }
  }

  /**
   * Writes down the outbox left after a delivery. Losing the race to another tick only means a
   * delivered effect may be delivered again (at-least-once), so a conflict is logged, not thrown.
   */
  async writeOutbox(key: ObjectKey, object: Canary, outbox: PendingEffect[], log: Logger): Promise<void> {
    try {
      const written = await this.o.cluster.patchStatus<Canary>(
        key,
        { outbox: outbox.length > 0 ? outbox : null },
        preconditionOf(object),
      );
      object.metadata.resourceVersion = written.metadata.resourceVersion;
    } catch (err) {
      if (!(err instanceof ConflictError)) throw err;
      log.info('canary changed while its outbox was delivered; delivered effects may be delivered again');
    }
  }
}

/** The resourceVersion precondition of a write that follows this tick's read. */
function preconditionOf(object: Canary): { resourceVersion?: string } {
  return object.metadata.resourceVersion ? { resourceVersion: object.metadata.resourceVersion } : {};
}
