/**
 * The {@link Notifications} port: Events forwarded to `event` webhooks, `post-rollout` webhooks,
 * and alerts sent to the Canary's AlertProviders by severity. Every failure is logged here and
 * reported per receiver, never thrown: a broken chat service or receiver must not stop a rollout,
 * and the reconciler retries what a receiver did not take (see `controller/outbox.ts`).
 */
import type { Logger } from 'pino';
import type { ResolvedCanary, ResolvedWebhook } from '../api/defaults.js';
import type { AlertProvider } from '../api/schema/alert-provider.js';
import { LogKeys } from '../controller/events.js';
import type { DeliveryOptions, DeliveryReport, Notifications } from '../controller/ports.js';
import type { AlertEffect, EventEffect } from '../controller/types.js';
import { subjectOf, type HookSubject } from '../hooks/payload.js';
import { notifyAll, type HookReport } from '../hooks/run-hooks.js';
import type { WebhookCaller, WebhookPayload } from '../hooks/webhook.js';
import type { Cluster } from '../kube/cluster.js';
import { API, objectKey, type Secret } from '../kube/resources.js';
import { createNotifier, providerSecretFromData, type NotifierDeps } from './factory.js';
import { shouldNotify } from './notifier.js';

/** Options of {@link CanaryNotifications}. */
export interface CanaryNotificationsOptions {
  /** Where AlertProviders and their Secrets are read. */
  cluster: Cluster;
  caller: WebhookCaller;
  logger: Logger;
  /** Clock of the `timestamp` sent to `event` webhooks. */
  now: () => Date;
  /** HTTP client and timeout for notifiers. */
  notifierDeps?: Omit<NotifierDeps, 'providerName'>;
}

/** Thrown by the constructor for options that cannot work. */
export class CanaryNotificationsOptionsError extends Error {
  override name = 'CanaryNotificationsOptionsError';
}

function subject(canary: ResolvedCanary, payload: WebhookPayload, effectId?: string): HookSubject {
  return { ...subjectOf(canary, payload), ...(effectId ? { effectId } : {}) };
}

/** The receiver name of a webhook in a {@link DeliveryReport}. */
export function webhookReceiver(name: string): string {
  return `webhook "${name}"`;
}

/** The receiver name of an alert (`analysis.alerts[].name`) in a {@link DeliveryReport}. */
export function alertReceiver(name: string): string {
  return `alert "${name}"`;
}

/** The hooks that have not taken the effect yet. */
function pending(hooks: ResolvedWebhook[], skip: ReadonlySet<string> | undefined): ResolvedWebhook[] {
  return skip ? hooks.filter((h) => !skip.has(webhookReceiver(h.name))) : hooks;
}

function deliveryReport(reports: HookReport[]): DeliveryReport {
  const report: DeliveryReport = { delivered: [], failed: [] };
  for (const r of reports) {
    if (r.outcome.ok) report.delivered.push(webhookReceiver(r.hook));
    else report.failed.push({ receiver: webhookReceiver(r.hook), message: r.outcome.message });
  }
  return report;
}

/** Tells webhooks and chat services what happened to a canary. */
export class CanaryNotifications implements Notifications {
  constructor(private readonly o: CanaryNotificationsOptions) {
    if (typeof o?.caller?.call !== 'function') {
      throw new CanaryNotificationsOptionsError(
        'CanaryNotifications: options.caller must be a WebhookCaller',
      );
    }
    if (!o.cluster)
      throw new CanaryNotificationsOptionsError('CanaryNotifications: options.cluster is required');
    if (typeof o.now !== 'function') {
      throw new CanaryNotificationsOptionsError('CanaryNotifications: options.now must be a clock');
    }
  }

  /** Forwards the Event to every `event` webhook that has not taken it yet, in order. */
  async event(
    canary: ResolvedCanary,
    event: EventEffect,
    payload: WebhookPayload,
    options: DeliveryOptions = {},
  ): Promise<DeliveryReport> {
    const hooks = pending(canary.analysis.webhooks, options.skip);
    if (!hooks.some((h) => h.type === 'event')) return { delivered: [], failed: [] };
    const reports = await notifyAll(hooks, 'event', {
      caller: this.o.caller,
      subject: subject(canary, payload, options.effectId),
      event: { message: event.message, type: event.type },
      nowMs: this.o.now().getTime(),
    });
    this.logFailures(canary, reports, 'event webhook failed');
    return deliveryReport(reports);
  }

  /** Calls the `post-rollout` webhooks that have not taken the effect yet, in order, up to the first failure. */
  async postRollout(
    canary: ResolvedCanary,
    payload: WebhookPayload,
    options: DeliveryOptions = {},
  ): Promise<DeliveryReport> {
    const reports = await notifyAll(pending(canary.analysis.webhooks, options.skip), 'post-rollout', {
      caller: this.o.caller,
      subject: subject(canary, payload, options.effectId),
    });
    this.logFailures(canary, reports, 'post-rollout webhook failed');
    return deliveryReport(reports);
  }

  /** Sends an alert to every provider of the Canary whose severity admits it, in spec order. */
  async alert(
    canary: ResolvedCanary,
    alert: AlertEffect,
    options: DeliveryOptions = {},
  ): Promise<DeliveryReport> {
    const log = this.o.logger.child({ [LogKeys.canary]: `${canary.namespace}/${canary.name}` });
    const report: DeliveryReport = { delivered: [], failed: [] };
    for (const ref of canary.analysis.alerts) {
      if (!shouldNotify(alert.severity, ref.severity ?? 'info')) continue;
      const receiver = alertReceiver(ref.name);
      if (options.skip?.has(receiver)) continue;
      const namespace = ref.providerRef.namespace ?? canary.namespace;
      const providerName = `${namespace}/${ref.providerRef.name}`;
      try {
        const provider = await this.o.cluster.get<AlertProvider>(
          objectKey(API.alertProvider, namespace, ref.providerRef.name),
        );
        if (!provider) throw new Error(`AlertProvider ${providerName} not found (alert "${ref.name}")`);
        const secretName = provider.spec.secretRef?.name;
        const secret = secretName
          ? await this.o.cluster.getFull<Secret>(objectKey(API.secret, namespace, secretName))
          : undefined;
        if (secretName && !secret)
          throw new Error(`Secret ${namespace}/${secretName} of AlertProvider ${providerName} not found`);
        const notifier = createNotifier(
          provider.spec,
          secret ? providerSecretFromData(secret.data, secret.stringData) : undefined,
          { ...this.o.notifierDeps, providerName },
        );
        await notifier.send({
          canary: `${canary.namespace}/${canary.name}`,
          severity: alert.severity,
          message: alert.message,
          fields: alert.fields ?? [],
          ...(options.effectId ? { id: options.effectId } : {}),
        });
        report.delivered.push(receiver);
      } catch (err) {
        log.warn({ [LogKeys.err]: err, alert: ref.name }, 'alert not delivered');
        report.failed.push({ receiver, message: err instanceof Error ? err.message : String(err) });
      }
    }
    return report;
  }

  private logFailures(canary: ResolvedCanary, reports: HookReport[], what: string): void {
    for (const r of reports) {
      if (r.outcome.ok) continue;
      this.o.logger.warn(
        { [LogKeys.canary]: `${canary.namespace}/${canary.name}`, hook: r.hook, type: r.type },
        `${what}: ${r.outcome.message}`,
      );
    }
  }
}
