/**
 * One informer: lists a collection, then watches it from the list's resourceVersion, keeping a
 * {@link CollectionCache} current and telling subscribers about every change. It never stops by
 * itself: a failed list or watch is retried with capped, jittered exponential backoff (and logged);
 * a broken watch resumes from its last resourceVersion (relisting after repeated failures); 410 Gone
 * relists at once; a watch that goes silent longer than its own server-side timeout is
 * treated as dropped. Only {@link Informer.stop} ends it.
 */
import { cacheShape } from '../cache-shape.js';
import { copyObject } from '../copy.js';
import type { Logger } from 'pino';
import type { KubeObject, Unsubscribe, WatchEvent, WatchEventType } from '../cluster.js';
import { backoffDelayMs, type BackoffOptions } from './backoff.js';
import { collectionPath, resourceLabel, type ResourceInfo } from './discovery.js';
import { ExpiredError, isStatus, toKubeError } from './errors.js';
import { CollectionCache } from './informer-cache.js';
import type { KubeTransport } from './transport.js';

/** Log keys of the informer's lines. */
export const InformerLogKeys = {
  collection: 'collection',
  attempt: 'attempt',
  delayMs: 'delayMs',
  relist: 'relist',
  err: 'err',
} as const;

export interface InformerOptions {
  /** Collection id for logs, e.g. `fledge.dev/v1alpha1 Canary ns`. */
  name: string;
  /** Resolves the resource (discovery) before each list. */
  resolve: () => Promise<ResourceInfo>;
  /** Undefined for all namespaces. */
  namespace: string | undefined;
  transport: KubeTransport;
  logger: Logger;
  /** Hands out increasing tickets, shared with the writes (see {@link CollectionCache.replace}). */
  nextSeq: () => number;
  backoff?: BackoffOptions;
  random?: () => number;
  /** Server-side watch timeout range in seconds (default 300..600); spreads reconnects. */
  watchTimeoutSeconds?: { min: number; max: number };
  /** Extra silence tolerated past the watch timeout before the watch counts as dropped (default 30 s). */
  silenceGraceMs?: number;
  /** A watch that lasted this long resets the failure count (default 10 s). */
  stableAfterMs?: number;
  /** Page size of lists (default 500). */
  pageSize?: number;
}

/** Consecutive watch failures after which the informer relists instead of resuming. */
const RELIST_AFTER_FAILURES = 3;

type Subscriber = (event: WatchEvent) => void;

/** How one watch ended, as the loop sees it. */
type Outcome = 'closed' | 'expired' | 'failed';

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal.aborted || ms <= 0) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done);
  });

export class Informer {
  readonly cache = new CollectionCache();
  private readonly subscribers = new Set<Subscriber>();
  private readonly stopController = new AbortController();
  private started = false;
  private hasSynced = false;
  private syncWaiters: { resolve: () => void; reject: (err: unknown) => void }[] = [];
  private resourceVersion: string | undefined;
  private failures = 0;
  /** When (performance.now) the current run of failures began; undefined while healthy. */
  private failingSinceMs: number | undefined;
  private lastErrorMessage: string | undefined;
  /** Restarts after a failure, for diagnostics. */
  restarts = 0;
  /** Completed lists (the first one included). */
  lists = 0;

  constructor(private readonly o: InformerOptions) {}

  /** The namespace of the collection; undefined for all namespaces. */
  get namespace(): string | undefined {
    return this.o.namespace;
  }

  /** Whether the first list has completed. */
  get synced(): boolean {
    return this.hasSynced;
  }

  get stopped(): boolean {
    return this.stopController.signal.aborted;
  }

  /**
   * How long the list/watch loop has been failing without a successful list or a stable watch in
   * between (0 while healthy), and the last error: what the controller's health endpoints report.
   */
  failing(nowMs: number = performance.now()): { forMs: number; error?: string } {
    if (this.failingSinceMs === undefined) return { forMs: 0 };
    return {
      forMs: Math.max(0, nowMs - this.failingSinceMs),
      ...(this.lastErrorMessage ? { error: this.lastErrorMessage } : {}),
    };
  }

  /** Starts the list/watch loop (once). */
  start(): void {
    if (this.started || this.stopped) return;
    this.started = true;
    void this.run();
  }

