/**
 * The real {@link Cluster}: writes go to the API server; reads are served from informer caches
 * (objects in the form `cache-shape.ts` gives them), so a tick in steady state sends no GET; only
 * `getFull` asks the API server. The first read of a collection (kind + namespace, or kind in
 * all namespaces) starts its informer and waits for the first list; later reads never wait. The
 * answers of this process's writes are laid over the caches until the watch delivers them, so a read
 * after a write sees it. The informers and that record of writes are kept by `informer-set.ts`;
 * this file is the request plumbing of each verb.
 *
 * Only merge patches (`application/merge-patch+json`) are sent: the API server answers 415 to a
 * strategic merge patch on a custom resource. Every request passes a token bucket (`qps`, `burst`)
 * and is counted in {@link ClientNodeCluster.requests}.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import { pino, type Logger } from 'pino';
import {
  KubeApiError,
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
import type { KubeCredentials } from './credentials.js';
import { validateBackoff } from './backoff.js';
import { ResourceDiscovery, collectionPath, objectPath, resourceLabel } from './discovery.js';
import { isStatus, toKubeError } from './errors.js';
import { copyObject } from '../copy.js';
import type { Informer } from './informer.js';
import { InformerSet, type InformerStats, type InformerTuning } from './informer-set.js';
import { isKubeObject, withPrecondition } from './write-body.js';
import { TokenBucket } from './rate-limiter.js';
import { KubeTransport, maxConnectionsFor, type KubeRequest, type RequestCounts } from './transport.js';

/** Content type of an RFC 7386 JSON merge patch, the only patch Fledge sends. */
export const MERGE_PATCH = 'application/merge-patch+json';

export type { InformerStats, InformerTuning } from './informer-set.js';

export interface ClientNodeClusterOptions {
  /** Where to send requests and as whom, from {@link loadCredentials}; or give `kubeConfig`. */
  credentials?: KubeCredentials;
  /** A client-node KubeConfig (from {@link loadKubeConfig}), instead of `credentials`. */
  kubeConfig?: KubeConfig;
  /** Sustained requests per second (default 20). */
  qps?: number;
  /** Requests allowed at once (default 30). */
  burst?: number;
  /** Defaults to a silent logger. */
  logger?: Logger;
  /** Monotonic clock in milliseconds (rate limiter, discovery refresh); defaults to `performance.now`. */
  now?: () => number;
  /** Uniform random numbers in [0, 1) for jitter; defaults to `Math.random`. */
  random?: () => number;
  /** Per-request deadline (default 30 s). */
  requestTimeoutMs?: number;
  informers?: InformerTuning;
}

function matchesLabels(object: KubeObject, labels: Record<string, string> | undefined): boolean {
  return Object.entries(labels ?? {}).every(([k, v]) => object.metadata.labels?.[k] === v);
}

/** The real {@link Cluster}: requests to the API server, reads from informer caches (see above). */
export class ClientNodeCluster implements Cluster {
  /** Requests sent, keyed `${verb} ${resource}` (see {@link RequestCounts}). */
  readonly requests: RequestCounts = {};
  private readonly transport: KubeTransport;
  private readonly discovery: ResourceDiscovery;
  private readonly informers: InformerSet;
  private stopped = false;

