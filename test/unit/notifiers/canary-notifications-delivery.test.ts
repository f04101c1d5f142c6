import { pino } from 'pino';
import type { ResolvedWebhook } from '../../../src/api/defaults.js';
import { resolveCanary } from '../../../src/api/defaults.js';
import type { WebhookPayload } from '../../../src/hooks/webhook.js';
import { MemoryCluster } from '../../../src/kube/memory/memory-cluster.js';
import { CanaryNotifications } from '../../../src/notifiers/canary-notifications.js';
import { canaryObject } from '../controller/harness.js';

const now = () => new Date('2026-03-01T12:00:00Z');

function setup() {
  const calls: { hook: string; payload: WebhookPayload }[] = [];
  const notifications = new CanaryNotifications({
    cluster: new MemoryCluster({ now }),
    caller: {
      call: async (hook: ResolvedWebhook, payload: WebhookPayload) => {
        calls.push({ hook: hook.name, payload });
        return hook.name === 'down' ? { ok: false, message: 'answered 503' } : { ok: true, message: 'ok' };
      },
    },
    logger: pino({ level: 'silent' }),
    now,
  });
  const object = canaryObject('podinfo', {
    webhooks: [
      { name: 'up', type: 'post-rollout', url: 'http://up.test/' },
      { name: 'down', type: 'post-rollout', url: 'http://down.test/' },
    ],
    alerts: [{ name: 'team', providerRef: { name: 'missing' } }],
  });
  const canary = resolveCanary(object, { defaultProvider: 'istio', defaultMetricsServer: 'http://p:9090' });
  const payload: WebhookPayload = {
    name: 'podinfo',
    namespace: 'test',
    phase: 'Failed',
    checksum: 'abc',
    metadata: {},
  };
  return { notifications, canary, calls, payload };
}

describe('CanaryNotifications: delivery reports', () => {
  it('reports delivery per receiver, sends the effect id, and skips receivers that took it', async () => {
    const { notifications, canary, calls, payload } = setup();
    const first = await notifications.postRollout(canary, payload, { effectId: 'uid-7-2' });
    expect(first).toEqual({
      delivered: ['webhook "up"'],
      failed: [{ receiver: 'webhook "down"', message: 'answered 503' }],
    });
    expect(calls.map((c) => c.payload.metadata.effectId)).toEqual(['uid-7-2', 'uid-7-2']);

    calls.length = 0;
    await notifications.postRollout(canary, payload, { effectId: 'uid-7-2', skip: new Set(first.delivered) });
    expect(calls.map((c) => c.hook)).toEqual(['down']);
  });

  it('reports an alert that could not be delivered, naming the provider', async () => {
    const { notifications, canary } = setup();
    const report = await notifications.alert(canary, { severity: 'error', message: 'rolled back' });
    expect(report.delivered).toEqual([]);
    expect(report.failed).toEqual([
      { receiver: 'alert "team"', message: 'AlertProvider test/missing not found (alert "team")' },
    ]);
    expect(
      await notifications.alert(
        canary,
        { severity: 'error', message: 'x' },
        { skip: new Set(['alert "team"']) },
      ),
    ).toEqual({ delivered: [], failed: [] });
  });
});
