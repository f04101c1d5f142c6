/**
 * Microsoft Teams: an Adaptive Card in a `message` envelope, the format Teams Workflows webhooks
 * require and that the older Office 365 connector webhooks also accept. (Flagger sends the legacy
 * MessageCard, which Workflows webhooks refuse.)
 */
import type { Alert, AlertSeverity, Notifier } from './notifier.js';
import { endpointFor, postJson, type HttpNotifierOptions, type JsonEndpoint } from './post-json.js';

/** Adaptive Card text colour of the title per severity. */
export const TEAMS_TITLE_COLORS: Record<AlertSeverity, string> = {
  info: 'Default',
  warn: 'Warning',
  error: 'Attention',
};

/** The Adaptive Card schema version used (supported by Teams on every client). */
export const ADAPTIVE_CARD_VERSION = '1.4';

/** Options of {@link MSTeamsNotifier}. */
export type MSTeamsNotifierOptions = HttpNotifierOptions;

/** Builds the Teams message for an alert. */
export function teamsMessage(alert: Alert): Record<string, unknown> {
  const body: Record<string, unknown>[] = [
    {
      type: 'TextBlock',
      text: alert.message,
      weight: 'Bolder',
      size: 'Medium',
      color: TEAMS_TITLE_COLORS[alert.severity],
      wrap: true,
    },
    { type: 'TextBlock', text: alert.canary, isSubtle: true, spacing: 'None', wrap: true },
  ];
  if (alert.fields.length > 0) {
    body.push({ type: 'FactSet', facts: alert.fields.map((f) => ({ title: f.name, value: f.value })) });
  }
  return {
    type: 'message',
    attachments: [
      {
        contentType: 'application/vnd.microsoft.card.adaptive',
        contentUrl: null,
        content: {
          $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
          type: 'AdaptiveCard',
          version: ADAPTIVE_CARD_VERSION,
          msteams: { width: 'Full' },
          body,
        },
      },
    ],
  };
}

/** Posts alerts to a Microsoft Teams channel. */
export class MSTeamsNotifier implements Notifier {
  private readonly endpoint: JsonEndpoint;

  constructor(options: MSTeamsNotifierOptions) {
    this.endpoint = endpointFor('msteams', options);
  }

  async send(alert: Alert): Promise<void> {
    await postJson(this.endpoint, teamsMessage(alert));
  }
}
