/**
 * One watch request streamed over `node:http(s)`, on the transport's own keep-alive agent:
 * newline-delimited JSON events (`{"type": ..., "object": ...}`), each line at most
 * `maxLineBytes` long. client-node's `Watch` would load undici's fetch (tens of MB of RSS) for
 * what is a plain chunked GET.
 *
 * Ends as client-node's did: `closed` when the server ends the stream (its `timeoutSeconds`) or
 * the caller aborts; `error` with a `statusCode` for an answer other than 200, and for a failed
 * connection. Stricter on corruption: a line that is too long or not JSON ends the watch as an
 * error (the informer watches again from the last resourceVersion) rather than being skipped,
 * which would lose an event silently.
 */
import type { Agent, IncomingMessage } from 'node:http';
import { request as httpRequest } from '../../http/node-http.js';
import { request as httpsRequest } from 'node:https';
import { formatBytes } from '../../http/outbound.js';

/** How a watch stream ended. */
export type WatchEnd = { kind: 'closed' } | { kind: 'error'; error: unknown };

/** Bytes of one watch event at most: etcd stores objects of 1.5 MiB at most, JSON adds little. */
export const MAX_WATCH_LINE_BYTES = 16 * 1024 * 1024;

/** Bytes of an error answer's body read at most (it is a small Status). */
const MAX_ERROR_BODY_BYTES = 64 * 1024;

/** The server answered the watch with a status other than 200; `body` is its Status, if JSON. */
export class WatchStatusError extends Error {
  override name = 'WatchStatusError';
  constructor(
    message: string,
    readonly statusCode: number,
    readonly body: unknown,
  ) {
    super(message);
  }
}

/** The stream broke the format: a line beyond the cap, or one that is not a JSON event. */
export class WatchStreamError extends Error {
  override name = 'WatchStreamError';
}

export interface WatchStreamOptions {
  /** The watch URL, `watch=true` included. */
  url: URL;
  headers: Record<string, string>;
  agent: Agent | undefined;
  /** Time allowed for the answer's headers; once they came the stream may last as long as it will. */
  connectTimeoutMs: number;
  maxLineBytes: number;
  onEvent: (type: string, object: unknown) => void;
  signal: AbortSignal;
}

/** Splits a byte stream into lines; a line is decoded only once whole (UTF-8 may span chunks). */
export class LineSplitter {
  private parts: Buffer[] = [];
  private size = 0;

  constructor(private readonly maxLineBytes: number) {}

  /**
   * The lines this chunk completes.
   * @throws WatchStreamError when a line grows beyond the cap
   */
  push(chunk: Buffer): string[] {
    const lines: string[] = [];
    let start = 0;
    for (let nl = chunk.indexOf(0x0a, start); nl !== -1; nl = chunk.indexOf(0x0a, start)) {
      this.add(chunk.subarray(start, nl));
      lines.push(Buffer.concat(this.parts, this.size).toString('utf8'));
      this.parts = [];
      this.size = 0;
      start = nl + 1;
    }
    if (start < chunk.length) this.add(chunk.subarray(start));
    return lines;
  }

  /** What follows the last newline: a final line the server did not end, or `''`. */
  rest(): string {
    return Buffer.concat(this.parts, this.size).toString('utf8');
  }

  private add(part: Buffer): void {
    this.size += part.length;
    if (this.size > this.maxLineBytes)
      throw new WatchStreamError(
        `watch event longer than ${formatBytes(this.maxLineBytes)}; stopped reading`,
      );
    if (part.length > 0) this.parts.push(part);
  }
}

/** Streams one watch until it ends; never rejects. */
export function streamWatch(o: WatchStreamOptions): Promise<WatchEnd> {
  if (o.signal.aborted) return Promise.resolve({ kind: 'closed' });
  const send = o.url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise<WatchEnd>((resolve) => {
    let ended = false;
    const end = (result: WatchEnd): void => {
      if (ended) return;
      ended = true;
      clearTimeout(connectTimer);
      o.signal.removeEventListener('abort', onAbort);
      req.destroy();
      resolve(o.signal.aborted ? { kind: 'closed' } : result);
    };
    const onAbort = (): void => end({ kind: 'closed' });
    o.signal.addEventListener('abort', onAbort);
    const connectTimer = setTimeout(
      () => end({ kind: 'error', error: new Error(`watch: no answer within ${o.connectTimeoutMs} ms`) }),
      o.connectTimeoutMs,
    );
    const req = send(o.url, {
      method: 'GET',
      headers: { Accept: 'application/json', ...o.headers },
      ...(o.agent ? { agent: o.agent } : {}),
    });
    req.on('error', (err) => end({ kind: 'error', error: err }));
    req.on('response', (res) => {
      clearTimeout(connectTimer);
      if (res.statusCode !== 200) return readError(res, end);
      const lines = new LineSplitter(o.maxLineBytes);
      const deliver = (line: string): boolean => {
        if (line.trim() === '') return true;
        let event: { type?: unknown; object?: unknown };
        try {
          event = JSON.parse(line) as { type?: unknown; object?: unknown };
        } catch {
          end({
            kind: 'error',
            error: new WatchStreamError(`watch: an event is not JSON: ${line.slice(0, 80)}`),
          });
          return false;
        }
        if (typeof event?.type !== 'string') {
          end({
            kind: 'error',
            error: new WatchStreamError(`watch: an event has no type: ${line.slice(0, 80)}`),
          });
          return false;
        }
        o.onEvent(event.type, event.object);
        return true;
      };
      res.on('data', (chunk: Buffer) => {
        if (ended) return;
        let complete: string[];
        try {
          complete = lines.push(chunk);
        } catch (err) {
          return end({ kind: 'error', error: err });
        }
        for (const line of complete) if (ended || !deliver(line)) return;
      });
      res.on('end', () => {
        if (!ended && deliver(lines.rest())) end({ kind: 'closed' });
      });
      res.on('error', (err) => end({ kind: 'error', error: err }));
      res.on('close', () => {
        if (!res.complete) end({ kind: 'error', error: new Error('watch: the stream was cut off') });
      });
    });
    req.end();
  });
}

/** Reads a failed answer's Status (capped) and ends the watch with it. */
function readError(res: IncomingMessage, end: (result: WatchEnd) => void): void {
  const status = res.statusCode ?? 0;
  const chunks: Buffer[] = [];
  let size = 0;
  const finish = (): void => {
    const text = Buffer.concat(chunks).toString('utf8');
    let body: unknown = text;
    try {
      body = JSON.parse(text) as unknown;
    } catch {
      // Not a Status: keep the text.
    }
    const message = (body as { message?: unknown } | undefined)?.message;
    const reason =
      typeof message === 'string' && message !== '' ? message : res.statusMessage || `HTTP ${status}`;
    end({ kind: 'error', error: new WatchStatusError(`watch: ${status} ${reason}`, status, body) });
  };
  res.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size <= MAX_ERROR_BODY_BYTES) chunks.push(chunk);
    else finish();
  });
  res.on('end', finish);
  res.on('error', finish);
}
