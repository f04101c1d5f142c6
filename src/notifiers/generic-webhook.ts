/**
 * The `webhook` provider (Fledge's own): POSTs the alert as plain JSON
 * `{canary, severity, message, fields, timestamp, id}` for receivers written against Fledge.
 */
import type { Alert, AlertField, AlertSeverity, Notifier } from './notifier.js';
import { endpointFor, postJson, type HttpNotifierOptions, type JsonEndpoint } from './post-json.js';

/** The JSON body of a `webhook` alert. */
export interface WebhookAlertBody {
  /** `namespace/name`. */
  canary: string;
  severity: AlertSeverity;
  message: string;
  fields: AlertField[];
  /** When the alert was sent, RFC 3339 in UTC. */
  timestamp: string;
  /** The alert's id, the same on every retry: delivery is at-least-once. */
  id?: string;
}

/** Options of {@link GenericWebhookNotifier}. */
export interface GenericWebhookNotifierOptions extends HttpNotifierOptions {
  /** Sent as `Authorization: Bearer <token>` when set. */
  token?: string;
  /** Clock for `timestamp`; defaults to the system clock. */
  now?: () => Date;
}

/** Posts alerts as Fledge JSON to any HTTP endpoint. */
export class GenericWebhookNotifier implements Notifier {
  private readonly endpoint: JsonEndpoint;
  private readonly now: () => Date;

  constructor(options: GenericWebhookNotifierOptions) {
    const token = options.token;
    this.endpoint = endpointFor(
      'webhook',
      options,
      token ? { headers: { Authorization: `Bearer ${token}` }, secrets: [token] } : {},
    );
    this.now = options.now ?? (() => new Date());
  }

  async send(alert: Alert): Promise<void> {
    const body: WebhookAlertBody = {
      canary: alert.canary,
      severity: alert.severity,
      message: alert.message,
      fields: alert.fields.map((f) => ({ name: f.name, value: f.value })),
      timestamp: this.now().toISOString(),
      ...(alert.id ? { id: alert.id } : {}),
    };
    await postJson(this.endpoint, body);
  }
}
