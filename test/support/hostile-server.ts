/**
 * A local HTTP server (127.0.0.1 only) that misbehaves on purpose: answers a byte at a time,
 * sends huge or endless bodies, quotes the request's headers back. For the fault tests of every
 * outbound caller.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** How the server answers one request. */
export type HostileHandler = (req: IncomingMessage, res: ServerResponse, body: string) => void;

/** A running hostile server. */
export interface HostileServer {
  /** `http://127.0.0.1:port`. */
  baseUrl: string;
  /** Bytes the server managed to write before the client went away, per request. */
  bytesWritten: number[];
  /** Requests received, with their headers and body. */
  requests: { url: string; headers: IncomingMessage['headers']; body: string }[];
  /** Replaces the handler. */
  handle(handler: HostileHandler): void;
  stop(): Promise<void>;
}

/** Starts a server answering with `handler`. */
export async function startHostileServer(handler: HostileHandler): Promise<HostileServer> {
  let current = handler;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      state.requests.push({ url: req.url ?? '', headers: req.headers, body });
      const index = state.bytesWritten.push(0) - 1;
      const write = res.write.bind(res) as (chunk: string | Buffer) => boolean;
      res.write = ((chunk: string | Buffer, ...rest: unknown[]) => {
        state.bytesWritten[index] = (state.bytesWritten[index] ?? 0) + Buffer.byteLength(chunk);
        return (write as (c: string | Buffer, ...r: unknown[]) => boolean)(chunk, ...rest);
      }) as typeof res.write;
      current(req, res, body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const state: HostileServer = {
    baseUrl: `http://127.0.0.1:${port}`,
    bytesWritten: [],
    requests: [],
    handle(next) {
      current = next;
    },
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return state;
}

/** Sends `text` one byte every `everyMs`, then ends. */
export function trickle(text: string, everyMs: number, status = 200): HostileHandler {
  return (_req, res) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    let i = 0;
    // Cleared when the client goes away or the server stops (closing every connection).
    const timer = setInterval(() => {
      if (res.destroyed || i >= text.length) {
        clearInterval(timer);
        if (!res.destroyed) res.end();
        return;
      }
      res.write(text[i++] ?? '');
    }, everyMs);
    res.on('close', () => clearInterval(timer));
  };
}

/** Streams `chunkBytes` chunks as fast as the client reads, forever (until it goes away). */
export function endless(status = 200, chunkBytes = 64 * 1024): HostileHandler {
  return (_req, res) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    const chunk = Buffer.alloc(chunkBytes, 'x');
    const pump = (): void => {
      while (!res.destroyed && res.write(chunk));
      if (!res.destroyed) res.once('drain', pump);
    };
    res.write('{"status":"success","data":"');
    pump();
  };
}

/** Answers `status` with a body that quotes every request header (as a careless error page would). */
export function echoHeaders(status: number, extra = ''): HostileHandler {
  return (req, res) => {
    res.writeHead(status, { 'content-type': 'text/plain' });
    res.end(`denied: ${JSON.stringify(req.headers)} url=${req.url ?? ''} ${extra}`);
  };
}

/** Answers with a JSON body. */
export function json(status: number, body: unknown, headers: Record<string, string> = {}): HostileHandler {
  return (_req, res) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(typeof body === 'string' ? body : JSON.stringify(body));
  };
}