  /** Ends the loop and any watch in flight; waiting readers are rejected. */
  stop(): void {
    this.stopController.abort();
    this.subscribers.clear();
    this.rejectWaiters(new Error(`informer ${this.o.name} stopped`));
  }

  /**
   * Resolves once the cache holds a full list. Rejects if the attempt in progress fails before that
   * (the loop keeps retrying; the next call waits for the next attempt).
   */
  whenSynced(): Promise<void> {
    if (this.hasSynced) return Promise.resolve();
    if (this.stopped) return Promise.reject(new Error(`informer ${this.o.name} stopped`));
    return new Promise((resolve, reject) => this.syncWaiters.push({ resolve, reject }));
  }

  /**
   * Delivers ADDED for each object already listed, then every change, in order. Subscribers that
   * join before the first list get its objects as ADDED events.
   */
  subscribe(onEvent: (event: WatchEvent) => void): Unsubscribe {
    const queue: WatchEvent[] = [];
    let scheduled = false;
    const drain = () => {
      scheduled = false;
      while (queue.length > 0 && this.subscribers.has(subscriber)) {
        const event = queue.shift() as WatchEvent;
        try {
          onEvent(event);
        } catch (err) {
          this.o.logger.error(
            { [InformerLogKeys.collection]: this.o.name, [InformerLogKeys.err]: err },
            'watch subscriber threw',
          );
        }
      }
    };
    const subscriber: Subscriber = (event) => {
      queue.push({ type: event.type, object: copyObject(event.object) });
      if (!scheduled) {
        scheduled = true;
        queueMicrotask(drain);
      }
    };
    this.subscribers.add(subscriber);
    if (this.hasSynced)
      for (const object of this.cache.streamObjects()) subscriber({ type: 'ADDED', object });
    return () => {
      this.subscribers.delete(subscriber);
    };
  }

  /** Number of live subscribers. */
  get subscriberCount(): number {
    return this.subscribers.size;
  }

  private async run(): Promise<void> {
    const signal = this.stopController.signal;
    while (!signal.aborted) {
      let outcome: Outcome;
      let error: unknown;
      let startedAt = performance.now();
      try {
        if (this.resourceVersion === undefined) await this.relist();
        if (signal.aborted) break;
        startedAt = performance.now();
        ({ outcome, error } = await this.watchOnce());
      } catch (err) {
        outcome = err instanceof ExpiredError ? 'expired' : 'failed';
        error = err;
        if (!this.hasSynced) this.rejectWaiters(err);
      }
      if (signal.aborted) break;
      const stable = performance.now() - startedAt >= (this.o.stableAfterMs ?? 10_000);
      if (stable) {
        this.failures = 0;
        this.failingSinceMs = undefined;
      }
      // A long watch ending without error is the server's own timeout: watch again from where it was.
      if (outcome === 'closed' && stable) {
        this.o.logger.debug(
          { [InformerLogKeys.collection]: this.o.name },
          'informer watch ended, watching again',
        );
        continue;
      }
      this.failures += 1;
      this.failingSinceMs ??= performance.now();
      this.lastErrorMessage = error instanceof Error ? error.message : String(error);
      // A broken stream resumes from the last resourceVersion; 410, or repeated failures, relist.
      if (outcome === 'expired' || (outcome === 'failed' && this.failures >= RELIST_AFTER_FAILURES))
        this.resourceVersion = undefined;
      const delayMs =
        outcome === 'expired' && this.failures === 1
          ? 0
          : backoffDelayMs(this.failures - 1, this.o.backoff, this.o.random);
      this.restarts += 1;
      this.o.logger.warn(
        {
          [InformerLogKeys.collection]: this.o.name,
          [InformerLogKeys.attempt]: this.failures,
          [InformerLogKeys.delayMs]: delayMs,
          [InformerLogKeys.relist]: this.resourceVersion === undefined,
          [InformerLogKeys.err]: error,
        },
        outcome === 'expired' ? 'informer resourceVersion expired, relisting' : 'informer restarting',
      );
      await sleep(delayMs, signal);
    }
  }

