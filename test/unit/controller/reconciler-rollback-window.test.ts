/**
 * The rollback window through the reconciler, on the in-memory cluster with a real local HTTP
 * receiver: what a fast rollback writes (the primary, the routes) and which hooks and alerts it
 * sends, asserted on what reached the cluster and the receiver.
 */
import { EventReasons } from '../../../src/controller/events.js';
import type { WebhookPayload } from '../../../src/hooks/webhook.js';
import { ALERTS_PATH, useHarness, type Harness } from './harness.js';

let h: Harness;
useHarness((started) => {
  h = started;
});

async function promote(image: string): Promise<void> {
  await h.setImage('podinfo', image);
  await h.tickUntil('podinfo', ['Progressing']);
  await h.tickUntil('podinfo', ['Succeeded']);
}

const primaryImage = async () =>
  (await h.deployment('podinfo-primary'))?.spec.template.spec.containers[0]?.image;

describe('a fast rollback through the reconciler', () => {
  it('copies the revision to the primary with all traffic on it, calling only post-rollout and event hooks', async () => {
    await h.install('podinfo', 'podinfo:1', {
      webhooks: h.allHooks(),
      alerts: await h.alertsTo(),
      rollbackWindow: { revisions: 3 },
    });
    await h.tickUntil('podinfo', ['Initialized']);
    await promote('podinfo:2');
    await promote('podinfo:3');
    expect(await primaryImage()).toBe('podinfo:3');
    expect((await h.canary('podinfo')).status?.promotedRevisions).toHaveLength(3);

    const requests = h.receiver.requests.length;
    const alerts = h.alerts().length;
    const queries = h.metricQueries.length;
    const weights = h.weights.get('podinfo')!.length;
    await h.setImage('podinfo', 'podinfo:2'); // the revert
    const first = await h.tick('podinfo');
    expect(first.phase).toBe('Promoting');
    expect(await primaryImage()).toBe('podinfo:2');
    const second = await h.tick('podinfo');
    expect(second.phase).toBe('Succeeded');

    const status = (await h.canary('podinfo')).status!;
    expect(status).toMatchObject({ canaryWeight: 0, fastRollback: true });
    expect(status.conditions).toContainEqual(
      expect.objectContaining({ type: 'Promoted', status: 'True', reason: EventReasons.FastRollback }),
    );
    // No traffic step: the VirtualService was never written with another split.
    expect(h.weights.get('podinfo')!.slice(weights)).toEqual([]);
    expect((await h.deployment('podinfo'))?.spec.replicas).toBe(0);
    expect(h.metricQueries.length).toBe(queries);
    const called = h.receiver.requests.slice(requests).map((r) => r.path);
    expect(called.filter((p) => p !== '/event' && p !== ALERTS_PATH)).toEqual(['/post']);
    const post = JSON.parse(h.receiver.requests.slice(requests).find((r) => r.path === '/post')!.body);
    expect((post as WebhookPayload).phase).toBe('Succeeded');
    expect(
      h
        .alerts()
        .slice(alerts)
        .map((a) => a.message),
    ).toEqual([
      expect.stringContaining('Fast rollback:'),
      expect.stringContaining('Fast rollback completed!'),
    ]);
    const reasons = (await h.events()).map((e) => e.reason);
    expect(reasons).toContain(EventReasons.FastRollback);
  });

  it('fast-tracks a ConfigMap set back to a promoted content', async () => {
    // The ConfigMap is referenced through envFrom, as the e2e scenario of config tracking does.
    await h.cluster.create({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'podinfo-config', namespace: 'test' },
      data: { GREETING: 'hello' },
    });
    await h.install('podinfo', 'podinfo:1', { rollbackWindow: { revisions: 2 } });
    const target = (await h.deployment('podinfo'))!;
    target.spec.template.spec.containers[0]!.envFrom = [{ configMapRef: { name: 'podinfo-config' } }];
    await h.cluster.replace(target);
    await h.settle();
    await h.tickUntil('podinfo', ['Initialized']);

    const setGreeting = async (GREETING: string) => {
      await h.cluster.patch(
        { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'test', name: 'podinfo-config' },
        { data: { GREETING } },
      );
      await h.settle();
    };
    await setGreeting('bonjour');
    await h.tickUntil('podinfo', ['Progressing']);
    await h.tickUntil('podinfo', ['Succeeded']);
    await setGreeting('hello');
    expect((await h.tick('podinfo')).phase).toBe('Promoting');
    await h.tickUntil('podinfo', ['Succeeded']);
    const copy = await h.cluster.getFull<
      { apiVersion: string; kind: string; metadata: { name: string } } & {
        data?: Record<string, string>;
      }
    >({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'test', name: 'podinfo-config-primary' });
    expect(copy?.data).toEqual({ GREETING: 'hello' });
    expect((await h.canary('podinfo')).status?.fastRollback).toBe(true);
  });
});
