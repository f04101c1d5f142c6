/**
 * Objects read by the observing steps of one tick, handed from step to step so that the same
 * object is not read (deep copied and shape checked) again a few milliseconds later: the router's
 * ownership check, its reconcile and its `getRoutes` all read the same VirtualService, the workload
 * controller's reconcile and observe the same Deployments.
 *
 * Scope: one tick, created by the reconciler for the steps between reading the Canary and deciding
 * (ownership, reconcile, observe, routes). The steps that act on a decision (`setRoutes`, scaling,
 * promotion) are not given one and read afresh. A step that writes an object forgets it here, so the
 * next step reads what the write left. The objects are shared between the steps that read them:
 * they are read-only to every step (which the code of those steps already holds to).
 */
import type { Cluster, KubeObject, ObjectKey } from './cluster.js';

function idOf(key: ObjectKey): string {
  return `${key.apiVersion}|${key.kind}|${key.namespace}|${key.name}`;
}

/** The objects one tick has read so far; `undefined` entries record a read that found nothing. */
export class TickReads {
  private readonly objects = new Map<string, KubeObject | undefined>();

  /**
   * The object at `key` as an earlier step of this tick read and checked it; otherwise read from
   * `cluster`, passed through `check` (a shape check, which throws for a malformed object) and kept.
   */
  async get<T extends KubeObject>(
    cluster: Cluster,
    key: ObjectKey,
    check: (object: KubeObject) => T,
  ): Promise<T | undefined> {
    const id = idOf(key);
    if (this.objects.has(id)) return this.objects.get(id) as T | undefined;
    const object = await cluster.get<KubeObject>(key);
    const checked = object && check(object);
    this.objects.set(id, checked);
    return checked;
  }

  /** Forgets the object at `key` (it was just written): the next step reads it again. */
  forget(key: ObjectKey): void {
    this.objects.delete(idOf(key));
  }
}

/**
 * Reads `key` through `reads` when a step has one, else straight from `cluster`; either way the
 * object comes back checked by `check`.
 */
export async function readChecked<T extends KubeObject>(
  cluster: Cluster,
  key: ObjectKey,
  check: (object: KubeObject) => T,
  reads: TickReads | undefined,
): Promise<T | undefined> {
  if (reads) return reads.get(cluster, key, check);
  const object = await cluster.get<KubeObject>(key);
  return object && check(object);
}
