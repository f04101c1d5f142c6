/**
 * The informers behind {@link ClientNodeCluster}'s reads: one per collection (kind + namespace, or
 * kind in all namespaces), created on first use, started on first read or watch, and the record of
 * this process's writes laid over them until the watch delivers the same. One sequence numbers the
 * informers' events and the writes alike, so a cache can tell which of the two is newer.
 */
import type { Logger } from 'pino';
import type { CollectionKey, KubeObject, ObjectKey } from '../cluster.js';
import { copyObject } from '../copy.js';
import type { BackoffOptions } from './backoff.js';
import type { ResourceDiscovery, ResourceInfo } from './discovery.js';
import { Informer } from './informer.js';
import type { KubeTransport } from './transport.js';

/** Informer tuning; the defaults suit production. */
export interface InformerTuning {
  backoff?: BackoffOptions;
  /** Server-side watch timeout range in seconds (default 300..600). */
  watchTimeoutSeconds?: { min: number; max: number };
  /** Silence past the watch timeout after which a watch counts as dropped (default 30 s). */
  silenceGraceMs?: number;
  /** A watch lasting this long resets the backoff (default 10 s). */
  stableAfterMs?: number;
  /** List page size (default 500). */
  pageSize?: number;
}

/** What one informer has done, for diagnostics and tests. */
export interface InformerStats {
  collection: string;
  synced: boolean;
  objects: number;
  lists: number;
  restarts: number;
  /** Writes whose answers the watch has not delivered yet. */
  pendingWrites: number;
  /** How long its list/watch loop has been failing (0 while healthy). */
  failingForMs: number;
  /** The last error of a failing loop. */
  lastError?: string;
}

/** What an {@link InformerSet} lists, watches and logs with; validated by its owner. */
export interface InformerSetOptions {
  transport: KubeTransport;
  discovery: ResourceDiscovery;
  logger: Logger;
  tuning?: InformerTuning | undefined;
  /** Uniform random numbers in [0, 1) for jitter; defaults to `Math.random`. */
  random?: (() => number) | undefined;
}

function collectionId(apiVersion: string, kind: string, namespace: string | undefined): string {
  return `${apiVersion} ${kind} ${namespace ?? '*'}`;
}

/** The informers of one {@link ClientNodeCluster}, keyed by collection. */
export class InformerSet {
  private readonly informers = new Map<string, Informer>();
  private seq = 0;

  constructor(private readonly o: InformerSetOptions) {}

  /** The informer for exactly this collection, created (not started) when missing. */
  informerFor(key: CollectionKey): Informer {
    const id = collectionId(key.apiVersion, key.kind, key.namespace);
    let informer = this.informers.get(id);
    if (!informer) {
      const tuning = this.o.tuning ?? {};
      informer = new Informer({
        name: id,
        namespace: key.namespace,
        resolve: (): Promise<ResourceInfo> => this.o.discovery.resolve(key.apiVersion, key.kind),
        transport: this.o.transport,
        logger: this.o.logger,
        nextSeq: () => this.nextSeq(),
        ...(tuning.backoff ? { backoff: tuning.backoff } : {}),
        ...(tuning.watchTimeoutSeconds ? { watchTimeoutSeconds: tuning.watchTimeoutSeconds } : {}),
        ...(tuning.silenceGraceMs !== undefined ? { silenceGraceMs: tuning.silenceGraceMs } : {}),
        ...(tuning.stableAfterMs !== undefined ? { stableAfterMs: tuning.stableAfterMs } : {}),
        ...(tuning.pageSize !== undefined ? { pageSize: tuning.pageSize } : {}),
        ...(this.o.random ? { random: this.o.random } : {}),
      });
      this.informers.set(id, informer);
    }
    return informer;
  }

  /**
   * A synced informer that covers the collection: an all-namespaces one already synced, or the
   * collection's own. An informer whose first list failed and that nobody watches is dropped, so
   * the next read starts afresh and the caller gets the error (RBAC, unknown kind, unreachable).
   */
  async syncedReader(key: CollectionKey): Promise<Informer> {
    if (key.namespace !== undefined) {
      const wide = this.informers.get(collectionId(key.apiVersion, key.kind, undefined));
      if (wide?.synced) return wide;
    }
    const informer = this.informerFor(key);
    informer.start();
    try {
      await informer.whenSynced();
    } catch (err) {
      if (!informer.synced && informer.subscriberCount === 0 && !informer.stopped) {
        informer.stop();
        this.informers.delete(collectionId(key.apiVersion, key.kind, key.namespace));
      }
      throw err;
    }
    return informer;
  }

  /** Lays the API server's answer to a write over the caches holding its kind and namespace. */
  recordWrite(object: KubeObject): void {
    const seq = this.nextSeq();
    const stored = copyObject(object);
    for (const informer of this.informersHolding(object.apiVersion, object.kind, object.metadata.namespace))
      informer.cache.recordWrite(stored, seq);
  }

  /** Marks `key` deleted (the object with `uid`, when the API server named it) in the caches holding it. */
  recordDeleted(key: ObjectKey, uid: string | undefined): void {
    const id = `${key.namespace}/${key.name}`;
    const seq = this.nextSeq();
    for (const informer of this.informersHolding(key.apiVersion, key.kind, key.namespace))
      informer.cache.recordDeleted(id, uid, seq);
  }

  /** Stops and forgets the unwatched informers of `namespace`; how many there were. */
  releaseNamespace(namespace: string): number {
    let released = 0;
    for (const [id, informer] of this.informers) {
      if (informer.namespace !== namespace || informer.subscriberCount > 0) continue;
      informer.stop();
      this.informers.delete(id);
      released += 1;
    }
    return released;
  }

  /** One line per informer, failing times measured to `now` (a `performance.now()` reading, ms). */
  stats(now: number): InformerStats[] {
    return [...this.informers.entries()].map(([collection, informer]) => {
      const failing = informer.failing(now);
      return {
        collection,
        synced: informer.synced,
        objects: informer.cache.streamObjects().length,
        lists: informer.lists,
        restarts: informer.restarts,
        pendingWrites: informer.cache.pendingOverlays,
        failingForMs: failing.forMs,
        ...(failing.error ? { lastError: failing.error } : {}),
      };
    });
  }

  /** Stops and forgets every informer. */
  stopAll(): void {
    for (const informer of this.informers.values()) informer.stop();
    this.informers.clear();
  }

  private *informersHolding(
    apiVersion: string,
    kind: string,
    namespace: string | undefined,
  ): Iterable<Informer> {
    for (const ns of new Set([namespace, undefined])) {
      const informer = this.informers.get(collectionId(apiVersion, kind, ns));
      if (informer) yield informer;
    }
  }

  private nextSeq(): number {
    this.seq += 1;
    return this.seq;
  }
}
