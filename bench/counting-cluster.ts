/**
 * A {@link Cluster} that counts the calls one client makes, keyed `${verb} ${kind}` with the API
 * server's verbs (`GET`, `LIST`, `WATCH`, `POST`, `PUT`, `PATCH`, `DELETE`; status writes as
 * `PATCH Kind/status`), then passes them on. The benchmark puts it between the controller and the
 * in-memory cluster so that only the controller's requests are counted, not the simulated
 * deployment controller's.
 */
import type {
  Cluster,
  CollectionKey,
  KubeObject,
  MergePatch,
  ObjectKey,
  Unsubscribe,
  WatchEvent,
  WriteOptions,
} from '../src/kube/cluster.js';

/** HTTP verbs the API server reports that are reads. */
export const READ_VERBS = ['GET', 'LIST'] as const;
/** HTTP verbs the API server reports that are writes. */
export const WRITE_VERBS = ['POST', 'PUT', 'PATCH', 'DELETE'] as const;

/** The verb of a `${verb} ${resource}` key. */
export function verbOf(key: string): string {
  return key.slice(0, key.indexOf(' '));
}

/** Sums the counts whose verb is one of `verbs`. */
export function sumByVerbs(counts: Readonly<Record<string, number>>, verbs: readonly string[]): number {
  let total = 0;
  for (const [key, n] of Object.entries(counts)) if (verbs.includes(verbOf(key))) total += n;
  return total;
}

export interface CountingClusterOptions {
  /**
   * Kinds whose creates are counted and answered but not stored: Events, which the controller only
   * ever writes. An API server keeps them (for an hour) in its own memory, not the controller's, so
   * an in-memory cluster that kept them would charge them to the controller's RSS.
   */
  discardCreatesOf?: readonly string[];
}

export class CountingCluster implements Cluster {
  /** Calls so far, keyed `${verb} ${kind}`. */
  readonly requests: Record<string, number> = {};
  private readonly discard: ReadonlySet<string>;

  constructor(
    private readonly inner: Cluster,
    options: CountingClusterOptions = {},
  ) {
    this.discard = new Set(options.discardCreatesOf ?? []);
  }

  get<T extends KubeObject>(key: ObjectKey): Promise<T | undefined> {
    this.count('GET', key.kind);
    return this.inner.get<T>(key);
  }

  getFull<T extends KubeObject>(key: ObjectKey): Promise<T | undefined> {
    this.count('GET', key.kind);
    return this.inner.getFull<T>(key);
  }

  list<T extends KubeObject>(key: CollectionKey, labels?: Record<string, string>): Promise<T[]> {
    this.count('LIST', key.kind);
    return this.inner.list<T>(key, labels);
  }

  create<T extends KubeObject>(object: T): Promise<T> {
    this.count('POST', object.kind);
    if (this.discard.has(object.kind)) return Promise.resolve(structuredClone(object));
    return this.inner.create(object);
  }

  replace<T extends KubeObject>(object: T): Promise<T> {
    this.count('PUT', object.kind);
    return this.inner.replace(object);
  }

  patch<T extends KubeObject>(key: ObjectKey, patch: MergePatch, options?: WriteOptions): Promise<T> {
    this.count('PATCH', key.kind);
    return this.inner.patch<T>(key, patch, options);
  }

  patchStatus<T extends KubeObject>(key: ObjectKey, status: MergePatch, options?: WriteOptions): Promise<T> {
    this.count('PATCH', `${key.kind}/status`);
    return this.inner.patchStatus<T>(key, status, options);
  }

  delete(key: ObjectKey, options?: WriteOptions): Promise<void> {
    this.count('DELETE', key.kind);
    return this.inner.delete(key, options);
  }

  watch<T extends KubeObject>(key: CollectionKey, onEvent: (event: WatchEvent<T>) => void): Unsubscribe {
    this.count('WATCH', key.kind);
    return this.inner.watch<T>(key, onEvent);
  }

  /** Forgets the counts so far. */
  reset(): void {
    for (const key of Object.keys(this.requests)) delete this.requests[key];
  }

  private count(verb: string, resource: string): void {
    const key = `${verb} ${resource}`;
    this.requests[key] = (this.requests[key] ?? 0) + 1;
  }
}