  constructor(o: ClientNodeClusterOptions) {
    if ((o.credentials === undefined) === (o.kubeConfig === undefined))
      throw new Error('credentials, kubeConfig: give exactly one');
    if (o.requestTimeoutMs !== undefined && !(o.requestTimeoutMs > 0))
      throw new Error(`requestTimeoutMs: must be > 0, got ${o.requestTimeoutMs}`);
    validateBackoff(o.informers?.backoff ?? {});
    const range = o.informers?.watchTimeoutSeconds;
    if (range && !(range.min >= 1 && range.max >= range.min))
      throw new Error(`informers.watchTimeoutSeconds: need 1 <= min <= max, got ${JSON.stringify(range)}`);
    const qps = o.qps ?? 20;
    const limiter = new TokenBucket({
      qps,
      burst: o.burst ?? 30,
      ...(o.now ? { now: o.now } : {}),
    });
    this.transport = new KubeTransport({
      ...(o.credentials ? { credentials: o.credentials } : {}),
      ...(o.kubeConfig ? { kubeConfig: o.kubeConfig } : {}),
      limiter,
      requests: this.requests,
      maxConnections: maxConnectionsFor(qps),
      ...(o.requestTimeoutMs ? { requestTimeoutMs: o.requestTimeoutMs } : {}),
    });
    this.discovery = new ResourceDiscovery({ transport: this.transport, ...(o.now ? { now: o.now } : {}) });
    this.informers = new InformerSet({
      transport: this.transport,
      discovery: this.discovery,
      logger: o.logger ?? pino({ level: 'silent' }),
      tuning: o.informers,
      random: o.random,
    });
  }

  async get<T extends KubeObject>(key: ObjectKey): Promise<T | undefined> {
    const informer = await this.syncedReader({
      apiVersion: key.apiVersion,
      kind: key.kind,
      namespace: key.namespace,
    });
    const found = informer.cache.get(`${key.namespace}/${key.name}`);
    return found ? (copyObject(found) as T) : undefined;
  }

  async getFull<T extends KubeObject>(key: ObjectKey): Promise<T | undefined> {
    const info = await this.discovery.resolve(key.apiVersion, key.kind);
    const response = await this.transport.send({
      method: 'GET',
      path: objectPath(info, key.namespace, key.name),
      count: `get ${resourceLabel(info)}`,
    });
    if (response.status === 404) return undefined;
    if (response.status !== 200) throw toKubeError(response.status, response.body, `get ${describeKey(key)}`);
    if (!isKubeObject(response.body))
      throw new KubeApiError(`get ${describeKey(key)}: the answer is not an object`, response.status);
    const { managedFields: _dropped, ...metadata } = response.body.metadata as KubeObject['metadata'] & {
      managedFields?: unknown;
    };
    return { ...response.body, metadata } as T;
  }

  async list<T extends KubeObject>(key: CollectionKey, labels?: Record<string, string>): Promise<T[]> {
    const informer = await this.syncedReader(key);
    return informer.cache
      .list()
      .filter((o) => key.namespace === undefined || o.metadata.namespace === key.namespace)
      .filter((o) => matchesLabels(o, labels))
      .map((o) => copyObject(o) as T);
  }

  async create<T extends KubeObject>(object: T): Promise<T> {
    const info = await this.discovery.resolve(object.apiVersion, object.kind);
    const namespace = object.metadata?.namespace ?? 'default';
    const body = info.namespaced ? { ...object, metadata: { ...object.metadata, namespace } } : object;
    const action = `create ${describeKey({
      kind: object.kind,
      ...(info.namespaced ? { namespace } : {}),
      name: object.metadata?.name ?? '',
    })}`;
    return this.write<T>(action, {
      method: 'POST',
      path: collectionPath(info, namespace),
      body,
      count: `create ${resourceLabel(info)}`,
    });
  }

  async replace<T extends KubeObject>(object: T): Promise<T> {
    const key = keyOf(object);
    const info = await this.discovery.resolve(key.apiVersion, key.kind);
    return this.write<T>(`replace ${describeKey(key)}`, {
      method: 'PUT',
      path: objectPath(info, key.namespace, key.name),
      body: object,
      count: `update ${resourceLabel(info)}`,
    });
  }

  async patch<T extends KubeObject>(
    key: ObjectKey,
    patch: MergePatch,
    options: WriteOptions = {},
  ): Promise<T> {
    const info = await this.discovery.resolve(key.apiVersion, key.kind);
    // Status goes through patchStatus only, whether or not the kind has a status subresource.
    const { status: _status, ...rest } = patch;
    return this.write<T>(`patch ${describeKey(key)}`, {
      method: 'PATCH',
      path: objectPath(info, key.namespace, key.name),
      body: withPrecondition(rest, options.resourceVersion),
      contentType: MERGE_PATCH,
      count: `patch ${resourceLabel(info)}`,
    });
  }

