/**
 * The {@link Checks} and {@link Notifications} ports over webhooks, metric providers and alert
 * providers. Failures of notifications are logged here and reported per receiver, never thrown.
 */
import type { Logger } from 'pino';
import type { ResolvedCanary, ResolvedWebhook } from '../api/defaults.js';
import type { AlertProvider } from '../api/schema/alert-provider.js';
import type { CheckResult } from '../api/schema/canary.js';
import { runMetricChecks, type MetricCheckDeps } from '../../analysis/run-checks.js';
import type { Cluster } from '../kube/cluster.js';
import { API, objectKey, type Secret } from '../kube/resources.js';
import type { HookSubject } from '../hooks/payload.js';
import { askRollback, notifyAll, runChecks, runGate, type HookReport } from '../hooks/run-hooks.js';
import type { WebhookCaller, WebhookPayload } from '../hooks/webhook.js';
import { createNotifier, providerSecretFromData, type NotifierDeps } from '../notifiers/factory.js';
import { shouldNotify } from '../notifiers/notifier.js';
import { LogKeys } from './events.js';
import type { Checks, DeliveryOptions, DeliveryReport, GateType, Notifications } from './ports.js';
import type { AlertEffect, EventEffect, GateAnswer } from './types.js';

export interface WebhookChecksOptions {
  cluster: Cluster;
  caller: WebhookCaller;
  /** Builds metric providers (Prometheus in a cluster, simulated in the sandbox). */
  providerFor: MetricCheckDeps['providerFor'];
  logger: Logger;
  now: () => Date;
  /** HTTP client and timeout for notifiers. */
  notifierDeps?: Omit<NotifierDeps, 'providerName'>;
  metricConcurrency?: number;
}

function subject(canary: ResolvedCanary, payload: WebhookPayload, effectId?: string): HookSubject {
  return {
    name: canary.name,
    namespace: canary.namespace,
    phase: payload.phase,
    checksum: payload.checksum,
    ...(effectId ? { effectId } : {}),
  };
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

export class WebhookChecks implements Checks, Notifications {
  constructor(private readonly o: WebhookChecksOptions) {}

  async gate(canary: ResolvedCanary, type: GateType, payload: WebhookPayload): Promise<GateAnswer> {
    const run = { caller: this.o.caller, subject: subject(canary, payload) };
    const hooks = canary.analysis.webhooks;
    if (type === 'rollback') {
      const answer = await askRollback(hooks, run);
      // A refusal is the usual "no rollback" answer; only a hook that could not be reached is news.
      const unreachable = answer.reports.filter((r) => r.outcome.statusCode === undefined);
      this.logFailures(canary, unreachable, 'rollback webhook could not be asked');
      return { open: answer.rollback, message: answer.message };
    }
    const result = await runGate(hooks, type, run);
    return { open: result.open, message: result.message };
  }

  preRollout(canary: ResolvedCanary, payload: WebhookPayload): Promise<CheckResult[]> {
    return runChecks(canary.analysis.webhooks, 'pre-rollout', {
      caller: this.o.caller,
      subject: subject(canary, payload),
    });
  }

  /** Rollout webhooks first, then the metrics, as Flagger orders them. */
  async analysis(canary: ResolvedCanary, payload: WebhookPayload): Promise<CheckResult[]> {
    const hooks = await runChecks(canary.analysis.webhooks, 'rollout', {
      caller: this.o.caller,
      subject: subject(canary, payload),
    });
    const metrics = await runMetricChecks(canary, {
      getTemplate: (namespace, name) => this.o.cluster.get(objectKey(API.metricTemplate, namespace, name)),
      providerFor: this.o.providerFor,
      concurrency: this.o.metricConcurrency,
    });
    return [...hooks, ...metrics];
  }

  async event(
    canary: ResolvedCanary,
    event: EventEffect,
    payload: WebhookPayload,
    options: DeliveryOptions = {},
  ): Promise<DeliveryReport> {
    const reports = await notifyAll(pending(canary.analysis.webhooks, options.skip), 'event', {
      caller: this.o.caller,
      subject: subject(canary, payload, options.effectId),
      event: { message: event.message, type: event.type },
      nowMs: this.o.now().getTime(),
    });
    this.logFailures(canary, reports, 'event webhook failed');
    return deliveryReport(reports);
  }

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

  /** Sends an alert to every provider of the Canary whose severity admits it. */
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
