/**
 * Alert notifiers: the port the controller sends alerts through, the severity routing rule and the
 * errors a notifier raises. One file per chat service implements the port; `factory.ts` picks one
 * from an AlertProvider.
 */
import type { AlertProviderType } from '../api/schema/alert-provider.js';

/** Alert severities, lowest first. */
export const ALERT_SEVERITIES = ['info', 'warn', 'error'] as const;
export type AlertSeverity = (typeof ALERT_SEVERITIES)[number];

/** A name/value line shown under the message (e.g. "Failed checks threshold" / "5"). */
export interface AlertField {
  name: string;
  value: string;
}

/** One notification about a canary. */
export interface Alert {
  /** The canary, as `namespace/name`. */
  canary: string;
  severity: AlertSeverity;
  message: string;
  fields: AlertField[];
  /** Unique id of the alert; a retried delivery sends the same id, so a receiver can de-duplicate. */
  id?: string;
}

/** Sends alerts to one receiver. */
export interface Notifier {
  /** Delivers the alert; throws {@link NotifierError} when the receiver does not accept it. */
  send(alert: Alert): Promise<void>;
}

/**
 * A send that failed: the receiver answered outside 2xx, could not be reached, or timed out. The
 * message names the provider type and the status; addresses and tokens never appear in it.
 */
export class NotifierError extends Error {
  override name = 'NotifierError';
  constructor(
    message: string,
    /** The AlertProvider type (`slack`, `msteams`, ...). */
    readonly providerType: AlertProviderType,
    /** HTTP status of the answer, when there was one. */
    readonly statusCode?: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** An AlertProvider that cannot be used as configured; the message names the field and why. */
export class NotifierConfigError extends Error {
  override name = 'NotifierConfigError';
}

const RANK: Record<AlertSeverity, number> = { info: 0, warn: 1, error: 2 };

/**
 * Whether an alert goes to a provider subscribed at `providerSeverity` (a canary's
 * `analysis.alerts[].severity`, default `info`): `info` receives everything, `warn` receives
 * warn and error, `error` only error.
 */
export function shouldNotify(
  alertSeverity: AlertSeverity,
  providerSeverity: AlertSeverity = 'info',
): boolean {
  return RANK[alertSeverity] >= RANK[providerSeverity];
}
