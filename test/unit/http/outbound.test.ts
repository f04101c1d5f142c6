import {
  boundedFetch,
  currentCallBudget,
  OutboundCallError,
  withCallBudget,
  type CallBudget,
} from '../../../src/http/outbound.js';
import {
  endless,
  json,
  startHostileServer,
  trickle,
  type HostileServer,
} from '../../support/hostile-server.js';

let server: HostileServer;

beforeEach(async () => {
  server = await startHostileServer(json(200, { ok: true }));
});
afterEach(async () => {
  await server.stop();
});

function get(deadlineMs: number, maxBytes?: number) {
  return boundedFetch({
    url: new URL(`${server.baseUrl}/x`),
    method: 'GET',
    deadlineMs,
    what: 'test call',
    ...(maxBytes !== undefined ? { maxBytes } : {}),
  });
}

async function failure(promise: Promise<unknown>): Promise<OutboundCallError> {
  const error = await promise.then(
    () => new Error('resolved'),
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(OutboundCallError);
  return error as OutboundCallError;
}

describe('boundedFetch', () => {
  it('returns the whole answer', async () => {
    const answer = await get(1_000);
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body.toString())).toEqual({ ok: true });
  });

  it('ends a call whose answer trickles in a byte at a time at the deadline, body included', async () => {
    // Headers come at once and a byte follows every 50 ms: no idle gap, yet never complete in time.
    server.handle(trickle(JSON.stringify({ status: 'success', data: 'x'.repeat(200) }), 50));
    const started = Date.now();
    const error = await failure(get(400));
    expect(error.failure).toBe('deadline');
    expect(error.message).toBe('timed out after 400ms');
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('stops reading an endless answer at the cap and aborts the stream', async () => {
    server.handle(endless());
    const error = await failure(get(5_000, 256 * 1024));
    expect(error.failure).toBe('too-large');
    expect(error.message).toBe('answer larger than 256 KiB; stopped reading');
    // Give the server a moment to notice the closed socket; it must not keep writing.
    await new Promise((r) => setTimeout(r, 100));
    const written = server.bytesWritten[0] ?? 0;
    await new Promise((r) => setTimeout(r, 300));
    expect(server.bytesWritten[0]).toBe(written);
  });

  it('refuses an answer whose Content-Length is beyond the cap without reading it', async () => {
    server.handle(json(200, 'y'.repeat(2_000)));
    expect((await failure(get(1_000, 1_000))).failure).toBe('too-large');
  });

  it('reports a refused connection as a network failure', async () => {
    const url = server.baseUrl;
    await server.stop();
    const error = await failure(
      boundedFetch({ url: new URL(url), method: 'GET', deadlineMs: 1_000, what: 'x' }),
    );
    expect(error.failure).toBe('network');
    expect(error.message).toMatch(/^request failed: .*ECONNREFUSED/);
    server = await startHostileServer(json(200, {}));
  });

  it('never sends user info in the URL as credentials of its own', async () => {
    const url = new URL(server.baseUrl.replace('http://', 'http://user:pw@'));
    await boundedFetch({ url, method: 'GET', deadlineMs: 1_000, what: 'x' });
    expect(server.requests[0]?.headers.authorization).toBeUndefined();
  });
});

describe('withCallBudget', () => {
  function budget(budgetMs: number): CallBudget & { controller: AbortController } {
    const controller = new AbortController();
    return { controller, signal: controller.signal, budgetMs, inFlight: new Set() };
  }

  it('aborts calls in flight when the budget runs out, and names them while they run', async () => {
    server.handle(trickle('{"a":1}', 1_000));
    const b = budget(200);
    const call = withCallBudget(b, () => {
      const pending = get(10_000);
      expect(currentCallBudget()?.inFlight).toEqual(new Set(['test call']));
      return pending;
    });
    setTimeout(() => b.controller.abort(), 200);
    const error = await failure(call);
    expect(error.failure).toBe('budget');
    expect(error.message).toBe("stopped: the tick's budget of 200ms ran out");
    expect(b.inFlight.size).toBe(0);
  });

  it('refuses new calls once the budget is spent', async () => {
    const b = budget(1_000);
    b.controller.abort();
    const error = await failure(withCallBudget(b, () => get(1_000)));
    expect(error.failure).toBe('budget');
    expect(server.requests).toHaveLength(0);
  });

  it('has no budget outside a tick', () => {
    expect(currentCallBudget()).toBeUndefined();
  });
});
