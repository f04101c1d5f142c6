/**
 * Slack: an incoming webhook (the address is the secret), or, with a bot token, the
 * `chat.postMessage` API, which answers 200 even on failure and reports it in `{ ok, error }`.
 */
import { NotifierConfigError, NotifierError, type Alert, type Notifier } from './notifier.js';
import { endpointFor, postJson, type HttpNotifierOptions, type JsonEndpoint } from './post-json.js';
import { slackMessage } from './slack-payload.js';
import { scrub } from '../http/scrub.js';

/** Where a Slack bot token posts when the provider has no address, as in Flagger. */
export const SLACK_POST_MESSAGE_URL = 'https://slack.com/api/chat.postMessage';

/** Options of {@link SlackNotifier}. */
export interface SlackNotifierOptions extends HttpNotifierOptions {
  /** Bot token, sent as a Bearer token; required by `chat.postMessage`. */
  token?: string;
  /** Channel to post to; the API requires one, incoming webhooks may override theirs with it. */
  channel?: string;
  username?: string;
}

/** Posts alerts to Slack. */
export class SlackNotifier implements Notifier {
  private readonly endpoint: JsonEndpoint;
  private readonly channel: string | undefined;
  private readonly username: string | undefined;
  private readonly usesApi: boolean;

  constructor(options: SlackNotifierOptions) {
    this.usesApi = Boolean(options.token);
    if (this.usesApi && !options.channel) {
      throw new NotifierConfigError(
        'slack notifier: channel is required when a token is used (chat.postMessage)',
      );
    }
    const token = options.token;
    this.endpoint = endpointFor(
      'slack',
      options,
      token ? { headers: { Authorization: `Bearer ${token}` }, secrets: [token] } : {},
    );
    this.channel = options.channel;
    this.username = options.username;
  }

  async send(alert: Alert): Promise<void> {
    const answer = await postJson(
      this.endpoint,
      slackMessage(alert, { channel: this.channel, username: this.username }),
    );
    if (!this.usesApi) return;
    const result = parseApiAnswer(answer.text);
    if (result.ok !== true) {
      const reason = typeof result.error === 'string' ? result.error : 'answer without "ok": true';
      // The API's own words may quote the request (a token in an error string): scrubbed like the rest.
      throw new NotifierError(
        scrub(`slack notifier chat.postMessage failed: ${reason}`, this.endpoint.secrets),
        'slack',
        answer.status,
      );
    }
  }
}

function parseApiAnswer(text: string): { ok?: unknown; error?: unknown } {
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === 'object' && parsed !== null ? parsed : {};
  } catch {
    return {};
  }
}
