/**
 * The store behind one informer: what the list + watch stream says (the stream view), plus the
 * answers of this process's own writes that the stream has not delivered yet (overlays), so that a
 * read after a write sees the write.
 *
 * resourceVersions are opaque: they are only compared for equality. The stream is ordered, so an
 * overlay for a write answered with resourceVersion X stands until the stream delivers X (then the
 * stream is at least as new), delivers the object's deletion, or a relist that began after the write
 * replaces the view. A write whose X the stream already delivered sets no overlay.
 *
 * Everything enters in the caches' form ({@link cacheShape}): no managedFields, ConfigMaps and
 * Secrets without their content.
 */
import { cacheShape } from '../cache-shape.js';
import type { KubeObject, WatchEvent, WatchEventType } from '../cluster.js';

/** `namespace/name` (`/name` for cluster-scoped objects): the store's key. */
export function objectId(object: KubeObject): string {
  return `${object.metadata.namespace ?? ''}/${object.metadata.name}`;
}

/** A write answer not yet seen on the stream. `object` undefined: the write deleted it. */
interface Overlay {
  object: KubeObject | undefined;
  resourceVersion: string | undefined;
  uid: string | undefined;
  /** Ordering ticket taken when the write's answer arrived (see {@link CollectionCache.replace}). */
  seq: number;
}

/** resourceVersions remembered per object for deciding whether the stream already passed a write. */
const SEEN_PER_OBJECT = 8;
/** uids of objects whose deletion the stream delivered, remembered for the same reason. */
const DELETED_UIDS_KEPT = 4096;

export class CollectionCache {
  private readonly stream = new Map<string, KubeObject>();
  private readonly seen = new Map<string, string[]>();
  private readonly deletedUids = new Set<string>();
  private readonly overlays = new Map<string, Overlay>();

  /**
   * Replaces the stream view with a fresh list and returns the changes as events (ADDED for new,
   * MODIFIED for changed, DELETED for vanished objects), as the stream would have delivered them.
   * @param listStartedSeq ticket taken before the list request was sent: overlays of writes answered
   *   before it are reflected in the list and are dropped
   */
  replace(items: readonly KubeObject[], listStartedSeq: number): WatchEvent[] {
    const events: WatchEvent[] = [];
    const next = new Map<string, KubeObject>();
    for (const item of items) next.set(objectId(item), cacheShape(item));
    for (const [id, old] of this.stream) {
      if (!next.has(id)) {
        events.push({ type: 'DELETED', object: old });
        this.forget(id, old);
      }
    }
    for (const [id, item] of next) {
      const old = this.stream.get(id);
      if (!old) events.push({ type: 'ADDED', object: item });
      else if (old.metadata.resourceVersion !== item.metadata.resourceVersion)
        events.push({ type: 'MODIFIED', object: item });
      this.remember(id, item);
    }
    this.stream.clear();
    for (const [id, item] of next) this.stream.set(id, item);
    for (const [id, overlay] of this.overlays) {
      if (overlay.seq < listStartedSeq) this.overlays.delete(id);
      else this.settleOverlay(id, overlay);
    }
    return events;
  }

  /** Applies one stream event (ADDED, MODIFIED or DELETED); returns it for the subscribers. */
  apply(type: WatchEventType, received: KubeObject): WatchEvent {
    const object = cacheShape(received);
    const id = objectId(object);
    if (type === 'DELETED') {
      this.stream.delete(id);
      this.forget(id, object);
    } else {
      this.stream.set(id, object);
      this.remember(id, object);
    }
    const overlay = this.overlays.get(id);
    if (overlay) this.settleOverlay(id, overlay);
    return { type, object };
  }

  /**
   * Records the answer of a successful write (create, replace, patch, status patch, or a delete that
   * left the object terminating). A write answer whose object is gone (deletion timestamp and no
   * finalizers left) counts as a deletion.
   */
  recordWrite(answer: KubeObject, seq: number): void {
    const object = cacheShape(answer);
    const id = objectId(object);
    const { uid, resourceVersion, deletionTimestamp, finalizers } = object.metadata;
    if (uid !== undefined && this.deletedUids.has(uid)) return;
    if (deletionTimestamp && !finalizers?.length && !hasGracePeriod(object)) {
      this.recordDeleted(id, uid, seq);
      return;
    }
    if (resourceVersion !== undefined && this.seen.get(id)?.includes(resourceVersion)) return;
    this.overlays.set(id, { object, resourceVersion, uid, seq });
  }

  /**
   * Records a delete that removed the object at once.
   * @param uid the deleted object's uid, from the server's answer; the stream's current one if unknown
   */
  recordDeleted(id: string, uid: string | undefined, seq: number): void {
    const current = this.stream.get(id);
    const deletedUid = uid ?? current?.metadata.uid;
    if (deletedUid !== undefined && this.deletedUids.has(deletedUid)) return;
    if (deletedUid === undefined && !current) return;
    this.overlays.set(id, { object: undefined, resourceVersion: undefined, uid: deletedUid, seq });
  }

  /** The object as this process knows it: overlay first, then the stream view. */
  get(id: string): KubeObject | undefined {
    const overlay = this.overlays.get(id);
    return overlay ? overlay.object : this.stream.get(id);
  }

  /** All objects as this process knows them. */
  list(): KubeObject[] {
    const result = new Map(this.stream);
    for (const [id, overlay] of this.overlays) {
      if (overlay.object) result.set(id, overlay.object);
      else result.delete(id);
    }
    return [...result.values()];
  }

  /** The stream view alone, for new watch subscribers (they see what the stream delivers). */
  streamObjects(): KubeObject[] {
    return [...this.stream.values()];
  }

  /** Number of writes still waiting to be seen on the stream. */
  get pendingOverlays(): number {
    return this.overlays.size;
  }

  /** Drops an overlay once the stream caught up with it. */
  private settleOverlay(id: string, overlay: Overlay): void {
    const seen = this.seen.get(id);
    const caughtUp =
      (overlay.resourceVersion !== undefined && seen?.includes(overlay.resourceVersion)) ||
      (overlay.uid !== undefined && this.deletedUids.has(overlay.uid));
    if (caughtUp) this.overlays.delete(id);
  }

  private remember(id: string, object: KubeObject): void {
    const rv = object.metadata.resourceVersion;
    if (rv === undefined) return;
    const seen = this.seen.get(id) ?? [];
    if (seen.includes(rv)) return;
    seen.push(rv);
    if (seen.length > SEEN_PER_OBJECT) seen.shift();
    this.seen.set(id, seen);
  }

  private forget(id: string, object: KubeObject): void {
    this.seen.delete(id);
    const uid = object.metadata.uid;
    if (uid === undefined) return;
    this.deletedUids.add(uid);
    if (this.deletedUids.size > DELETED_UIDS_KEPT) {
      const oldest = this.deletedUids.values().next().value;
      if (oldest !== undefined) this.deletedUids.delete(oldest);
    }
  }
}

/** Objects deleted with a grace period (pods) stay until it runs out, without finalizers. */
function hasGracePeriod(object: KubeObject): boolean {
  const seconds = (object.metadata as { deletionGracePeriodSeconds?: number }).deletionGracePeriodSeconds;
  return typeof seconds === 'number' && seconds > 0;
}
