/**
 * An in-memory {@link Cluster} for the sandbox and unit tests. It mimics the API server's rules
 * that Fledge depends on (resourceVersion preconditions, status subresource, generation, finalizers,
 * owner-based garbage collection, merge patch), reads in the caches' form (`cache-shape.ts`: ConfigMaps
 * and Secrets without their content, except through `getFull`) and is held to the same contract suite as the real
 * adapter, so it cannot drift from it.
 */
import jsonMergePatch from 'json-merge-patch';
import { nameProblem, nameRuleOf } from '../../api/names.js';
import { cacheShape } from '../cache-shape.js';
import { copyObject, serializedCopy } from '../copy.js';
import { jsonEqual } from '../json-equal.js';
import {
  AlreadyExistsError,
  ConflictError,
  InvalidError,
  NotFoundError,
  describeKey,
  keyOf,
  type Cluster,
  type CollectionKey,
  type KubeObject,
  type MergePatch,
  type ObjectKey,
  type Unsubscribe,
  type WatchEvent,
  type WriteOptions,
} from '../cluster.js';

/** Counts of requests by verb, for tests and the benchmark. */
export type RequestCounts = Record<
  'get' | 'list' | 'create' | 'replace' | 'patch' | 'patchStatus' | 'delete',
  number
>;

interface Watcher {
  key: CollectionKey;
  onEvent: (event: WatchEvent) => void;
}

export interface MemoryClusterOptions {
  /** Source of timestamps; defaults to the wall clock. */
  now?: () => Date;
  /** Generates uids; defaults to `crypto.randomUUID`. */
  newUid?: () => string;
}

function storeKey(k: { apiVersion: string; kind: string; namespace: string; name: string }): string {
  return `${groupOf(k.apiVersion)}|${k.kind}|${k.namespace}|${k.name}`;
}

/** Objects are stored per group and kind, not per version, as the API server does. */
function groupOf(apiVersion: string): string {
  return apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '';
}

function sameCollection(key: CollectionKey, obj: KubeObject): boolean {
  return (
    groupOf(key.apiVersion) === groupOf(obj.apiVersion) &&
    key.kind === obj.kind &&
    (key.namespace === undefined || key.namespace === obj.metadata.namespace)
  );
}

/** Whether everything except metadata and status is the same: a change there bumps `metadata.generation`. */
function sameSpecPart(a: KubeObject, b: KubeObject): boolean {
  const ra = a as unknown as Record<string, unknown>;
  const rb = b as unknown as Record<string, unknown>;
  const outside = (key: string) => key !== 'metadata' && key !== 'status';
  const keys = new Set([...Object.keys(ra), ...Object.keys(rb)].filter(outside));
  for (const key of keys) if (!jsonEqual(ra[key], rb[key])) return false;
  return true;
}

/** Whether the metadata is the same but for the resourceVersion (which a write sets anew). */
function sameMetadata(a: KubeObject, b: KubeObject): boolean {
  const { resourceVersion: _a, ...ma } = a.metadata;
  const { resourceVersion: _b, ...mb } = b.metadata;
  return jsonEqual(ma, mb);
}

/** The in-memory cluster. Writes are applied in call order; watchers are notified asynchronously. */
export class MemoryCluster implements Cluster {
  readonly requests: RequestCounts = {
    get: 0,
    list: 0,
    create: 0,
    replace: 0,
    patch: 0,
    patchStatus: 0,
    delete: 0,
  };
  private readonly objects = new Map<string, KubeObject>();
  private readonly watchers = new Set<Watcher>();
  private revision = 0;
  private readonly now: () => Date;
  private readonly newUid: () => string;

  constructor(options: MemoryClusterOptions = {}) {
    this.now = options.now ?? (() => new Date());
    this.newUid = options.newUid ?? (() => crypto.randomUUID());
  }

  async get<T extends KubeObject>(key: ObjectKey): Promise<T | undefined> {
    this.requests.get++;
    const found = this.objects.get(storeKey(key));
    return found ? (copyObject(cacheShape(found)) as T) : undefined;
  }

  async getFull<T extends KubeObject>(key: ObjectKey): Promise<T | undefined> {
    this.requests.get++;
    const found = this.objects.get(storeKey(key));
    return found ? (copyObject(found) as T) : undefined;
  }

