import { DiscordNotifier, discordSlackAddress } from '../../../src/notifiers/discord.js';
import { GChatNotifier } from '../../../src/notifiers/gchat.js';
import { GenericWebhookNotifier } from '../../../src/notifiers/generic-webhook.js';
import { MSTeamsNotifier } from '../../../src/notifiers/msteams.js';
import type { Alert } from '../../../src/notifiers/notifier.js';
import { RocketNotifier } from '../../../src/notifiers/rocket.js';
import { SlackNotifier } from '../../../src/notifiers/slack.js';
import { HttpReceiver } from '../../support/http-receiver.js';

const alert: Alert = {
  canary: 'test/podinfo',
  severity: 'error',
  message: 'Canary analysis failed, rolling back: failed checks threshold reached 5',
  fields: [
    { name: 'Target', value: 'Deployment/podinfo.test' },
    { name: 'Failed checks threshold', value: '5' },
  ],
};

describe('notifier request bodies', () => {
  let server: HttpReceiver;

  beforeEach(async () => {
    server = await HttpReceiver.start();
  });
  afterEach(async () => {
    await server.close();
  });

  function onlyBody(path: string): unknown {
    const requests = server.requestsTo(path);
    expect(requests).toHaveLength(1);
    expect(requests[0]?.method).toBe('POST');
    expect(requests[0]?.headers['content-type']).toBe('application/json');
    return JSON.parse(requests[0]?.body ?? 'null');
  }

  it('slack: an incoming-webhook message with channel, username and one attachment', async () => {
    server.on('/services/T0/B0/xyz', { status: 200, body: 'ok' });
    const notifier = new SlackNotifier({
      address: server.url('/services/T0/B0/xyz'),
      channel: 'deploys',
      username: 'fledge',
    });
    await notifier.send(alert);
    expect(onlyBody('/services/T0/B0/xyz')).toEqual({
      channel: 'deploys',
      username: 'fledge',
      icon_emoji: ':rocket:',
      attachments: [
        {
          color: '#A30200',
          fallback: `test/podinfo: ${alert.message}`,
          author_name: 'test/podinfo',
          text: alert.message,
          mrkdwn_in: ['text'],
          fields: [
            { title: 'Target', value: 'Deployment/podinfo.test', short: false },
            { title: 'Failed checks threshold', value: '5', short: false },
          ],
        },
      ],
    });
    expect(server.requests[0]?.headers.authorization).toBeUndefined();
  });

  it('slack: leaves channel and username out when not configured, colours by severity', async () => {
    server.on('/hook', { status: 200 });
    await new SlackNotifier({ address: server.url('/hook') }).send({
      ...alert,
      severity: 'info',
      fields: [],
    });
    const body = onlyBody('/hook') as Record<string, unknown>;
    expect(body).not.toHaveProperty('channel');
    expect(body).not.toHaveProperty('username');
    expect(body).toMatchObject({ attachments: [{ color: '#2EB886', fields: [] }] });
  });

  it('slack with a token: Bearer auth, and an {ok: false} answer is a failure', async () => {
    server.on(
      '/api/chat.postMessage',
      { status: 200, body: '{"ok":true}' },
      { status: 200, body: '{"ok":false,"error":"channel_not_found"}' },
    );
    const notifier = new SlackNotifier({
      address: server.url('/api/chat.postMessage'),
      token: 'xoxb-secret',
      channel: 'C123',
    });
    await notifier.send(alert);
    expect(server.requests[0]?.headers.authorization).toBe('Bearer xoxb-secret');
    expect((JSON.parse(server.requests[0]?.body ?? '{}') as { channel: string }).channel).toBe('C123');
    await expect(notifier.send(alert)).rejects.toThrow(
      'slack notifier chat.postMessage failed: channel_not_found',
    );
  });

  it('slack with a token: an {ok: false} answer quoting the token is scrubbed', async () => {
    server.on('/api/chat.postMessage', {
      status: 200,
      body: '{"ok":false,"error":"invalid_auth for xoxb-planted-token-99"}',
    });
    const notifier = new SlackNotifier({
      address: server.url('/api/chat.postMessage'),
      token: 'xoxb-planted-token-99',
      channel: 'C123',
    });
    const error = (await notifier.send(alert).catch((e: unknown) => e)) as Error;
    expect(error.message).toBe('slack notifier chat.postMessage failed: invalid_auth for [redacted]');
  });

  it('discord: the Slack message, posted to <address>/slack', async () => {
    server.on('/api/webhooks/1/tok/slack', { status: 200, body: 'ok' });
    await new DiscordNotifier({
      address: server.url('/api/webhooks/1/tok'),
      username: 'fledge',
      channel: 'x',
    }).send(alert);
    expect(onlyBody('/api/webhooks/1/tok/slack')).toMatchObject({
      username: 'fledge',
      icon_emoji: ':rocket:',
      attachments: [{ author_name: 'test/podinfo', text: alert.message, color: '#A30200' }],
    });
  });

  it('discord: keeps an address that already ends in /slack, and its query string', () => {
    expect(discordSlackAddress('https://discord.example/api/webhooks/1/t/slack')).toBe(
      'https://discord.example/api/webhooks/1/t/slack',
    );
    expect(discordSlackAddress('https://discord.example/api/webhooks/1/t/?wait=true')).toBe(
      'https://discord.example/api/webhooks/1/t/slack?wait=true',
    );
  });

  it('rocket: the Slack message at the address as given', async () => {
    server.on('/hooks/abc', { status: 200 });
    await new RocketNotifier({ address: server.url('/hooks/abc'), channel: '#ops', username: 'fledge' }).send(
      {
        ...alert,
        severity: 'warn',
      },
    );
    expect(onlyBody('/hooks/abc')).toMatchObject({
      channel: '#ops',
      username: 'fledge',
      attachments: [
        {
          color: '#DAA038',
          text: alert.message,
          fields: [{ title: 'Target' }, { title: 'Failed checks threshold' }],
        },
      ],
    });
  });

  it('msteams: an Adaptive Card with the message, the canary and a fact per field', async () => {
    server.on('/workflows/1', { status: 202 });
    await new MSTeamsNotifier({ address: server.url('/workflows/1') }).send(alert);
    expect(onlyBody('/workflows/1')).toEqual({
      type: 'message',
      attachments: [
        {
          contentType: 'application/vnd.microsoft.card.adaptive',
          contentUrl: null,
          content: {
            $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
            type: 'AdaptiveCard',
            version: '1.4',
            msteams: { width: 'Full' },
            body: [
              {
                type: 'TextBlock',
                text: alert.message,
                weight: 'Bolder',
                size: 'Medium',
                color: 'Attention',
                wrap: true,
              },
              { type: 'TextBlock', text: 'test/podinfo', isSubtle: true, spacing: 'None', wrap: true },
              {
                type: 'FactSet',
                facts: [
                  { title: 'Target', value: 'Deployment/podinfo.test' },
                  { title: 'Failed checks threshold', value: '5' },
                ],
              },
            ],
          },
        },
      ],
    });
  });

  it('msteams: no FactSet without fields', async () => {
    server.on('/t', { status: 200 });
    await new MSTeamsNotifier({ address: server.url('/t') }).send({ ...alert, severity: 'info', fields: [] });
    const body = onlyBody('/t') as {
      attachments: { content: { body: { type: string; color?: string }[] } }[];
    };
    const card = body.attachments[0]?.content.body ?? [];
    expect(card.map((b) => b.type)).toEqual(['TextBlock', 'TextBlock']);
    expect(card[0]?.color).toBe('Default');
  });

  it('gchat: a card with the escaped message and one widget per field, plus fallback text', async () => {
    server.on('/v1/spaces/AAA/messages', { status: 200, body: '{}' });
    await new GChatNotifier({ address: server.url('/v1/spaces/AAA/messages?key=k&token=t') }).send({
      ...alert,
      message: 'p99 <500ms> & rising',
    });
    const req = server.requestsTo('/v1/spaces/AAA/messages')[0];
    expect(req?.url).toBe('/v1/spaces/AAA/messages?key=k&token=t');
    expect(JSON.parse(req?.body ?? '{}')).toEqual({
      fallbackText: 'test/podinfo: p99 <500ms> & rising',
      cardsV2: [
        {
          cardId: 'fledge-alert',
          card: {
            header: { title: 'Fledge', subtitle: 'test/podinfo' },
            sections: [
              {
                widgets: [
                  {
                    textParagraph: {
                      text: '<font color="#A30200"><b>p99 &lt;500ms&gt; &amp; rising</b></font>',
                    },
                  },
                  { decoratedText: { topLabel: 'Target', text: 'Deployment/podinfo.test', wrapText: true } },
                  { decoratedText: { topLabel: 'Failed checks threshold', text: '5', wrapText: true } },
                ],
              },
            ],
          },
        },
      ],
    });
  });

  it("webhook: Fledge's own JSON with a timestamp from the clock, Bearer token when set", async () => {
    server.on('/alerts', { status: 204 });
    const notifier = new GenericWebhookNotifier({
      address: server.url('/alerts'),
      token: 'tkn',
      now: () => new Date(Date.UTC(2024, 4, 6, 7, 8, 9)),
    });
    await notifier.send(alert);
    expect(onlyBody('/alerts')).toEqual({
      canary: 'test/podinfo',
      severity: 'error',
      message: alert.message,
      fields: alert.fields,
      timestamp: '2024-05-06T07:08:09.000Z',
    });
    expect(server.requests[0]?.headers.authorization).toBe('Bearer tkn');
  });

  it('webhook: carries the alert id, the same on every retry, for receivers to de-duplicate', async () => {
    server.on('/alerts', { status: 204 });
    const notifier = new GenericWebhookNotifier({ address: server.url('/alerts') });
    await notifier.send({ ...alert, id: 'uid-7-2' });
    expect(onlyBody('/alerts')).toMatchObject({ id: 'uid-7-2' });
  });
});
