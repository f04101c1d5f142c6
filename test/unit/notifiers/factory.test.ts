import { boundedFetch } from '../../../src/http/outbound.js';
import {
  createNotifier,
  providerSecretFromData,
  type AlertProviderSpec,
} from '../../../src/notifiers/factory.js';
import {
  NotifierConfigError,
  shouldNotify,
  type Alert,
  type AlertSeverity,
} from '../../../src/notifiers/notifier.js';
import { SLACK_POST_MESSAGE_URL } from '../../../src/notifiers/slack.js';
import { HttpReceiver } from '../../support/http-receiver.js';

const alert: Alert = { canary: 'test/podinfo', severity: 'warn', message: 'Halt advancement', fields: [] };

describe('createNotifier', () => {
  let server: HttpReceiver;

  beforeEach(async () => {
    server = await HttpReceiver.start();
    server.on('/from-spec', { status: 200 });
    server.on('/from-secret', { status: 200 });
    server.on('/from-secret/slack', { status: 200 });
  });
  afterEach(async () => {
    await server.close();
  });

  it.each([
    ['slack', '/from-spec', 'attachments'],
    ['rocket', '/from-spec', 'attachments'],
    ['discord', '/from-spec/slack', 'attachments'],
    ['msteams', '/from-spec', 'type'],
    ['gchat', '/from-spec', 'cardsV2'],
    ['webhook', '/from-spec', 'severity'],
  ] as const)('builds a %s notifier posting to spec.address', async (type, path, key) => {
    server.on('/from-spec/slack', { status: 200 });
    const notifier = createNotifier({ type, address: server.url('/from-spec'), channel: 'c', username: 'u' });
    await notifier.send(alert);
    const [req] = server.requestsTo(path);
    expect(JSON.parse(req?.body ?? '{}')).toHaveProperty(key);
  });

  it("prefers the Secret's address over spec.address", async () => {
    const spec: AlertProviderSpec = { type: 'discord', address: server.url('/from-spec') };
    await createNotifier(spec, { address: server.url('/from-secret') }).send(alert);
    expect(server.requestsTo('/from-secret/slack')).toHaveLength(1);
    expect(server.requestsTo('/from-spec/slack')).toHaveLength(0);
  });

  it('uses the sender, clock and timeout it is given', async () => {
    const urls: string[] = [];
    const notifier = createNotifier(
      { type: 'webhook', address: server.url('/from-spec') },
      { token: 'abc' },
      {
        send: (request) => {
          urls.push(request.url.href);
          return boundedFetch(request);
        },
        now: () => new Date(0),
      },
    );
    await notifier.send(alert);
    expect(urls).toEqual([server.url('/from-spec')]);
    const [req] = server.requestsTo('/from-spec');
    expect(req?.headers.authorization).toBe('Bearer abc');
    expect(JSON.parse(req?.body ?? '{}')).toMatchObject({ timestamp: '1970-01-01T00:00:00.000Z' });
  });

  it('sends a Slack token without address to chat.postMessage', async () => {
    const urls: string[] = [];
    const notifier = createNotifier(
      { type: 'slack', channel: 'C1' },
      { token: 'xoxb-1' },
      {
        send: async (request) => {
          urls.push(request.url.href);
          return { status: 200, statusText: 'OK', headers: {}, body: Buffer.from('{"ok":true}') };
        },
      },
    );
    await notifier.send(alert);
    expect(urls).toEqual([SLACK_POST_MESSAGE_URL]);
  });

  it('refuses a provider without an address, naming the fields', () => {
    expect(() => createNotifier({ type: 'msteams' }, {}, { providerName: 'ops/teams' })).toThrow(
      new NotifierConfigError(
        'msteams provider "ops/teams": spec.address or the "address" key of spec.secretRef is required',
      ),
    );
  });

  it('refuses a proxy rather than silently going direct', () => {
    expect(() =>
      createNotifier({ type: 'slack', address: 'https://x.example/h', proxy: 'http://proxy:3128' }),
    ).toThrow(/spec\.proxy is not supported yet/);
  });

  it('refuses an unknown type', () => {
    const spec = { type: 'pager' } as unknown as AlertProviderSpec;
    expect(() => createNotifier(spec, { address: 'https://x.example' })).toThrow(NotifierConfigError);
  });

  it('never prints the address in configuration errors', () => {
    let message = '';
    try {
      createNotifier({ type: 'gchat' }, { address: 'chat.example/SECRET' });
    } catch (err) {
      message = err instanceof NotifierConfigError ? err.message : 'wrong error type';
    }
    expect(message).toBe('gchat notifier: address is not a valid URL');
  });
});

describe('providerSecretFromData', () => {
  const b64 = (s: string) => Buffer.from(s).toString('base64');

  it('decodes address and token from data, trimming a trailing newline', () => {
    expect(
      providerSecretFromData({ address: b64('https://hooks.example/x\n'), token: b64('t'), other: b64('y') }),
    ).toEqual({ address: 'https://hooks.example/x', token: 't' });
  });

  it('lets stringData win and leaves missing keys out', () => {
    expect(providerSecretFromData({ address: b64('https://a') }, { address: 'https://b' })).toEqual({
      address: 'https://b',
    });
    expect(providerSecretFromData(undefined)).toEqual({});
  });
});

describe('shouldNotify', () => {
  const cases: [AlertSeverity, AlertSeverity, boolean][] = [
    ['info', 'info', true],
    ['warn', 'info', true],
    ['error', 'info', true],
    ['info', 'warn', false],
    ['warn', 'warn', true],
    ['error', 'warn', true],
    ['info', 'error', false],
    ['warn', 'error', false],
    ['error', 'error', true],
  ];
  it.each(cases)(
    'a %s alert to a provider subscribed at %s: %s',
    (alertSeverity, providerSeverity, expected) => {
      expect(shouldNotify(alertSeverity, providerSeverity)).toBe(expected);
    },
  );

  it('treats an unset provider severity as info', () => {
    expect(shouldNotify('info', undefined)).toBe(true);
  });
});
