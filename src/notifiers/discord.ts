/**
 * Discord: a channel webhook fed through its Slack-compatible endpoint (`<address>/slack`), as
 * Flagger does, so the message is the Slack one.
 */
import type { Alert, Notifier } from './notifier.js';
import {
  endpointFor,
  parseAddress,
  type HttpNotifierOptions,
  type JsonEndpoint,
  postJson,
} from './post-json.js';
import { slackMessage } from './slack-payload.js';

/** Options of {@link DiscordNotifier}. */
export interface DiscordNotifierOptions extends HttpNotifierOptions {
  channel?: string;
  username?: string;
}

/** The Slack-compatible address of a Discord webhook: `/slack` appended to the path unless present. */
export function discordSlackAddress(address: string): string {
  const url = parseAddress('discord', address);
  if (!url.pathname.endsWith('/slack')) url.pathname = `${url.pathname.replace(/\/+$/, '')}/slack`;
  return url.href;
}

/** Posts alerts to Discord. */
export class DiscordNotifier implements Notifier {
  private readonly endpoint: JsonEndpoint;
  private readonly channel: string | undefined;
  private readonly username: string | undefined;

  constructor(options: DiscordNotifierOptions) {
    this.endpoint = endpointFor(
      'discord',
      { ...options, address: discordSlackAddress(options.address) },
      { secrets: [options.address] },
    );
    this.channel = options.channel;
    this.username = options.username;
  }

  async send(alert: Alert): Promise<void> {
    await postJson(this.endpoint, slackMessage(alert, { channel: this.channel, username: this.username }));
  }
}
