/**
 * Google Chat: an incoming webhook message with a card (`cardsV2`) holding the message and one
 * line per field, and `fallbackText` for notifications where cards are not shown.
 */
import type { Alert, AlertSeverity, Notifier } from './notifier.js';
import { endpointFor, postJson, type HttpNotifierOptions, type JsonEndpoint } from './post-json.js';

/** Message colour per severity (Google Chat text accepts `<font color>`). */
export const GCHAT_COLORS: Record<AlertSeverity, string> = {
  info: '#2EB886',
  warn: '#DAA038',
  error: '#A30200',
};

/** Options of {@link GChatNotifier}. */
export type GChatNotifierOptions = HttpNotifierOptions;

/** Google Chat text is HTML-like: escape what could be read as markup. */
export function escapeChatText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Builds the Google Chat message for an alert. */
export function gchatMessage(alert: Alert): Record<string, unknown> {
  const color = GCHAT_COLORS[alert.severity];
  const widgets: Record<string, unknown>[] = [
    { textParagraph: { text: `<font color="${color}"><b>${escapeChatText(alert.message)}</b></font>` } },
    ...alert.fields.map((f) => ({
      decoratedText: { topLabel: f.name, text: escapeChatText(f.value), wrapText: true },
    })),
  ];
  return {
    fallbackText: `${alert.canary}: ${alert.message}`,
    cardsV2: [
      {
        cardId: 'fledge-alert',
        card: {
          header: { title: 'Fledge', subtitle: alert.canary },
          sections: [{ widgets }],
        },
      },
    ],
  };
}

/** Posts alerts to a Google Chat space. */
export class GChatNotifier implements Notifier {
  private readonly endpoint: JsonEndpoint;

  constructor(options: GChatNotifierOptions) {
    this.endpoint = endpointFor('gchat', options);
  }

  async send(alert: Alert): Promise<void> {
    await postJson(this.endpoint, gchatMessage(alert));
  }
}