  async list<T extends KubeObject>(key: CollectionKey, labels?: Record<string, string>): Promise<T[]> {
    this.requests.list++;
    return [...this.objects.values()]
      .filter((o) => sameCollection(key, o))
      .filter((o) => Object.entries(labels ?? {}).every(([k, v]) => o.metadata.labels?.[k] === v))
      .map((o) => copyObject(cacheShape(o)) as T);
  }

  async create<T extends KubeObject>(object: T): Promise<T> {
    this.requests.create++;
    const obj = serializedCopy(object);
    if (!obj.metadata?.name) throw new InvalidError(`${obj.kind}: metadata.name: Required value`);
    obj.metadata.namespace ??= 'default';
    // The API server's name rules, so that a test sees the refusal a real cluster would give.
    const nameError = nameProblem(obj.metadata.name, nameRuleOf(obj.apiVersion, obj.kind));
    if (nameError)
      throw new InvalidError(
        `${obj.kind} "${obj.metadata.name}": metadata.name: Invalid value: ${nameError}`,
      );
    const namespaceError = nameProblem(obj.metadata.namespace, 'label');
    if (namespaceError)
      throw new InvalidError(
        `${obj.kind} "${obj.metadata.name}": metadata.namespace: Invalid value: ${namespaceError}`,
      );
    const k = storeKey(keyOf(obj));
    if (this.objects.has(k)) throw new AlreadyExistsError(`${describeKey(keyOf(obj))} already exists`);
    obj.metadata.uid = this.newUid();
    obj.metadata.generation = 1;
    // The API server clears status on create for kinds with a status subresource; write it with patchStatus.
    delete (obj as { status?: unknown }).status;
    obj.metadata.creationTimestamp = this.now().toISOString();
    delete obj.metadata.deletionTimestamp;
    obj.metadata.resourceVersion = this.nextRevision();
    this.objects.set(k, obj);
    this.emit('ADDED', obj);
    return copyObject(obj);
  }

  async replace<T extends KubeObject>(object: T): Promise<T> {
    this.requests.replace++;
    const key = keyOf(object);
    const current = this.mustGet(key, object.metadata.resourceVersion);
    const next = serializedCopy(object) as KubeObject & { status?: unknown };
    next.metadata = {
      ...next.metadata,
      uid: current.metadata.uid,
      creationTimestamp: current.metadata.creationTimestamp,
      generation: current.metadata.generation,
      ...(current.metadata.deletionTimestamp
        ? { deletionTimestamp: current.metadata.deletionTimestamp }
        : {}),
    };
    const status = (current as { status?: unknown }).status;
    if (status === undefined) delete next.status;
    else next.status = status;
    return copyObject(this.commit(current, next)) as T;
  }

  async patch<T extends KubeObject>(
    key: ObjectKey,
    patch: MergePatch,
    options: WriteOptions = {},
  ): Promise<T> {
    this.requests.patch++;
    const current = this.mustGet(key, options.resourceVersion);
    const { status: _ignored, ...rest } = patch;
    const next = serializedCopy(jsonMergePatch.apply(copyObject(current), rest) as unknown as KubeObject);
    this.keepIdentity(current, next);
    return copyObject(this.commit(current, next)) as T;
  }

  async patchStatus<T extends KubeObject>(
    key: ObjectKey,
    status: MergePatch,
    options: WriteOptions = {},
  ): Promise<T> {
    this.requests.patchStatus++;
    const current = this.mustGet(key, options.resourceVersion) as KubeObject & { status?: unknown };
    // The rest of the object cannot change here: the new version shares it with the stored one
    // (stored objects are never changed in place), and only status and metadata are compared.
    const next = { ...current, metadata: { ...current.metadata } };
    next.status = serializedCopy(jsonMergePatch.apply(copyObject(current.status ?? {}), status));
    return copyObject(this.commit(current, next, { specUnchanged: true })) as T;
  }

  async delete(key: ObjectKey, options: WriteOptions = {}): Promise<void> {
    this.requests.delete++;
    const current = this.mustGet(key, options.resourceVersion);
    if (current.metadata.finalizers?.length) {
      if (current.metadata.deletionTimestamp) return;
      const next = copyObject(current);
      next.metadata.deletionTimestamp = this.now().toISOString();
      this.commit(current, next);
      return;
    }
    this.remove(current);
  }

  watch<T extends KubeObject>(key: CollectionKey, onEvent: (event: WatchEvent<T>) => void): Unsubscribe {
    const watcher: Watcher = { key, onEvent: onEvent as (e: WatchEvent) => void };
    const existing = [...this.objects.values()]
      .filter((o) => sameCollection(key, o))
      .map((o) => copyObject(cacheShape(o)));
    this.watchers.add(watcher);
    queueMicrotask(() => {
      for (const object of existing)
        if (this.watchers.has(watcher)) watcher.onEvent({ type: 'ADDED', object });
    });
    return () => this.watchers.delete(watcher);
  }

