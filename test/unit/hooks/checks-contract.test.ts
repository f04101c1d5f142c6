/**
 * WebhookChecks and CanaryNotifications over the HTTP webhook caller, held to the Checks and
 * Notifications contract against a real local receiver (the controller tests use the same).
 */
import { pino } from 'pino';
import type { MetricQuery } from '../../../analysis/provider.js';
import { SimulatedProvider, SimulatedTraffic } from '../../../analysis/providers/simulated.js';
import { runMetricChecks } from '../../../analysis/run-checks.js';
import type { AlertProvider } from '../../../src/api/schema/alert-provider.js';
import { HttpWebhookCaller } from '../../../src/hooks/http-webhook-caller.js';
import { WebhookChecks } from '../../../src/hooks/webhook-checks.js';
import { MemoryCluster } from '../../../src/kube/memory/memory-cluster.js';
import { CanaryNotifications } from '../../../src/notifiers/canary-notifications.js';
import { describeChecksContract } from '../../contract/checks-contract.js';
import { HttpReceiver } from '../../support/http-receiver.js';

describeChecksContract('WebhookChecks and CanaryNotifications over HTTP', async () => {
  const receiver = await HttpReceiver.start();
  const cluster = new MemoryCluster();
  const logger = pino({ level: 'silent' });
  const caller = new HttpWebhookCaller({ sleep: async () => undefined });
  const traffic = new SimulatedTraffic({ jitterPercent: 0 });
  traffic.set('contract', 'podinfo', { errorRatePercent: 0 });
  const simulated = new SimulatedProvider({ traffic });
  const queries: MetricQuery[] = [];
  const nowMs = Date.parse('2026-03-01T12:00:00.123Z');
  return {
    receiver,
    nowMs,
    checks: new WebhookChecks({
      caller,
      logger,
      runMetrics: (canary) =>
        runMetricChecks(canary, {
          getTemplate: async () => undefined,
          providerFor: () => ({
            query: (q) => {
              queries.push(q);
              return simulated.query(q);
            },
          }),
        }),
    }),
    notifications: new CanaryNotifications({ cluster, caller, logger, now: () => new Date(nowMs) }),
    metricQueries: () => queries.length,
    alertProvider: async (name, path) => {
      const provider: AlertProvider = {
        apiVersion: 'fledge.dev/v1alpha1',
        kind: 'AlertProvider',
        metadata: { name, namespace: 'contract' },
        spec: { type: 'webhook', address: receiver.url(path) },
      };
      await cluster.create(provider);
    },
    cleanup: () => receiver.close(),
  };
});

describe('options', () => {
  const logger = pino({ level: 'silent' });
  const caller = new HttpWebhookCaller();

  it('WebhookChecks names the option that cannot work', () => {
    expect(() => new WebhookChecks({ caller: {} as never, logger, runMetrics: async () => [] })).toThrow(
      'WebhookChecks: options.caller must be a WebhookCaller',
    );
    expect(() => new WebhookChecks({ caller, logger, runMetrics: undefined as never })).toThrow(
      'options.runMetrics must be a function',
    );
  });

  it('CanaryNotifications names the option that cannot work', () => {
    const cluster = new MemoryCluster();
    const now = () => new Date();
    expect(() => new CanaryNotifications({ cluster, caller: {} as never, logger, now })).toThrow(
      'options.caller must be a WebhookCaller',
    );
    expect(() => new CanaryNotifications({ cluster: undefined as never, caller, logger, now })).toThrow(
      'options.cluster is required',
    );
    expect(() => new CanaryNotifications({ cluster, caller, logger, now: 1 as never })).toThrow(
      'options.now must be a clock',
    );
  });
});
