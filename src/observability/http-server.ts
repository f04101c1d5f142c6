/**
 * The controller's HTTP endpoints: `/healthz`, `/readyz` and `/metrics`, on node:http: three GET
 * routes need no framework (and a dependency less is 30 packages less in the image).
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer } from '../http/node-http.js';
import type { Registry } from 'prom-client';

export interface HttpServerOptions {
  registry: Registry;
  /** Ready once the caches have synced and ticks run; the reason is returned otherwise. */
  readiness: () => { ready: boolean; reason?: string };
  /** Alive unless the process can no longer do its work; the reason is returned otherwise. */
  health: () => { healthy: boolean; reason?: string };
}

/** The endpoints' server: `listen` to serve, `close` to stop (connections included). */
export interface ControllerHttpServer {
  readonly server: Server;
  listen(address: { host: string; port: number }): Promise<void>;
  close(): Promise<void>;
}

function reply(
  res: ServerResponse,
  status: number,
  body: string,
  contentType = 'text/plain; charset=utf-8',
): void {
  res.writeHead(status, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

async function route(options: HttpServerOptions, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = (req.url ?? '/').split('?')[0];
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('Allow', 'GET, HEAD');
    reply(res, 405, 'method not allowed');
    return;
  }
  switch (path) {
    case '/healthz': {
      const { healthy, reason } = options.health();
      reply(res, healthy ? 200 : 503, healthy ? 'ok' : (reason ?? 'unhealthy'));
      return;
    }
    case '/readyz': {
      const { ready, reason } = options.readiness();
      reply(res, ready ? 200 : 503, ready ? 'ok' : (reason ?? 'not ready'));
      return;
    }
    case '/metrics':
      reply(res, 200, await options.registry.metrics(), options.registry.contentType);
      return;
    default:
      reply(res, 404, 'not found');
  }
}

/** Builds the server; call `listen({ host, port })` to serve. */
export function createHttpServer(options: HttpServerOptions): ControllerHttpServer {
  const server = createServer((req, res) => {
    route(options, req, res).catch((err: unknown) => {
      if (!res.headersSent) reply(res, 500, `error: ${(err as Error).message}`);
      else res.destroy();
    });
  });
  return {
    server,
    listen: ({ host, port }) =>
      new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          resolve();
        });
      }),
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** Splits `host:port` (`:8080` listens on every address). */
export function parseListenAddress(address: string): { host: string; port: number } {
  const at = address.lastIndexOf(':');
  const host = at <= 0 ? '0.0.0.0' : address.slice(0, at).replace(/^\[(.*)\]$/, '$1');
  const port = Number(address.slice(at + 1));
  if (at < 0 || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new RangeError(
      `listen address "${address}": expected HOST:PORT or :PORT with a port from 0 to 65535`,
    );
  }
  return { host, port };
}
