/** Rocket.Chat: an incoming webhook, which accepts the Slack message format. */
import type { Alert, Notifier } from './notifier.js';
import { endpointFor, postJson, type HttpNotifierOptions, type JsonEndpoint } from './post-json.js';
import { slackMessage } from './slack-payload.js';

/** Options of {@link RocketNotifier}. */
export interface RocketNotifierOptions extends HttpNotifierOptions {
  channel?: string;
  username?: string;
}

/** Posts alerts to Rocket.Chat. */
export class RocketNotifier implements Notifier {
  private readonly endpoint: JsonEndpoint;
  private readonly channel: string | undefined;
  private readonly username: string | undefined;

  constructor(options: RocketNotifierOptions) {
    this.endpoint = endpointFor('rocket', options);
    this.channel = options.channel;
    this.username = options.username;
  }

  async send(alert: Alert): Promise<void> {
    await postJson(this.endpoint, slackMessage(alert, { channel: this.channel, username: this.username }));
  }
}
