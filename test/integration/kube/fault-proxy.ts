/**
 * A plain-HTTP loopback proxy in front of the real kube-apiserver, for breaking the adapter's
 * watches on purpose: it forwards every request upstream over HTTPS with the admin client
 * certificate, records what passed, and can hold watch streams back, drop them, or answer the next
 * watch with 410 Gone. The last one is the proxy's own answer, shaped as the API server's: a young
 * control plane still serves any old resourceVersion from its watch cache, so it cannot be made to
 * expire one on demand.
 */
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { request as httpsRequest, type RequestOptions } from 'node:https';
import type { AddressInfo } from 'node:net';
import { kubeConfigForServer } from '../../../src/kube/client/config.js';

export interface UpstreamTls {
  server: string;
  caFile: string;
  certFile: string;
  keyFile: string;
}

export interface ProxiedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
}

interface OpenWatch {
  client: ServerResponse;
  upstream: IncomingMessage | undefined;
  held: Buffer[];
  /** The server ended the stream while events were held: end after releasing them. */
  ended: boolean;
}

/** TLS options for talking to the API server as the cluster admin. */
export function adminTls(tls: UpstreamTls): Pick<RequestOptions, 'ca' | 'cert' | 'key'> {
  return { ca: readFileSync(tls.caFile), cert: readFileSync(tls.certFile), key: readFileSync(tls.keyFile) };
}

export class FaultProxy {
  readonly requests: ProxiedRequest[] = [];
  private readonly watches = new Set<OpenWatch>();
  private readonly tls: Pick<RequestOptions, 'ca' | 'cert' | 'key'>;
  private server: Server | undefined;
  private holding = false;
  private expireNext = 0;
  private readonly hidden: string[] = [];
  private port = 0;

  constructor(private readonly upstream: UpstreamTls) {
    this.tls = adminTls(upstream);
  }

  async start(): Promise<void> {
    this.server = createServer((req, res) => this.forward(req, res));
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    this.dropWatches();
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** A KubeConfig that sends the adapter through this proxy (no credentials: the proxy adds them). */
  kubeConfig(): ReturnType<typeof kubeConfigForServer> {
    return kubeConfigForServer({ server: `http://127.0.0.1:${this.port}` });
  }

  /** Buffers watch events instead of passing them on, until {@link release}. */
  hold(): void {
    this.holding = true;
  }

  release(): void {
    this.holding = false;
    for (const w of this.watches) {
      for (const chunk of w.held.splice(0)) w.client.write(chunk);
      if (w.ended) w.client.end();
    }
  }

  /** Cuts every open watch, both towards the adapter and upstream. */
  dropWatches(): void {
    for (const w of this.watches) {
      w.upstream?.destroy();
      w.client.socket?.destroy();
    }
    this.watches.clear();
  }

  /** The next watch is answered as the server answers an expired resourceVersion: an ERROR event with a 410 Status. */
  expireNextWatch(): void {
    this.expireNext += 1;
  }

  /**
   * Answers every request under `pathPrefix` with 404, as the API server answers for an API group it
   * does not serve (e.g. `/apis/fledge.dev/` while Fledge's CRDs are not installed).
   */
  hide(pathPrefix: string): void {
    this.hidden.push(pathPrefix);
  }

  openWatches(): number {
    return this.watches.size;
  }

  count(predicate: (r: ProxiedRequest) => boolean): number {
    return this.requests.filter(predicate).length;
  }

  private forward(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://proxy');
    const isWatch = url.searchParams.get('watch') === 'true';
    this.requests.push({
      method: req.method ?? '',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
    });
    if (this.hidden.some((prefix) => url.pathname.startsWith(prefix))) {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          kind: 'Status',
          apiVersion: 'v1',
          metadata: {},
          status: 'Failure',
          message: 'the server could not find the requested resource',
          reason: 'NotFound',
          code: 404,
        }),
      );
      return;
    }
    if (isWatch && this.expireNext > 0) {
      this.expireNext -= 1;
      const rv = url.searchParams.get('resourceVersion') ?? '';
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        `${JSON.stringify({
          type: 'ERROR',
          object: {
            kind: 'Status',
            apiVersion: 'v1',
            metadata: {},
            status: 'Failure',
            message: `too old resource version: ${rv}`,
            reason: 'Expired',
            code: 410,
          },
        })}\n`,
      );
      return;
    }
    const headers = { ...req.headers };
    delete headers.host;
    delete headers.connection;
    const target = new URL(`${url.pathname}${url.search}`, this.upstream.server);
    const watch: OpenWatch | undefined = isWatch
      ? { client: res, upstream: undefined, held: [], ended: false }
      : undefined;
    if (watch) {
      this.watches.add(watch);
      res.on('close', () => this.watches.delete(watch));
    }
    const upstreamRequest = httpsRequest(target, { method: req.method, headers, ...this.tls }, (upstream) => {
      if (watch) watch.upstream = upstream;
      res.writeHead(upstream.statusCode ?? 502, upstream.headers);
      if (!watch) {
        upstream.pipe(res);
        return;
      }
      res.flushHeaders();
      upstream.on('data', (chunk: Buffer) => {
        if (this.holding) watch.held.push(chunk);
        else res.write(chunk);
      });
      upstream.on('end', () => {
        if (this.holding) watch.ended = true;
        else res.end();
      });
      upstream.on('error', () => res.socket?.destroy());
    });
    upstreamRequest.on('error', () => res.socket?.destroy());
    req.pipe(upstreamRequest);
  }
}
