/**
 * A local HTTP server for tests: records every request and answers each path with programmed
 * statuses, bodies and delays. {@link HttpReceiver.loadTester} adds the gate and rollback paths of
 * Flagger's load tester, with per-canary state keyed by the payload's name and namespace.
 */
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A request as the server saw it. */
export interface ReceivedRequest {
  method: string;
  /** Path without the query string. */
  path: string;
  /** Path and query string as sent. */
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** One programmed answer. */
export interface Reply {
  status?: number;
  body?: string;
  headers?: Record<string, string>;
  /** Wait this long before answering (to trigger client timeouts). */
  delayMs?: number;
}

/** Computes an answer from the request. */
export type Handler = (request: ReceivedRequest) => Reply;

interface Route {
  /** Replies given in order; the last one repeats. */
  replies: (Reply | Handler)[];
  served: number;
}

/** The recording, programmable server. */
export class HttpReceiver {
  /** Every request received, in arrival order. */
  readonly requests: ReceivedRequest[] = [];
  private readonly routes = new Map<string, Route>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly gates = new Set<string>();

  private constructor(
    private readonly server: Server,
    readonly baseUrl: string,
  ) {}

  /** Starts a server on a free port of 127.0.0.1. */
  static async start(): Promise<HttpReceiver> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const receiver = new HttpReceiver(server, `http://127.0.0.1:${port}`);
    server.on('request', (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const url = req.url ?? '/';
        const request: ReceivedRequest = {
          method: req.method ?? '',
          path: url.split('?')[0] ?? '/',
          url,
          headers: req.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        };
        receiver.requests.push(request);
        receiver.answer(request, res);
      });
    });
    return receiver;
  }

  /** Absolute URL of a path on this server. */
  url(path: string): string {
    return `${this.baseUrl}${path}`;
  }

  /**
   * Programs a path. With several replies they are served in order and the last one repeats, so
   * `on('/x', {status: 500}, {status: 200})` fails once, then succeeds. Unprogrammed paths get 404.
   */
  on(path: string, ...replies: (Reply | Handler)[]): this {
    if (replies.length === 0) throw new Error(`on(${path}): at least one reply is required`);
    this.routes.set(path, { replies, served: 0 });
    return this;
  }

  /** Requests received on one path. */
  requestsTo(path: string): ReceivedRequest[] {
    return this.requests.filter((r) => r.path === path);
  }

  /** Parsed JSON bodies of the requests received on one path. */
  bodiesTo(path: string): unknown[] {
    return this.requestsTo(path).map((r) => JSON.parse(r.body) as unknown);
  }

  /**
   * Serves Flagger's load tester paths: `/gate/approve` (200), `/gate/halt` (403), `/gate/check`
   * (200 once `/gate/open` was called for that canary, 403 after `/gate/close` or before), and the
   * same for `/rollback/check|open|close`.
   */
  loadTester(): this {
    this.on('/gate/approve', { status: 200, body: 'OK' });
    this.on('/gate/halt', { status: 403, body: 'Forbidden' });
    for (const kind of ['gate', 'rollback'] as const) {
      this.on(`/${kind}/check`, (r) =>
        this.gates.has(gateKey(kind, r))
          ? { status: 200, body: 'Approved' }
          : { status: 403, body: 'Forbidden' },
      );
      this.on(`/${kind}/open`, (r) => {
        this.gates.add(gateKey(kind, r));
        return { status: 202 };
      });
      this.on(`/${kind}/close`, (r) => {
        this.gates.delete(gateKey(kind, r));
        return { status: 202 };
      });
    }
    return this;
  }

  /** Stops the server, dropping delayed answers and open connections. */
  async close(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private answer(request: ReceivedRequest, res: ServerResponse): void {
    const route = this.routes.get(request.path);
    let reply: Reply = { status: 404, body: 'not found' };
    if (route) {
      const next = route.replies[Math.min(route.served, route.replies.length - 1)] as Reply | Handler;
      route.served += 1;
      try {
        reply = typeof next === 'function' ? next(request) : next;
      } catch (err) {
        reply = { status: 400, body: `bad request: ${String(err)}` };
      }
    }
    const send = () => {
      res.writeHead(reply.status ?? 200, reply.headers);
      res.end(reply.body ?? '');
    };
    if (reply.delayMs) {
      const t = setTimeout(() => {
        this.timers.delete(t);
        if (!res.destroyed) send();
      }, reply.delayMs);
      this.timers.add(t);
    } else {
      send();
    }
  }
}

function gateKey(kind: 'gate' | 'rollback', request: ReceivedRequest): string {
  const payload = JSON.parse(request.body || '{}') as { name?: string; namespace?: string };
  return `${kind}.${payload.name ?? ''}.${payload.namespace ?? ''}`;
}
