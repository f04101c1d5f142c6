/**
 * The watch stream over `node:http`: newline-delimited JSON cut anywhere by the network, the
 * server's end of the stream, error answers, and the per-event size cap.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  LineSplitter,
  WatchStatusError,
  WatchStreamError,
  streamWatch,
  type WatchEnd,
} from '../../../src/kube/client/watch-stream.js';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;
let server: Server;
let handler: Handler;
let url: URL;

beforeAll(async () => {
  server = createServer((req, res) => handler(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1/configmaps?watch=true`);
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

/** Writes `pieces` one after another, a few ms apart, so that each arrives as its own chunk. */
function pieces(list: (string | Buffer)[], endAfter = true): Handler {
  return (_req, res) => {
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.flushHeaders();
    let i = 0;
    const next = () => {
      if (i < list.length) {
        res.write(list[i++]);
        setTimeout(next, 5);
      } else if (endAfter) res.end();
    };
    next();
  };
}

async function watch(
  options: { maxLineBytes?: number; signal?: AbortSignal } = {},
): Promise<{ end: WatchEnd; events: [string, unknown][] }> {
  const events: [string, unknown][] = [];
  const end = await streamWatch({
    url,
    headers: { Authorization: 'Bearer t' },
    agent: undefined,
    connectTimeoutMs: 2_000,
    maxLineBytes: options.maxLineBytes ?? 1024 * 1024,
    onEvent: (type, object) => events.push([type, object]),
    signal: options.signal ?? new AbortController().signal,
  });
  return { end, events };
}

const event = (type: string, name: string) =>
  JSON.stringify({ type, object: { metadata: { name, resourceVersion: '7' } } });

describe('streamWatch', () => {
  it('delivers events split across chunks, a multi-byte character included', async () => {
    const first = event('ADDED', 'día');
    const bytes = Buffer.from(`${first}\n${event('BOOKMARK', 'b')}\n`);
    // Cut inside the "í" (two bytes in UTF-8), and again inside the second line.
    const cut = Buffer.from(first).indexOf(Buffer.from('í')) + 1;
    handler = pieces([bytes.subarray(0, cut), bytes.subarray(cut, cut + 40), bytes.subarray(cut + 40)]);
    const { end, events } = await watch();
    expect(end).toEqual({ kind: 'closed' });
    expect(events).toEqual([
      ['ADDED', { metadata: { name: 'día', resourceVersion: '7' } }],
      ['BOOKMARK', { metadata: { name: 'b', resourceVersion: '7' } }],
    ]);
  });

  it('delivers a whole final line the server did not end with a newline', async () => {
    handler = pieces([`${event('ADDED', 'a')}\n`, event('MODIFIED', 'a')]);
    const { end, events } = await watch();
    expect(end).toEqual({ kind: 'closed' });
    expect(events.map(([type]) => type)).toEqual(['ADDED', 'MODIFIED']);
  });

  it('ends as an error when the stream stops inside an event', async () => {
    handler = pieces([`${event('ADDED', 'a')}\n`, event('MODIFIED', 'a').slice(0, 20)]);
    const { end, events } = await watch();
    expect(events.map(([type]) => type)).toEqual(['ADDED']);
    expect(end.kind).toBe('error');
    expect((end as { error: unknown }).error).toBeInstanceOf(WatchStreamError);
    expect(String((end as { error: unknown }).error)).toMatch(/an event is not JSON/);
  });

  it('ends with the status and the Status message of an error answer', async () => {
    handler = (_req, res) => {
      res.writeHead(410, { 'Content-Type': 'application/json' });
      res.end(
        JSON.stringify({ kind: 'Status', code: 410, reason: 'Expired', message: 'too old resource version' }),
      );
    };
    const { end, events } = await watch();
    expect(events).toEqual([]);
    const error = (end as { error: unknown }).error;
    expect(error).toBeInstanceOf(WatchStatusError);
    expect(error).toMatchObject({ statusCode: 410, message: 'watch: 410 too old resource version' });
  });

  it('stops reading an event longer than the cap', async () => {
    let written = 0;
    handler = (_req, res) => {
      res.writeHead(200);
      // An endless line: the cap must end it, not the server.
      const more = () => {
        if (res.destroyed) return;
        written += 64 * 1024;
        res.write('x'.repeat(64 * 1024), () => setImmediate(more));
      };
      more();
    };
    const { end, events } = await watch({ maxLineBytes: 256 * 1024 });
    expect(events).toEqual([]);
    expect((end as { error: unknown }).error).toBeInstanceOf(WatchStreamError);
    expect(String((end as { error: unknown }).error)).toMatch(/watch event longer than 256 KiB/);
    expect(written).toBeLessThan(16 * 1024 * 1024);
  });

  it('ends as closed when the caller aborts a stream the server keeps open', async () => {
    handler = pieces([`${event('ADDED', 'a')}\n`], false);
    const abort = new AbortController();
    const events: string[] = [];
    const ending = streamWatch({
      url,
      headers: {},
      agent: undefined,
      connectTimeoutMs: 2_000,
      maxLineBytes: 1024,
      onEvent: (type) => {
        events.push(type);
        abort.abort();
      },
      signal: abort.signal,
    });
    expect(await ending).toEqual({ kind: 'closed' });
    expect(events).toEqual(['ADDED']);
  });

  it('sends the credentials and asks for JSON', async () => {
    let seen: IncomingMessage | undefined;
    handler = (req, res) => {
      seen = req;
      pieces([])(req, res);
    };
    await watch();
    expect(seen?.headers.authorization).toBe('Bearer t');
    expect(seen?.headers.accept).toBe('application/json');
    expect(seen?.url).toBe('/api/v1/configmaps?watch=true');
  });
});

describe('LineSplitter', () => {
  it('keeps what follows the last newline for the next chunk', () => {
    const lines = new LineSplitter(100);
    expect(lines.push(Buffer.from('ab'))).toEqual([]);
    expect(lines.push(Buffer.from('c\nd\n\ne'))).toEqual(['abc', 'd', '']);
    expect(lines.rest()).toBe('e');
  });

  it('counts a line across chunks against the cap', () => {
    const lines = new LineSplitter(4);
    lines.push(Buffer.from('abc'));
    expect(() => lines.push(Buffer.from('de'))).toThrow(WatchStreamError);
  });
});
