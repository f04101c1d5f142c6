/**
 * The Slack message format (legacy attachments, as Flagger sends), shared by the services that
 * accept it: Slack itself, Discord's Slack-compatible endpoint and Rocket.Chat incoming webhooks.
 */
import type { Alert, AlertSeverity } from './notifier.js';

/** Attachment bar colours: Slack's own good / warning / danger. */
export const SLACK_COLORS: Record<AlertSeverity, string> = {
  info: '#2EB886',
  warn: '#DAA038',
  error: '#A30200',
};

/** A Slack attachment field. */
export interface SlackField {
  title: string;
  value: string;
  short: boolean;
}

/** A Slack attachment. */
export interface SlackAttachment {
  color: string;
  fallback: string;
  author_name: string;
  text: string;
  mrkdwn_in: string[];
  fields: SlackField[];
}

/** A Slack (or Slack-compatible) message. */
export interface SlackMessage {
  channel?: string;
  username?: string;
  icon_emoji: string;
  attachments: SlackAttachment[];
}

/** Builds the message; `channel` and `username` are left out when empty so the webhook's own apply. */
export function slackMessage(alert: Alert, target: { channel?: string; username?: string }): SlackMessage {
  const message: SlackMessage = {
    icon_emoji: ':rocket:',
    attachments: [
      {
        color: SLACK_COLORS[alert.severity],
        fallback: `${alert.canary}: ${alert.message}`,
        author_name: alert.canary,
        text: alert.message,
        mrkdwn_in: ['text'],
        fields: alert.fields.map((f) => ({ title: f.name, value: f.value, short: false })),
      },
    ],
  };
  if (target.channel) message.channel = target.channel;
  if (target.username) message.username = target.username;
  return message;
}