  async patchStatus<T extends KubeObject>(
    key: ObjectKey,
    status: MergePatch,
    options: WriteOptions = {},
  ): Promise<T> {
    const info = await this.discovery.resolve(key.apiVersion, key.kind);
    if (!info.hasStatus)
      throw new KubeApiError(
        `patch status of ${describeKey(key)}: ${key.kind} has no status subresource`,
        404,
      );
    return this.write<T>(`patch status of ${describeKey(key)}`, {
      method: 'PATCH',
      path: objectPath(info, key.namespace, key.name, 'status'),
      body: withPrecondition({ status }, options.resourceVersion),
      contentType: MERGE_PATCH,
      count: `patch ${resourceLabel(info, 'status')}`,
    });
  }

  async delete(key: ObjectKey, options: WriteOptions = {}): Promise<void> {
    const info = await this.discovery.resolve(key.apiVersion, key.kind);
    const response = await this.transport.send({
      method: 'DELETE',
      path: objectPath(info, key.namespace, key.name),
      ...(options.resourceVersion !== undefined
        ? {
            body: {
              apiVersion: 'v1',
              kind: 'DeleteOptions',
              preconditions: { resourceVersion: options.resourceVersion },
            },
          }
        : {}),
      count: `delete ${resourceLabel(info)}`,
    });
    if (response.status < 200 || response.status > 299)
      throw toKubeError(response.status, response.body, `delete ${describeKey(key)}`);
    // Deleted at once: the answer is a Status naming the uid. Held by finalizers: the object itself.
    if (isStatus(response.body)) {
      this.informers.recordDeleted(key, response.body.details?.uid);
    } else if (isKubeObject(response.body)) {
      this.informers.recordWrite(response.body);
    }
  }

  watch<T extends KubeObject>(key: CollectionKey, onEvent: (event: WatchEvent<T>) => void): Unsubscribe {
    if (this.stopped) throw new Error('ClientNodeCluster is stopped');
    const informer = this.informers.informerFor(key);
    const unsubscribe = informer.subscribe(onEvent as (event: WatchEvent) => void);
    informer.start();
    return unsubscribe;
  }

  /** Ends every informer and watch; reads fail afterwards. */
  stop(): void {
    this.stopped = true;
    this.informers.stopAll();
  }

  /**
   * Stops and forgets the caches of one namespace that nothing watches (the Deployments, Services,
   * ConfigMaps, Secrets... read for its Canaries): called when a namespace's last Canary is gone,
   * so that a controller does not keep every namespace it ever served in memory. A later read
   * starts afresh. Watched collections are kept.
   */
  releaseNamespace(namespace: string): number {
    return this.informers.releaseNamespace(namespace);
  }

  /** One line per informer. */
  informerStats(): InformerStats[] {
    return this.informers.stats(performance.now());
  }

  /** Sends a write, maps a failure, records the answer in the caches. */
  private async write<T extends KubeObject>(action: string, request: KubeRequest): Promise<T> {
    const response = await this.transport.send(request);
    if (response.status < 200 || response.status > 299)
      throw toKubeError(response.status, response.body, action);
    if (!isKubeObject(response.body))
      throw new KubeApiError(`${action}: the answer is not an object`, response.status);
    this.informers.recordWrite(response.body);
    return copyObject(response.body) as T;
  }

  /** The synced informer covering `key` (see {@link InformerSet.syncedReader}); none once stopped. */
  private async syncedReader(key: CollectionKey): Promise<Informer> {
    if (this.stopped) throw new Error('ClientNodeCluster is stopped');
    return this.informers.syncedReader(key);
  }
}
