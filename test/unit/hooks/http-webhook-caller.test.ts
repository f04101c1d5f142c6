import type { ResolvedWebhook } from '../../../src/api/defaults.js';
import { HttpWebhookCaller, WebhookCallerOptionsError } from '../../../src/hooks/http-webhook-caller.js';
import { boundedFetch } from '../../../src/http/outbound.js';
import type { WebhookPayload } from '../../../src/hooks/webhook.js';
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
    expect(Date.now() - started).toBeLessThan(1_500);
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