  /** Lists the whole collection page by page and replaces the cache with it. */
  private async relist(): Promise<void> {
    const info = await this.o.resolve();
    const path = collectionPath(info, this.o.namespace);
    const count = `list ${resourceLabel(info)}`;
    const listStartedSeq = this.o.nextSeq();
    const items: KubeObject[] = [];
    let continueToken: string | undefined;
    let listVersion: string | undefined;
    do {
      const response = await this.o.transport.send({
        method: 'GET',
        path,
        query: { limit: String(this.o.pageSize ?? 500), continue: continueToken },
        count,
      });
      if (response.status !== 200) throw toKubeError(response.status, response.body, `list ${this.o.name}`);
      const body = response.body as {
        metadata?: { resourceVersion?: string; continue?: string };
        items?: KubeObject[];
      };
      // List items carry no apiVersion/kind of their own. Shaped page by page, so that a relist
      // never holds a whole namespace's Secret values at once.
      for (const item of body.items ?? [])
        items.push(cacheShape({ ...item, apiVersion: info.apiVersion, kind: info.kind }));
      continueToken = body.metadata?.continue || undefined;
      listVersion = body.metadata?.resourceVersion;
    } while (continueToken !== undefined && !this.stopped);
    if (this.stopped) return;
    if (!listVersion) throw new Error(`list ${this.o.name}: the answer has no metadata.resourceVersion`);
    const events = this.cache.replace(items, listStartedSeq);
    this.resourceVersion = listVersion;
    this.lists += 1;
    this.failingSinceMs = undefined;
    this.dispatch(events);
    if (!this.hasSynced) {
      this.hasSynced = true;
      const waiters = this.syncWaiters;
      this.syncWaiters = [];
      for (const w of waiters) w.resolve();
    }
  }

  /** Watches from the cached resourceVersion until the stream ends. */
  private async watchOnce(): Promise<{ outcome: Outcome; error?: unknown }> {
    const info = await this.o.resolve();
    const range = this.o.watchTimeoutSeconds ?? { min: 300, max: 600 };
    const timeoutSeconds = Math.round(range.min + (range.max - range.min) * (this.o.random ?? Math.random)());
    const abort = new AbortController();
    const onStop = () => abort.abort();
    this.stopController.signal.addEventListener('abort', onStop);
    if (this.stopped) abort.abort();
    let outcome: Outcome | undefined;
    let error: unknown;
    const silenceMs = timeoutSeconds * 1000 + (this.o.silenceGraceMs ?? 30_000);
    let watchdog = setTimeout(onSilence, silenceMs);
    function onSilence() {
      outcome = 'failed';
      error = new Error(`watch silent for ${silenceMs} ms`);
      abort.abort();
    }
    const onEvent = (type: string, object: unknown) => {
      clearTimeout(watchdog);
      watchdog = setTimeout(onSilence, silenceMs);
      if (outcome !== undefined) return;
      if (type === 'ERROR') {
        const status = isStatus(object) ? (object.code ?? 500) : 500;
        error = toKubeError(status, object, `watch ${this.o.name}`);
        outcome = status === 410 ? 'expired' : 'failed';
        abort.abort();
        return;
      }
      const rv = (object as KubeObject | undefined)?.metadata?.resourceVersion;
      if (rv) this.resourceVersion = rv;
      if (type === 'BOOKMARK') return;
      if (type !== 'ADDED' && type !== 'MODIFIED' && type !== 'DELETED') return;
      try {
        this.dispatch([this.cache.apply(type as WatchEventType, object as KubeObject)]);
      } catch (err) {
        this.o.logger.error(
          { [InformerLogKeys.collection]: this.o.name, [InformerLogKeys.err]: err },
          'bad watch event',
        );
      }
    };
    try {
      const end = await this.o.transport.watch(
        collectionPath(info, this.o.namespace),
        {
          resourceVersion: this.resourceVersion,
          allowWatchBookmarks: 'true',
          timeoutSeconds: String(timeoutSeconds),
        },
        `watch ${resourceLabel(info)}`,
        onEvent,
        abort.signal,
      );
      if (outcome === undefined && end.kind === 'error') {
        const status = (end.error as { statusCode?: number }).statusCode;
        outcome = status === 410 ? 'expired' : 'failed';
        error = end.error;
      }
      return { outcome: outcome ?? 'closed', error };
    } finally {
      clearTimeout(watchdog);
      this.stopController.signal.removeEventListener('abort', onStop);
    }
  }

  private dispatch(events: readonly WatchEvent[]): void {
    for (const event of events) for (const subscriber of this.subscribers) subscriber(event);
  }

  private rejectWaiters(err: unknown): void {
    const waiters = this.syncWaiters;
    this.syncWaiters = [];
    for (const w of waiters) w.reject(err);
  }
}
