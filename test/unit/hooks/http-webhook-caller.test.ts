import type { ResolvedWebhook } from '../../../src/api/defaults.js';
import { HttpWebhookCaller, WebhookCallerOptionsError } from '../../../src/hooks/http-webhook-caller.js';
import { boundedFetch } from '../../../src/http/outbound.js';
import type { WebhookPayload } from '../../../src/hooks/webhook.js';
import { echoHeaders, startHostileServer } from '../../support/hostile-server.js';
import { HttpReceiver } from '../../support/http-receiver.js';

const payload: WebhookPayload = {
  name: 'podinfo',
  namespace: 'test',
  phase: 'Progressing',
  checksum: 'abc123',
  metadata: { cmd: 'hey -z 1m http://podinfo-canary.test:9898/' },
};

function hook(url: string, over: Partial<ResolvedWebhook> = {}): ResolvedWebhook {
  return { name: 'load-test', type: 'pre-rollout', url, timeoutMs: 2_000, retries: 0, ...over };
}

describe('HttpWebhookCaller', () => {
  let server: HttpReceiver;
  let sleeps: number[];
  let caller: HttpWebhookCaller;

  beforeEach(async () => {
    server = await HttpReceiver.start();
    sleeps = [];
    caller = new HttpWebhookCaller({
      sleep: async (ms) => {
        sleeps.push(ms);
      },
    });
  });
  afterEach(async () => {
    await server.close();
  });

  it('POSTs the payload as JSON with Content-Type application/json', async () => {
    server.on('/hook', { status: 200 });
    await caller.call(hook(server.url('/hook')), payload);
    const [req] = server.requestsTo('/hook');
    expect(req?.method).toBe('POST');
    expect(req?.headers['content-type']).toBe('application/json');
    expect(JSON.parse(req?.body ?? '')).toEqual(payload);
  });

  it.each([200, 201, 202])('counts status %i as success', async (status) => {
    server.on('/hook', { status });
    const outcome = await caller.call(hook(server.url('/hook')), payload);
    expect(outcome.ok).toBe(true);
    expect(outcome.statusCode).toBe(status);
    expect(outcome.message).toContain(
      `webhook "load-test" (pre-rollout) POST ${server.url('/hook')}: ${status}`,
    );
  });

  it.each([203, 204, 400, 403, 500])('counts status %i as failure', async (status) => {
    server.on('/hook', { status, body: 'nope' });
    const outcome = await caller.call(hook(server.url('/hook')), payload);
    expect(outcome.ok).toBe(false);
    expect(outcome.statusCode).toBe(status);
  });

  it('says what failed, with the status text and the start of the body', async () => {
    server.on('/hook', { status: 500, body: `boom ${'x'.repeat(500)}` });
    const outcome = await caller.call(hook(server.url('/hook')), payload);
    expect(outcome.message).toMatch(
      new RegExp(
        `^webhook "load-test" \\(pre-rollout\\) POST ${server.url('/hook')} failed: 500 Internal Server Error: boom x+…$`,
      ),
    );
    const excerpt = outcome.message.split('Internal Server Error: ')[1] ?? '';
    expect(excerpt.length).toBe(201);
  });

  it('reports a timeout without throwing', async () => {
    server.on('/slow', { status: 200, delayMs: 2_000 });
    const started = Date.now();
    const outcome = await caller.call(hook(server.url('/slow'), { timeoutMs: 100 }), payload);
    // Before the 2 s answer: the timeout, not the answer, ended the call.
    expect(Date.now() - started).toBeLessThan(1_900);
    expect(outcome).toEqual({
      ok: false,
      message: `webhook "load-test" (pre-rollout) POST ${server.url('/slow')} failed: timed out after 100ms`,
    });
  });

  it('formats whole-second timeouts like the manifest does', async () => {
    server.on('/slow', { status: 200, delayMs: 3_000 });
    const outcome = await caller.call(hook(server.url('/slow'), { timeoutMs: 1_000 }), payload);
    expect(outcome.message).toMatch(/failed: timed out after 1s$/);
  });

  it('reports a refused connection without throwing', async () => {
    const url = server.url('/gone');
    await server.close();
    const outcome = await caller.call(hook(url), payload);
    expect(outcome.ok).toBe(false);
    expect(outcome.statusCode).toBeUndefined();
    expect(outcome.message).toMatch(/failed: request failed: .*ECONNREFUSED/);
    server = await HttpReceiver.start();
  });

  it('reports an invalid URL without calling anything', async () => {
    const outcome = await caller.call(hook('not a url'), payload);
    expect(outcome).toEqual({
      ok: false,
      message: 'webhook "load-test" (pre-rollout) POST not a url failed: invalid URL',
    });
    const ftp = await caller.call(hook('ftp://example.com/x'), payload);
    expect(ftp.message).toContain('unsupported URL scheme "ftp"');
  });

  it('retries `retries` times after failures: the server sees retries + 1 requests', async () => {
    server.on('/hook', { status: 500 });
    const outcome = await caller.call(hook(server.url('/hook'), { retries: 3 }), payload);
    expect(server.requestsTo('/hook')).toHaveLength(4);
    expect(outcome.ok).toBe(false);
    expect(outcome.message).toContain('failed after 4 attempts: 500 Internal Server Error');
    expect(sleeps).toEqual([1_000, 2_000, 4_000]);
  });

  it('stops retrying at the first success', async () => {
    server.on('/hook', { status: 503 }, { status: 503 }, { status: 200 });
    const outcome = await caller.call(hook(server.url('/hook'), { retries: 5 }), payload);
    expect(server.requestsTo('/hook')).toHaveLength(3);
    expect(outcome).toMatchObject({ ok: true, statusCode: 200 });
    expect(outcome.message).toContain('(attempt 3 of 6)');
  });

  it('retries after a timeout, each attempt with its own timeout', async () => {
    server.on('/hook', { status: 200, delayMs: 1_000 }, { status: 200 });
    const quick = new HttpWebhookCaller({ retryBackoffMs: 10 });
    const outcome = await quick.call(hook(server.url('/hook'), { retries: 1, timeoutMs: 300 }), payload);
    expect(outcome.ok).toBe(true);
    expect(server.requestsTo('/hook')).toHaveLength(2);
  });

  it('uses the configured backoff', async () => {
    const custom = new HttpWebhookCaller({
      retryBackoffMs: 10,
      sleep: async (ms) => {
        sleeps.push(ms);
      },
    });
    server.on('/hook', { status: 500 });
    await custom.call(hook(server.url('/hook'), { retries: 2 }), payload);
    expect(sleeps).toEqual([10, 20]);
  });

  it('calls through the sender it is given', async () => {
    const seen: string[] = [];
    const counting = new HttpWebhookCaller({
      send: (request) => {
        seen.push(request.url.href);
        return boundedFetch(request);
      },
    });
    server.on('/hook', { status: 200 });
    await counting.call(hook(server.url('/hook')), payload);
    expect(seen).toEqual([server.url('/hook')]);
  });

  it('sends URL credentials as Basic auth and keeps them and the query out of messages', async () => {
    server.on('/hook', { status: 500 });
    const url = server.url('/hook?token=s3cret').replace('http://', 'http://user:pa55@');
    const outcome = await caller.call(hook(url), payload);
    const [req] = server.requestsTo('/hook');
    expect(req?.url).toBe('/hook?token=s3cret');
    expect(req?.headers.authorization).toBe(`Basic ${Buffer.from('user:pa55').toString('base64')}`);
    expect(outcome.message).not.toContain('s3cret');
    expect(outcome.message).not.toContain('pa55');
    expect(outcome.message).toContain(`${server.url('/hook')}?…`);
  });

  it('rejects a negative backoff at construction', () => {
    expect(() => new HttpWebhookCaller({ retryBackoffMs: -1 })).toThrow(WebhookCallerOptionsError);
  });
});

