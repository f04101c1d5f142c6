/**
 * Sends requests to the API server with client-node's KubeConfig authentication and TLS agent,
 * rate limited and counted, through {@link boundedFetch}: each request's deadline covers the whole
 * answer and at most {@link MAX_KUBE_RESPONSE_BYTES} are read (client-node's own fetch layer can
 * do neither: its body is read whole, and its size limit cannot be set). Bodies are plain JSON in
 * and out.
 *
 * Why not client-node's generic `KubernetesObjectApi`: it (1) deserializes built-in kinds into its
 * generated model classes (timestamps become `Date`s, while the port deals in plain JSON), (2)
 * serializes writes through those models, dropping fields the models do not know, (3) cannot address
 * the `/status` subresource, and (4) defaults patches to strategic merge, which custom resources refuse.
 */
import type { Agent } from 'node:http';
import { Agent as HttpsAgent, type RequestOptions } from 'node:https';
import { Watch, type KubeConfig } from '@kubernetes/client-node';
import { boundedFetch } from '../../http/outbound.js';
import { ApiUnreachableError } from './errors.js';
import type { TokenBucket } from './rate-limiter.js';

/** One request. */
export interface KubeRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Absolute API path, e.g. `/apis/apps/v1/namespaces/ns/deployments/name`. */
  path: string;
  query?: Record<string, string | undefined>;
  /** Sent as JSON. */
  body?: unknown;
  /** Defaults to `application/json` when there is a body. */
  contentType?: string;
  /** Counter key, `${verb} ${resource}` (see {@link RequestCounts}). */
  count: string;
}

/** The server's answer; `body` is parsed JSON, or the raw text when it is not JSON. */
export interface KubeResponse {
  status: number;
  body: unknown;
}

/**
 * Requests sent, keyed `${verb} ${resource}` with Kubernetes verbs and resource names
 * (`list deployments.apps`, `watch canaries.fledge.dev`, `patch canaries.fledge.dev/status`,
 * `create events.events.k8s.io`, `update ...` for a replace, `delete ...`), so that they can be set
 * beside the server's `apiserver_request_total` (whose `verb` label says POST for create and PUT for
 * update; its `resource`/`group`/`subresource` labels split what is joined here). Each list page
 * counts once. Discovery requests count as `discovery ${apiVersion}`.
 */
export type RequestCounts = Record<string, number>;

/**
 * Bytes of one API answer read at most. Lists come in pages of 500 objects (a few MB at most);
 * beyond this the answer is not the API server's.
 */
export const MAX_KUBE_RESPONSE_BYTES = 64 * 1024 * 1024;

/** How a watch stream ended. */
export type WatchEnd = { kind: 'closed' } | { kind: 'error'; error: unknown };

export interface KubeTransportOptions {
  kubeConfig: KubeConfig;
  limiter: TokenBucket;
  requests: RequestCounts;
  /** Per-request deadline, whole answer included (default 30 s); watches are exempt. */
  requestTimeoutMs?: number;
  /** Bytes of one answer read at most (default {@link MAX_KUBE_RESPONSE_BYTES}). */
  maxResponseBytes?: number;
}

/** The adapter's only path to the network. */
export class KubeTransport {
  private readonly server: URL;
  private readonly watcher: Watch;
  private readonly requestTimeoutMs: number;
  private agent: { tls: string; agent: HttpsAgent } | undefined;

  constructor(private readonly o: KubeTransportOptions) {
    const cluster = o.kubeConfig.getCurrentCluster();
    if (!cluster?.server) throw new Error('kubeConfig: the current context names no cluster with a server');
    this.server = new URL(cluster.server);
    this.watcher = new Watch(o.kubeConfig);
    this.requestTimeoutMs = o.requestTimeoutMs ?? 30_000;
  }

  /** The API server's base address. */
  get serverUrl(): string {
    return this.o.kubeConfig.getCurrentCluster()?.server ?? '';
  }

