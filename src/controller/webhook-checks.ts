/**
 * The {@link Checks} and {@link Notifications} ports over webhooks, metric providers and alert
 * providers. Failures of notifications are logged here and never reach the tick.
 */
import type { Logger } from 'pino';
import type { ResolvedCanary } from '../api/defaults.js';
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
import type { Checks, GateType, Notifications } from './ports.js';
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

function subject(canary: ResolvedCanary, payload: WebhookPayload): HookSubject {
  return { name: canary.name, namespace: canary.namespace, phase: payload.phase, checksum: payload.checksum };
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
    if (!result.refusedBy) return { open: result.open, message: result.message };
    const by = result.refusedBy;
    return { open: false, message: result.message, refusedBy: by.name, muted: by.muteAlert === true };
  }

  preRollout(canary: ResolvedCanary, payload: WebhookPayload): Promise<CheckResult[]> {
    return runChecks(canary.analysis.webhooks, 'pre-rollout', {
      caller: this.o.caller,
      subject: subject(canary, payload),
    });
  }

  /** Rollout webhooks first, then the metrics, as Flagger orders them; no metrics after a failed hook. */
  async analysis(canary: ResolvedCanary, payload: WebhookPayload): Promise<CheckResult[]> {
    const hooks = await runChecks(canary.analysis.webhooks, 'rollout', {
      caller: this.o.caller,
      subject: subject(canary, payload),
    });
    if (hooks.some((h) => !h.passed)) return hooks;
    const metrics = await runMetricChecks(canary, {
      getTemplate: (namespace, name) => this.o.cluster.get(objectKey(API.metricTemplate, namespace, name)),
      providerFor: this.o.providerFor,
      concurrency: this.o.metricConcurrency,
    });
    return [...hooks, ...metrics];
  }

  async event(canary: ResolvedCanary, event: EventEffect, payload: WebhookPayload): Promise<void> {
    if (!canary.analysis.webhooks.some((h) => h.type === 'event')) return;
    const reports = await notifyAll(canary.analysis.webhooks, 'event', {
      caller: this.o.caller,
      subject: subject(canary, payload),
      event: { message: event.message, type: event.type },
      nowMs: this.o.now().getTime(),
    });
    this.logFailures(canary, reports, 'event webhook failed');
  }

  async postRollout(canary: ResolvedCanary, payload: WebhookPayload): Promise<void> {
    const reports = await notifyAll(canary.analysis.webhooks, 'post-rollout', {
      caller: this.o.caller,
      subject: subject(canary, payload),
    });
    this.logFailures(canary, reports, 'post-rollout webhook failed');
  }

  /** Sends an alert to every provider of the Canary whose severity admits it. */
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