  /** Every stored object, for assertions in tests. */
  snapshot(): KubeObject[] {
    return [...this.objects.values()].map((o) => copyObject(o));
  }

  private mustGet(key: ObjectKey, resourceVersion: string | undefined): KubeObject {
    const current = this.objects.get(storeKey(key));
    if (!current) throw new NotFoundError(`${describeKey(key)} not found`);
    if (resourceVersion !== undefined && resourceVersion !== current.metadata.resourceVersion) {
      throw new ConflictError(
        `Operation cannot be fulfilled on ${describeKey(key)}: the object has been modified; please apply your changes to the latest version and try again`,
      );
    }
    return current;
  }

  /** Fields a patch may not change. */
  private keepIdentity(current: KubeObject, next: KubeObject): void {
    next.apiVersion = current.apiVersion;
    next.kind = current.kind;
    next.metadata.name = current.metadata.name;
    next.metadata.namespace = current.metadata.namespace;
    next.metadata.uid = current.metadata.uid;
    next.metadata.creationTimestamp = current.metadata.creationTimestamp;
    next.metadata.generation = current.metadata.generation;
    if (current.metadata.deletionTimestamp)
      next.metadata.deletionTimestamp = current.metadata.deletionTimestamp;
    else delete next.metadata.deletionTimestamp;
    (next as { status?: unknown }).status = (current as { status?: unknown }).status;
    if ((next as { status?: unknown }).status === undefined) delete (next as { status?: unknown }).status;
  }

  /**
   * Stores a changed object: a no-op write keeps the resourceVersion, as the API server does.
   * `specUnchanged`: the caller knows that only metadata and status can differ.
   */
  private commit(current: KubeObject, next: KubeObject, { specUnchanged = false } = {}): KubeObject {
    delete next.metadata.resourceVersion;
    const sameSpec = specUnchanged || sameSpecPart(current, next);
    const status = (o: KubeObject) => (o as { status?: unknown }).status;
    if (sameSpec && sameMetadata(current, next) && jsonEqual(status(current), status(next))) return current;
    if (!sameSpec) next.metadata.generation = (current.metadata.generation ?? 1) + 1;
    next.metadata.resourceVersion = this.nextRevision();
    if (next.metadata.deletionTimestamp && !next.metadata.finalizers?.length) {
      this.remove(next);
      return next;
    }
    this.objects.set(storeKey(keyOf(next)), next);
    this.emit('MODIFIED', next);
    return next;
  }

  private remove(obj: KubeObject): void {
    this.objects.delete(storeKey(keyOf(obj)));
    this.emit('DELETED', obj);
    const uid = obj.metadata.uid;
    const dependents = [...this.objects.values()].filter((o) =>
      o.metadata.ownerReferences?.some((ref) => ref.uid === uid),
    );
    for (const d of dependents) this.collect(d);
  }

  /**
   * The garbage collector's part (not counted in {@link requests}): a dependent goes when none of its
   * owners exists any more; otherwise only the references to vanished owners are dropped.
   */
  private collect(dependent: KubeObject): void {
    const current = this.objects.get(storeKey(keyOf(dependent)));
    if (!current) return;
    const refs = current.metadata.ownerReferences ?? [];
    const living = refs.filter((ref) => this.uidExists(ref.uid));
    const next = copyObject(current);
    if (living.length > 0) {
      next.metadata.ownerReferences = living;
      this.commit(current, next);
    } else if (current.metadata.finalizers?.length) {
      if (current.metadata.deletionTimestamp) return;
      next.metadata.deletionTimestamp = this.now().toISOString();
      this.commit(current, next);
    } else {
      this.remove(current);
    }
  }

  private uidExists(uid: string): boolean {
    for (const o of this.objects.values()) if (o.metadata.uid === uid) return true;
    return false;
  }

  private nextRevision(): string {
    this.revision += 1;
    return String(this.revision);
  }

  private emit(type: WatchEvent['type'], obj: KubeObject): void {
    const snapshot = copyObject(cacheShape(obj));
    for (const w of this.watchers) {
      if (sameCollection(w.key, snapshot))
        queueMicrotask(() => w.onEvent({ type, object: copyObject(snapshot) }));
    }
  }
}
