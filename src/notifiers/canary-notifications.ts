/**
 * The {@link Notifications} port: Events forwarded to `event` webhooks, `post-rollout` webhooks,
 * and alerts sent to the Canary's AlertProviders by severity. Every failure is logged here and
 * never reaches the tick: a broken chat service or receiver must not stop a rollout.
 */
import type { Logger } from 'pino';
import type { ResolvedCanary } from '../api/defaults.js';
import type { AlertProvider } from '../api/schema/alert-provider.js';
import { LogKeys } from '../controller/events.js';
import type { Notifications } from '../controller/ports.js';
import type { AlertEffect, EventEffect } from '../controller/types.js';
import { subjectOf } from '../hooks/payload.js';
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

  /** Forwards the Event to every `event` webhook, in order. */
  async event(canary: ResolvedCanary, event: EventEffect, payload: WebhookPayload): Promise<void> {
    if (!canary.analysis.webhooks.some((h) => h.type === 'event')) return;
    const reports = await notifyAll(canary.analysis.webhooks, 'event', {
      caller: this.o.caller,
      subject: subjectOf(canary, payload),
      event: { message: event.message, type: event.type },
      nowMs: this.o.now().getTime(),
    });
    this.logFailures(canary, reports, 'event webhook failed');
  }

  /** Calls the `post-rollout` webhooks in order, up to the first failure. */
  async postRollout(canary: ResolvedCanary, payload: WebhookPayload): Promise<void> {
    const reports = await notifyAll(canary.analysis.webhooks, 'post-rollout', {
      caller: this.o.caller,
      subject: subjectOf(canary, payload),
    });
    this.logFailures(canary, reports, 'post-rollout webhook failed');
  }

  /** Sends an alert to every provider of the Canary whose severity admits it, in spec order. */
  async alert(canary: ResolvedCanary, alert: AlertEffect): Promise<void> {
    const log = this.o.logger.child({ [LogKeys.canary]: `${canary.namespace}/${canary.name}` });
    for (const ref of canary.analysis.alerts) {
      if (!shouldNotify(alert.severity, ref.severity ?? 'info')) continue;
      const namespace = ref.providerRef.namespace ?? canary.namespace;
      const providerName = `${namespace}/${ref.providerRef.name}`;
      try {
        const provider = await this.o.cluster.get<AlertProvider>(
          objectKey(API.alertProvider, namespace, ref.providerRef.name),
        );
        if (!provider) throw new Error(`AlertProvider ${providerName} not found (alert "${ref.name}")`);
        const secretName = provider.spec.secretRef?.name;
        const secret = secretName
          ? await this.o.cluster.get<Secret>(objectKey(API.secret, namespace, secretName))
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
        });
      } catch (err) {
        log.warn({ [LogKeys.err]: err, alert: ref.name }, 'alert not delivered');
      }
    }
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