describe('HttpWebhookCaller retry policy', () => {
  let server: HttpReceiver;
  let sleeps: number[];
  let caller: HttpWebhookCaller;

  beforeEach(async () => {
    server = await HttpReceiver.start();
    sleeps = [];
    caller = new HttpWebhookCaller({
      sleep: async (ms) => {
        sleeps.push(ms);
      },
    });
  });
  afterEach(async () => {
    await server.close();
  });

  it.each([400, 403, 404, 409, 501])('does not retry a plain %i answer', async (status) => {
    server.on('/gate', { status });
    const outcome = await caller.call(hook(server.url('/gate'), { retries: 5 }), payload);
    expect(server.requestsTo('/gate')).toHaveLength(1);
    expect(sleeps).toEqual([]);
    expect(outcome).toMatchObject({ ok: false, statusCode: status });
    expect(outcome.message).not.toContain('attempts');
  });

  it.each([429, 500, 502, 503, 504])('retries a %i answer', async (status) => {
    server.on('/hook', { status }, { status: 200 });
    const outcome = await caller.call(hook(server.url('/hook'), { retries: 2 }), payload);
    expect(server.requestsTo('/hook')).toHaveLength(2);
    expect(outcome.ok).toBe(true);
  });

  it('caps each wait at 30 s, however many retries', async () => {
    server.on('/hook', { status: 503 });
    const slow = new HttpWebhookCaller({
      sleep: async (ms) => {
        sleeps.push(ms);
      },
    });
    // A long timeout, so that the call's own deadline is not what stops the retries here.
    await slow.call(hook(server.url('/hook'), { retries: 8, timeoutMs: 3_600_000 }), payload);
    expect(sleeps).toEqual([1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000, 30_000]);
  });

  it('honours Retry-After in seconds, within the cap', async () => {
    server.on(
      '/hook',
      { status: 429, headers: { 'retry-after': '3' } },
      { status: 503, headers: { 'retry-after': '120' } },
      { status: 200 },
    );
    const outcome = await caller.call(
      hook(server.url('/hook'), { retries: 2, timeoutMs: 3_600_000 }),
      payload,
    );
    expect(outcome.ok).toBe(true);
    expect(sleeps).toEqual([3_000, 30_000]);
  });

  it('ends the whole call by timeout x attempts: a wait past it is not started', async () => {
    server.on('/hook', { status: 503 });
    const real = new HttpWebhookCaller({ retryBackoffMs: 200 });
    const started = Date.now();
    const outcome = await real.call(hook(server.url('/hook'), { retries: 20, timeoutMs: 60 }), payload);
    const elapsed = Date.now() - started;
    // 21 attempts x 60 ms = 1.26 s: waits of 200 and 400 ms fit, the 800 ms one does not. The
    // request count and the message prove it; the time is only held below what one more wait and
    // attempt would take (800 ms + 1,600 ms), with room for a loaded machine.
    expect(elapsed).toBeLessThan(2_400);
    expect(server.requestsTo('/hook')).toHaveLength(3);
    expect(outcome.message).toMatch(
      /failed after 3 attempts: 503 Service Unavailable; retry not attempted: a wait of 800ms would end past the call's deadline of 1s$/,
    );
  });

  it('fails an answer larger than the cap, reading no more of it', async () => {
    server.on('/hook', { status: 200, body: 'x'.repeat(5 * 1024 * 1024) });
    const outcome = await caller.call(hook(server.url('/hook')), payload);
    expect(outcome.ok).toBe(false);
    expect(outcome.message).toContain('answer larger than 4 MiB; stopped reading');
  });

  it('scrubs URL credentials and token parameters a receiver quotes back', async () => {
    const echo = await startHostileServer(echoHeaders(500));
    try {
      const url = `${echo.baseUrl.replace('http://', 'http://ops:pw-planted-77@')}/hook?token=tok-planted-55`;
      const outcome = await caller.call(hook(url), payload);
      expect(echo.requests[0]?.body).toContain('podinfo');
      const basic = Buffer.from('ops:pw-planted-77').toString('base64');
      expect(outcome.message).toContain('500');
      for (const planted of ['pw-planted-77', 'tok-planted-55', basic])
        expect(outcome.message).not.toContain(planted);
    } finally {
      await echo.stop();
    }
  });
});
