/** The controller's HTTP endpoints: `/healthz`, `/readyz` and `/metrics`. */
import Fastify, { type FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';

export interface HttpServerOptions {
  registry: Registry;
  /** Ready once the caches have synced and ticks run; the reason is returned otherwise. */
  readiness: () => { ready: boolean; reason?: string };
  /** Alive unless the process can no longer do its work; the reason is returned otherwise. */
  health: () => { healthy: boolean; reason?: string };
}

/** Builds the server; call `listen({ host, port })` to serve. */
export function createHttpServer(options: HttpServerOptions): FastifyInstance {
  const app = Fastify({ logger: false });
  app.get('/healthz', async (_request, reply) => {
    const { healthy, reason } = options.health();
    return healthy ? 'ok' : reply.code(503).send(reason ?? 'unhealthy');
  });
  app.get('/readyz', async (_request, reply) => {
    const { ready, reason } = options.readiness();
    return ready ? 'ok' : reply.code(503).send(reason ?? 'not ready');
  });
  app.get('/metrics', async (_request, reply) => {
    reply.header('Content-Type', options.registry.contentType);
    return options.registry.metrics();
  });
  return app;
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
