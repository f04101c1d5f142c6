/**
 * Sends requests to the API server with the given {@link KubeCredentials} on a keep-alive TLS
 * agent of at most `maxConnections` sockets, rate limited and counted, through {@link boundedFetch}:
 * each request's deadline covers the whole answer and at most {@link MAX_KUBE_RESPONSE_BYTES} are
 * read. Watches stream on an agent of their own ({@link streamWatch}), one socket each, so that
 * they never take a request's socket. Bodies are plain JSON in and out.
 *
 * Why not client-node's generic `KubernetesObjectApi`: it (1) deserializes built-in kinds into its
 * generated model classes (timestamps become `Date`s, while the port deals in plain JSON), (2)
 * serializes writes through those models, dropping fields the models do not know, (3) cannot address
 * the `/status` subresource, (4) defaults patches to strategic merge, which custom resources refuse,
 * and (5) loading it costs about 90 MB of RSS.
 */
import type { Agent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';
import { boundedFetch } from '../../http/outbound.js';
import type { KubeCredentials, RequestAuth, TlsMaterial } from './credentials.js';
import { ApiUnreachableError } from './errors.js';
import { KubeConfigCredentials } from './kubeconfig-credentials.js';
import type { TokenBucket } from './rate-limiter.js';
import { MAX_WATCH_LINE_BYTES, streamWatch, type WatchEnd } from './watch-stream.js';

export type { WatchEnd } from './watch-stream.js';

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

export interface KubeTransportOptions {
  /** Where to send requests and as whom; or a client-node `kubeConfig` (a kubeconfig file's). */
  credentials?: KubeCredentials;
  kubeConfig?: KubeConfig;
  limiter: TokenBucket;
  requests: RequestCounts;
  /** Per-request deadline, whole answer included (default 30 s); a watch's covers its headers only. */
  requestTimeoutMs?: number;
  /** Bytes of one answer read at most (default {@link MAX_KUBE_RESPONSE_BYTES}). */
  maxResponseBytes?: number;
  /** Bytes of one watch event read at most (default {@link MAX_WATCH_LINE_BYTES}). */
  maxWatchLineBytes?: number;
  /**
   * TLS connections for requests, at most (default {@link DEFAULT_MAX_CONNECTIONS}); more requests
   * at once wait for one. Watches are not counted: each has a connection of its own.
   */
  maxConnections?: number;
}

/** Request connections at most when none is given. */
export const DEFAULT_MAX_CONNECTIONS = 8;

/**
 * Request connections for a client limited to `qps` requests per second: enough for every request
 * to take 100 ms at the full rate, and at least {@link DEFAULT_MAX_CONNECTIONS}. Each TLS connection
 * holds about 150 KB of buffers and OpenSSL state, and a burst of ticks would otherwise open one per
 * request in flight (27 at 100 canaries, 32 ticks at once), memory that stays after they close.
 */
export function maxConnectionsFor(qps: number): number {
  return Math.max(DEFAULT_MAX_CONNECTIONS, Math.ceil(qps / 10));
}

/** The adapter's only path to the network. */
export class KubeTransport {
  private readonly server: URL;
  private readonly credentials: KubeCredentials;
  private readonly requestTimeoutMs: number;
  private readonly maxConnections: number;
  private agents: { tls: string; requests: HttpsAgent; watches: HttpsAgent } | undefined;

  constructor(private readonly o: KubeTransportOptions) {
    if ((o.credentials === undefined) === (o.kubeConfig === undefined))
      throw new Error('credentials, kubeConfig: give exactly one');
    this.credentials = o.credentials ?? new KubeConfigCredentials(o.kubeConfig as KubeConfig);
    this.server = new URL(this.credentials.server);
    this.requestTimeoutMs = o.requestTimeoutMs ?? 30_000;
    this.maxConnections = o.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
    if (!(Number.isInteger(this.maxConnections) && this.maxConnections >= 1))
      throw new Error(`maxConnections: must be an integer >= 1, got ${o.maxConnections}`);
  }

  /** The API server's base address. */
  get serverUrl(): string {
    return this.credentials.server;
  }

  /**
   * Sends one request and returns the answer whatever its status. A 401 is retried once after the
   * credentials were read again (a rotated service-account token).
   * @throws ApiUnreachableError when no answer came (refused, reset, timed out)
   */
  async send(request: KubeRequest): Promise<KubeResponse> {
    const response = await this.sendOnce(request);
    if (response.status === 401 && this.credentials.refresh()) return this.sendOnce(request);
    return response;
  }

  private async sendOnce(request: KubeRequest): Promise<KubeResponse> {
    await this.o.limiter.acquire();
    this.o.requests[request.count] = (this.o.requests[request.count] ?? 0) + 1;
    const url = this.url(request.path, request.query);
    try {
      const auth = await this.credentials.authorize();
      const headers: Record<string, string> = { Accept: 'application/json', ...auth.headers };
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
        agent: this.agentFor(auth, 'requests'),
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
  private url(path: string, query: Record<string, string | undefined> | undefined): URL {
    const url = new URL(this.server.href.replace(/\/$/, '') + path);
    for (const [name, value] of Object.entries(query ?? {}))
      if (value !== undefined) url.searchParams.set(name, value);
    return url;
  }

  /**
   * Requests with the same TLS settings share one keep-alive agent (keep-alive saves a TLS
   * handshake per request: most of a write's CPU), watches another; new settings (rotated
   * certificates) get new ones. An agent of the credentials' own (a proxy) is used as is; plain
   * http gets node's global one.
   */
  private agentFor(auth: RequestAuth, use: 'requests' | 'watches'): Agent | undefined {
    if (auth.agent) return auth.agent;
    if (this.server.protocol !== 'https:') return undefined;
    const t: TlsMaterial = auth.tls;
    const tls = JSON.stringify(
      [t.ca, t.cert, t.key, t.pfx, t.passphrase, t.rejectUnauthorized, t.servername].map((v) =>
        Buffer.isBuffer(v) ? v.toString('base64') : v,
      ),
    );
    // Replaced agents are not destroyed: their requests in flight finish, their idle sockets time out.
    if (this.agents?.tls !== tls) {
      const tlsOptions = {
        ca: t.ca,
        cert: t.cert,
        key: t.key,
        pfx: t.pfx,
        passphrase: t.passphrase,
        servername: t.servername,
        ...(t.rejectUnauthorized !== undefined ? { rejectUnauthorized: t.rejectUnauthorized } : {}),
        keepAlive: true,
        // Idle sockets close after 30 s, before the API server drops them (90 s) mid-reuse.
        timeout: 30_000,
      };
      this.agents = {
        tls,
        requests: new HttpsAgent({ ...tlsOptions, maxSockets: this.maxConnections }),
        watches: new HttpsAgent(tlsOptions),
      };
    }
    return this.agents[use];
  }

  /**
   * Streams a watch until it ends. `onEvent` gets every event, ERROR and BOOKMARK included.
   * Resolves with how it ended; aborting `signal` ends it as `closed`. A 401 makes the credentials
   * be read again before the informer's next attempt.
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
    let auth: RequestAuth;
    try {
      auth = await this.credentials.authorize();
    } catch (err) {
      return { kind: 'error', error: err };
    }
    const agent = this.agentFor(auth, 'watches');
    const end = await streamWatch({
      url: this.url(path, { ...query, watch: 'true' }),
      headers: auth.headers,
      agent,
      connectTimeoutMs: this.requestTimeoutMs,
      maxLineBytes: this.o.maxWatchLineBytes ?? MAX_WATCH_LINE_BYTES,
      onEvent,
      signal,
    });
    if (end.kind === 'error' && (end.error as { statusCode?: unknown }).statusCode === 401)
      this.credentials.refresh();
    return end;
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
