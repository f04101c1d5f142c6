/**
 * The cluster port: the narrow set of Kubernetes operations Fledge uses. The real adapter (over
 * `@kubernetes/client-node`, reads served from informer caches) and the in-memory one used by the
 * sandbox and unit tests both implement it and are held to one contract suite.
 *
 * Reads keep what the caches keep (`cache-shape.ts`): no `metadata.managedFields`, and ConfigMaps and
 * Secrets as a {@link ConfigSummary} (a checksum in place of their content). {@link Cluster.getFull}
 * reads one object whole, past the caches, for the few places that need a content.
 *
 * Custom resources are only ever changed with a JSON merge patch or a full replace: the API server
 * refuses strategic merge patches for them.
 */

/** Reference from a dependent to its owner; the garbage collector deletes dependents with the owner. */
export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
  finalizers?: string[];
}

/** Any Kubernetes object. Typed views (Deployment, Canary, ...) narrow it. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
}

export type { ConfigSummary } from './cache-shape.js';

/** Identifies one namespaced object. */
export interface ObjectKey {
  apiVersion: string;
  kind: string;
  namespace: string;
  name: string;
}

/** Identifies a collection: one kind in one namespace, or in all namespaces. */
export interface CollectionKey {
  apiVersion: string;
  kind: string;
  /** Omit for all namespaces. */
  namespace?: string;
}

/** An RFC 7386 JSON merge patch: `null` deletes a key, lists are replaced whole. */
export type MergePatch = Record<string, unknown>;

export interface WriteOptions {
  /** Optimistic-concurrency precondition: the write fails with {@link ConflictError} if the object moved on. */
  resourceVersion?: string;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface WatchEvent<T extends KubeObject = KubeObject> {
  type: WatchEventType;
  object: T;
}

/** Stops a watch. */
export type Unsubscribe = () => void;

/** The operations Fledge performs on a cluster. */
export interface Cluster {
  /**
   * Reads one object as the caches keep it (ConfigMaps and Secrets as a {@link ConfigSummary});
   * `undefined` when it does not exist.
   */
  get<T extends KubeObject>(key: ObjectKey): Promise<T | undefined>;
  /**
   * Reads one object whole, content included, from the API server (a GET: never from a cache);
   * `undefined` when it does not exist. For content only `get` does not give: a ConfigMap's or
   * Secret's data, read when it is copied or used, never kept.
   */
  getFull<T extends KubeObject>(key: ObjectKey): Promise<T | undefined>;
  /** Lists a collection as the caches keep it, optionally filtered by equality label selector. */
  list<T extends KubeObject>(key: CollectionKey, labels?: Record<string, string>): Promise<T[]>;
  /** Creates an object; {@link AlreadyExistsError} when the name is taken. */
  create<T extends KubeObject>(object: T): Promise<T>;
  /** Replaces an object whole (PUT); `metadata.resourceVersion`, when set, is a precondition. Status is ignored. */
  replace<T extends KubeObject>(object: T): Promise<T>;
  /** Applies a JSON merge patch to the main resource (status changes are ignored). */
  patch<T extends KubeObject>(key: ObjectKey, patch: MergePatch, options?: WriteOptions): Promise<T>;
  /** Applies a JSON merge patch to `.status` through the status subresource. */
  patchStatus<T extends KubeObject>(key: ObjectKey, status: MergePatch, options?: WriteOptions): Promise<T>;
  /** Deletes an object. With finalizers it is only marked (`deletionTimestamp`); dependents are collected. */
  delete(key: ObjectKey, options?: WriteOptions): Promise<void>;
  /** Streams changes of a collection, starting with an ADDED event per existing object. */
  watch<T extends KubeObject>(key: CollectionKey, onEvent: (event: WatchEvent<T>) => void): Unsubscribe;
}

/** A failed API call, with the HTTP status the API server answered. */
export class KubeApiError extends Error {
  override name = 'KubeApiError';
  constructor(
    message: string,
    readonly status: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** 404: the object does not exist. */
export class NotFoundError extends KubeApiError {
  override name = 'NotFoundError';
  constructor(message: string, options?: ErrorOptions) {
    super(message, 404, options);
  }
}

/** 409 on a write with a stale resourceVersion: re-read and decide again, never overwrite blindly. */
export class ConflictError extends KubeApiError {
  override name = 'ConflictError';
  constructor(message: string, options?: ErrorOptions) {
    super(message, 409, options);
  }
}

/** 409 on create: the name is taken. */
export class AlreadyExistsError extends KubeApiError {
  override name = 'AlreadyExistsError';
  constructor(message: string, options?: ErrorOptions) {
    super(message, 409, options);
  }
}

/** 422: the API server rejected the object (schema, immutable field, ...); the message is the server's. */
export class InvalidError extends KubeApiError {
  override name = 'InvalidError';
  constructor(message: string, options?: ErrorOptions) {
    super(message, 422, options);
  }
}

/** `namespace/name` of an object, for messages and logs. */
export function describeKey(key: { kind: string; namespace?: string; name: string }): string {
  return `${key.kind} ${key.namespace ? `${key.namespace}/` : ''}${key.name}`;
}

/** The key of an existing object. */
export function keyOf(object: KubeObject): ObjectKey {
  return {
    apiVersion: object.apiVersion,
    kind: object.kind,
    namespace: object.metadata.namespace ?? 'default',
    name: object.metadata.name,
  };
}