  /**
   * Sends one request and returns the answer whatever its status.
   * @throws ApiUnreachableError when no answer came (refused, reset, timed out)
   */
  async send(request: KubeRequest): Promise<KubeResponse> {
    await this.o.limiter.acquire();
    this.o.requests[request.count] = (this.o.requests[request.count] ?? 0) + 1;
    const url = this.url(request);
    try {
      // Credentials (token, client certificate, basic auth, impersonation) and TLS settings as
      // client-node resolves them from the kubeconfig, re-read on every request (rotated tokens).
      const options: RequestOptions = {};
      await this.o.kubeConfig.applyToHTTPSOptions(options);
      const headers: Record<string, string> = { Accept: 'application/json' };
      for (const [name, value] of Object.entries(options.headers ?? {}))
        if (value !== undefined) headers[name] = String(value);
      if (options.auth) headers['Authorization'] = `Basic ${Buffer.from(options.auth).toString('base64')}`;
      const body = request.body === undefined ? undefined : JSON.stringify(request.body);
      if (body !== undefined) headers['Content-Type'] = request.contentType ?? 'application/json';
      const response = await boundedFetch({
        url,
        method: request.method,
        headers,
        ...(body !== undefined ? { body } : {}),
        deadlineMs: this.requestTimeoutMs,
        maxBytes: this.o.maxResponseBytes ?? MAX_KUBE_RESPONSE_BYTES,
        what: `${request.method} ${request.path}`,
        agent: this.agentFor(options),
        outsideBudget: true,
      });
      return { status: response.status, body: parseBody(response.body.toString('utf8')) };
    } catch (err) {
      throw new ApiUnreachableError(
        `${request.method} ${this.serverUrl}${request.path}: ${(err as Error).message}`,
        { cause: err },
      );
    }
  }

  /** The request's address: the server's base path (if any), the API path and the query. */
  private url(request: KubeRequest): URL {
    const url = new URL(this.server.href.replace(/\/$/, '') + request.path);
    for (const [name, value] of Object.entries(request.query ?? {}))
      if (value !== undefined) url.searchParams.set(name, value);
    return url;
  }

  /**
   * client-node hands out one agent per cluster and user, without keep-alive, and keeps it even
   * when the certificates it was built from rotate. Requests with the same TLS settings share one
   * keep-alive agent instead (keep-alive saves a TLS handshake per request: most of a write's
   * CPU); new settings (rotated certificates) get a new one. Proxy agents (subclasses) and the
   * plain-http agent of a loopback server are used as client-node made them.
   */
  private agentFor(options: RequestOptions): Agent | undefined {
    const given = options.agent;
    if (!(given instanceof HttpsAgent) || given.constructor !== HttpsAgent)
      return given instanceof Object ? (given as Agent) : undefined;
    const tls = JSON.stringify(
      [
        options.ca,
        options.cert,
        options.key,
        options.pfx,
        options.passphrase,
        options.rejectUnauthorized,
        options.servername,
      ].map((v) => (Buffer.isBuffer(v) ? v.toString('base64') : v)),
    );
    // A replaced agent is not destroyed: its requests in flight finish, its idle sockets time out.
    if (this.agent?.tls !== tls) {
      const tlsOptions = {
        ca: options.ca,
        cert: options.cert,
        key: options.key,
        pfx: options.pfx,
        passphrase: options.passphrase,
        servername: options.servername,
        ...(options.rejectUnauthorized !== undefined
          ? { rejectUnauthorized: options.rejectUnauthorized }
          : {}),
      };
      // Idle sockets close after 30 s, before the API server drops them (90 s) mid-reuse.
      this.agent = { tls, agent: new HttpsAgent({ ...tlsOptions, keepAlive: true, timeout: 30_000 }) };
    }
    return this.agent.agent;
  }

  /**
   * Streams a watch until it ends. `onEvent` gets every event, ERROR and BOOKMARK included.
   * Resolves with how it ended; aborting `signal` ends it as `closed`.
   */
  async watch(
    path: string,
    query: Record<string, string | undefined>,
    count: string,
    onEvent: (type: string, object: unknown) => void,
    signal: AbortSignal,
  ): Promise<WatchEnd> {
    await this.o.limiter.acquire();
    if (signal.aborted) return { kind: 'closed' };
    this.o.requests[count] = (this.o.requests[count] ?? 0) + 1;
    return new Promise<WatchEnd>((resolve) => {
      let controller: AbortController | undefined;
      let ended = false;
      const end = (result: WatchEnd) => {
        if (ended) return;
        ended = true;
        signal.removeEventListener('abort', onAbort);
        controller?.abort();
        resolve(signal.aborted ? { kind: 'closed' } : result);
      };
      const onAbort = () => end({ kind: 'closed' });
      signal.addEventListener('abort', onAbort);
      this.watcher
        .watch(
          path,
          query,
          (type, object) => {
            if (!ended) onEvent(type, object);
          },
          (err: unknown) => end(err ? { kind: 'error', error: err } : { kind: 'closed' }),
        )
        .then(
          (c) => {
            controller = c;
            if (ended) c.abort();
          },
          (err: unknown) => end({ kind: 'error', error: err }),
        );
    });
  }
}

function parseBody(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
