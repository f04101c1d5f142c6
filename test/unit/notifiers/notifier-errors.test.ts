import { GenericWebhookNotifier } from '../../../src/notifiers/generic-webhook.js';
import { MSTeamsNotifier } from '../../../src/notifiers/msteams.js';
import { NotifierConfigError, NotifierError, type Alert } from '../../../src/notifiers/notifier.js';
import { SlackNotifier } from '../../../src/notifiers/slack.js';
import {
  echoHeaders,
  endless,
  startHostileServer,
  trickle,
  type HostileServer,
} from '../../support/hostile-server.js';
import { HttpReceiver } from '../../support/http-receiver.js';

const alert: Alert = {
  canary: 'test/podinfo',
  severity: 'info',
  message: 'New revision detected',
  fields: [],
};

async function caught(p: Promise<unknown>): Promise<NotifierError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof NotifierError) return err;
    throw err;
  }
  throw new Error('expected the send to fail');
}

describe('notifier failures', () => {
  let server: HttpReceiver;

  beforeEach(async () => {
    server = await HttpReceiver.start();
  });
  afterEach(async () => {
    await server.close();
  });

  it.each([400, 404, 500])('throws NotifierError naming the provider type and status %i', async (status) => {
    server.on('/services/T/B/secretpath', { status, body: 'no_service' });
    const err = await caught(
      new SlackNotifier({ address: server.url('/services/T/B/secretpath') }).send(alert),
    );
    expect(err.name).toBe('NotifierError');
    expect(err.providerType).toBe('slack');
    expect(err.statusCode).toBe(status);
    expect(err.message).toMatch(
      new RegExp(`^slack notifier POST http://127\\.0\\.0\\.1:\\d+/… failed: ${status} .*: no_service$`),
    );
    expect(err.message).not.toContain('secretpath');
  });

  it('accepts any 2xx', async () => {
    server.on('/t', { status: 201 }, { status: 204 });
    const n = new MSTeamsNotifier({ address: server.url('/t') });
    await n.send(alert);
    await n.send(alert);
    expect(server.requests).toHaveLength(2);
  });

  it('scrubs the address and the token from a body that echoes them', async () => {
    const address = server.url('/hooks/very-secret-path?sig=abc123');
    server.on('/hooks/very-secret-path', (r) => ({
      status: 403,
      body: `denied ${r.url} for token xoxb-t0ken at ${address}`,
    }));
    const err = await caught(new SlackNotifier({ address, token: 'xoxb-t0ken', channel: 'C1' }).send(alert));
    expect(err.statusCode).toBe(403);
    expect(err.message).toContain('denied [redacted] for token [redacted] at [redacted]');
    for (const secret of ['very-secret-path', 'abc123', 'xoxb-t0ken'])
      expect(err.message).not.toContain(secret);
  });

  it('names the provider resource when it is known', async () => {
    server.on('/x', { status: 500 });
    const err = await caught(
      new GenericWebhookNotifier({ address: server.url('/x'), providerName: 'ops/alerts' }).send(alert),
    );
    expect(err.message).toContain('webhook notifier "ops/alerts" POST');
  });

  it('throws NotifierError on a timeout, without the address', async () => {
    server.on('/slow/secret', { status: 200, delayMs: 2_000 });
    const err = await caught(
      new MSTeamsNotifier({ address: server.url('/slow/secret'), timeoutMs: 100 }).send(alert),
    );
    expect(err.providerType).toBe('msteams');
    expect(err.statusCode).toBeUndefined();
    expect(err.message).toMatch(/failed: timed out after 100ms$/);
    expect(err.message).not.toContain('secret');
  });

  it('throws NotifierError when the receiver is unreachable', async () => {
    const address = server.url('/gone/secret');
    await server.close();
    const err = await caught(new GenericWebhookNotifier({ address }).send(alert));
    expect(err.message).toMatch(
      /^webhook notifier POST http:\/\/127\.0\.0\.1:\d+\/… failed: request failed: /,
    );
    expect(err.message).not.toContain('secret');
    server = await HttpReceiver.start();
  });

  it('rejects a bad address at construction without printing it', () => {
    expect(() => new SlackNotifier({ address: 'hooks.slack.example/services/SECRET' })).toThrow(
      NotifierConfigError,
    );
    expect(() => new SlackNotifier({ address: 'hooks.slack.example/services/SECRET' })).toThrow(
      'slack notifier: address is not a valid URL',
    );
    expect(() => new SlackNotifier({ address: 'ftp://x/SECRET' })).toThrow(
      'address must be an http or https URL',
    );
  });

  it('requires a channel when Slack is used with a token', () => {
    expect(
      () => new SlackNotifier({ address: 'https://slack.example/api/chat.postMessage', token: 't' }),
    ).toThrow('channel is required when a token is used');
  });
});

describe('notifier bounds', () => {
  let hostile: HostileServer;
  beforeEach(async () => {
    hostile = await startHostileServer(endless());
  });
  afterEach(async () => {
    await hostile.stop();
  });

  it('stops reading a receiver that streams forever at the cap', async () => {
    const started = Date.now();
    const err = await caught(
      new GenericWebhookNotifier({ address: `${hostile.baseUrl}/alerts` }).send(alert),
    );
    expect(err.message).toBe(
      `webhook notifier POST ${hostile.baseUrl}/… failed: answer larger than 1 MiB; stopped reading`,
    );
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('ends a send whose answer trickles in at the timeout, body included', async () => {
    hostile.handle(trickle('{"ok":true}'.repeat(20), 50));
    const err = await caught(
      new GenericWebhookNotifier({ address: `${hostile.baseUrl}/alerts`, timeoutMs: 300 }).send(alert),
    );
    expect(err.message).toMatch(/failed: timed out after 300ms$/);
  });

  it('scrubs the token and the address a receiver quotes back', async () => {
    hostile.handle(echoHeaders(403));
    const address = `${hostile.baseUrl}/hooks/T000/B000/path-planted-secret`;
    const err = await caught(
      new SlackNotifier({ address, token: 'xoxb-planted-77', channel: 'c' }).send(alert),
    );
    expect(err.message).toContain('403');
    for (const planted of ['xoxb-planted-77', 'path-planted-secret'])
      expect(err.message).not.toContain(planted);
  });
});
