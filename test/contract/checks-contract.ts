/**
 * The Checks and Notifications contract: what the reconciler relies on from the ports it asks
 * gates and checks through and tells the world through. Webhooks point at a real local HTTP
 * receiver, so the suite asserts on the requests that left the process: which URLs, in which
 * order, with which payload. The controller tests use the same implementation over the same
 * receiver (no scripted fake), so what they rely on is what this suite holds.
 */
import { resolveCanary, type ResolvedCanary } from '../../src/api/defaults.js';
import type { Canary, CanaryWebhook } from '../../src/api/schema/canary.js';
import type { Checks, Notifications } from '../../src/controller/ports.js';
import type { WebhookPayload } from '../../src/hooks/webhook.js';
import type { HttpReceiver } from '../support/http-receiver.js';

/** The ports to test and the world around them. */
export interface ChecksEnvironment {
  checks: Checks;
  notifications: Notifications;
  /** Where the test's webhooks and AlertProviders point; programmed by the suite. */
  receiver: HttpReceiver;
  /** Creates an AlertProvider `name` (in the canary's namespace) posting alerts to `path`. */
  alertProvider(name: string, path: string): Promise<void>;
  /** Metric queries the analysis ran so far; the canary's metric always passes. */
  metricQueries(): number;
  /** The clock the notifications read, in Unix milliseconds. */
  nowMs: number;
  cleanup(): Promise<void>;
}

const NS = 'contract';
/** Nothing listens on port 1 of the loopback: connections are refused at once. */
const UNREACHABLE = 'http://127.0.0.1:1/';

export function describeChecksContract(
  name: string,
  makeEnvironment: () => Promise<ChecksEnvironment>,
): void {
  describe(`Checks and Notifications contract: ${name}`, () => {
    let env: ChecksEnvironment;
    let server: HttpReceiver;
    beforeEach(async () => {
      env = await makeEnvironment();
      server = env.receiver;
    });
    afterEach(async () => {
      await env.cleanup();
    });

    const hook = (
      hookName: string,
      type: NonNullable<CanaryWebhook['type']>,
      path: string,
      over: Partial<CanaryWebhook> = {},
    ): CanaryWebhook => ({ name: hookName, type, url: server.url(path), ...over });

    function canary(
      webhooks: CanaryWebhook[],
      alerts: NonNullable<Canary['spec']['analysis']['alerts']> = [],
    ): ResolvedCanary {
      return resolveCanary(
        {
          apiVersion: 'fledge.dev/v1alpha1',
          kind: 'Canary',
          metadata: { name: 'podinfo', namespace: NS, uid: 'u1' },
          spec: {
            targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'podinfo' },
            service: { port: 9898 },
            analysis: {
              interval: '1m',
              stepWeight: 10,
              maxWeight: 30,
              metrics: [{ name: 'request-success-rate', thresholdRange: { min: 99 } }],
              webhooks,
              alerts,
            },
          },
        },
        { defaultProvider: 'istio', defaultMetricsServer: 'http://prometheus:9090' },
      );
    }

    const payload: WebhookPayload = {
      name: 'podinfo',
      namespace: NS,
      phase: 'Progressing',
      checksum: '0123456789abcdef',
      metadata: {},
    };
    const paths = () => server.requests.map((r) => r.path);

    describe('gates', () => {
      it('is open with no hook of the type (rollback: no rollback), calling nothing', async () => {
        const c = canary([hook('other', 'confirm-promotion', '/halt')]);
        expect((await env.checks.gate(c, 'confirm-rollout', payload)).open).toBe(true);
        expect((await env.checks.gate(c, 'rollback', payload)).open).toBe(false);
        expect(server.requests).toEqual([]);
      });

      it('asks the hooks of the type in order with the payload and each hook metadata', async () => {
        server.on('/a', { status: 200 }).on('/b', { status: 202 });
        const c = canary([
          hook('a', 'confirm-traffic-increase', '/a', { metadata: { gate: 'a' } }),
          hook('other', 'confirm-promotion', '/halt'),
          hook('b', 'confirm-traffic-increase', '/b'),
        ]);
        expect((await env.checks.gate(c, 'confirm-traffic-increase', payload)).open).toBe(true);
        expect(paths()).toEqual(['/a', '/b']);
        expect(server.bodiesTo('/a')).toEqual([{ ...payload, metadata: { gate: 'a' } }]);
      });

      it('closes at the first refusal, naming the hook and its muteAlert, asking none after it', async () => {
        server.on('/ok', { status: 200 }).on('/no', { status: 403, body: 'halted by ops' });
        const c = canary([
          hook('ok', 'confirm-promotion', '/ok'),
          hook('no', 'confirm-promotion', '/no', { muteAlert: true }),
          hook('later', 'confirm-promotion', '/ok'),
        ]);
        const answer = await env.checks.gate(c, 'confirm-promotion', payload);
        expect(answer).toMatchObject({ open: false, refusedBy: 'no', muted: true });
        expect(answer.message).toContain('halted by ops');
        expect(paths()).toEqual(['/ok', '/no']);
        const loud = canary([hook('no', 'confirm-rollout', '/no')]);
        expect(await env.checks.gate(loud, 'confirm-rollout', payload)).toMatchObject({ muted: false });
      });

      it('rolls back on the first rollback hook answering 2xx; a refusal or no answer does not', async () => {
        server.on('/no', { status: 403 }).on('/yes', { status: 200 });
        const c = canary([
          hook('no', 'rollback', '/no'),
          { name: 'gone', type: 'rollback', url: UNREACHABLE, timeout: '1s' },
          hook('yes', 'rollback', '/yes'),
          hook('later', 'rollback', '/yes'),
        ]);
        expect((await env.checks.gate(c, 'rollback', payload)).open).toBe(true);
        expect(paths()).toEqual(['/no', '/yes']);
        const calm = canary([hook('no', 'rollback', '/no')]);
        expect((await env.checks.gate(calm, 'rollback', payload)).open).toBe(false);
      });
    });

    describe('checks', () => {
      it('pre-rollout: one webhook check per hook called, stopping at the first failure', async () => {
        server.on('/ok', { status: 200 }).on('/broken', { status: 500, body: 'boom' });
        const c = canary([
          hook('first', 'pre-rollout', '/ok'),
          hook('second', 'pre-rollout', '/broken'),
          hook('third', 'pre-rollout', '/ok'),
        ]);
        const results = await env.checks.preRollout(c, payload);
        expect(results.map((r) => [r.name, r.kind, r.passed])).toEqual([
          ['first', 'webhook', true],
          ['second', 'webhook', false],
        ]);
        expect(results[1]?.message).toContain('boom');
        expect(paths()).toEqual(['/ok', '/broken']);
        expect(env.metricQueries()).toBe(0);
      });

      it('analysis: the rollout hooks in order, then the metrics', async () => {
        server.on('/load', { status: 200 }).on('/smoke', { status: 200 });
        const c = canary([hook('load', 'rollout', '/load'), hook('smoke', 'rollout', '/smoke')]);
        const results = await env.checks.analysis(c, payload);
        expect(results.map((r) => [r.name, r.kind, r.passed])).toEqual([
          ['load', 'webhook', true],
          ['smoke', 'webhook', true],
          ['request-success-rate', 'metric', true],
        ]);
        expect(paths()).toEqual(['/load', '/smoke']);
        expect(env.metricQueries()).toBe(1);
      });

      it('analysis: no metric is queried, and no later hook called, after a failed rollout hook', async () => {
        server.on('/load', { status: 502 }).on('/smoke', { status: 200 });
        const c = canary([hook('load', 'rollout', '/load'), hook('smoke', 'rollout', '/smoke')]);
        const results = await env.checks.analysis(c, payload);
        expect(results.map((r) => [r.name, r.passed])).toEqual([['load', false]]);
        expect(paths()).toEqual(['/load']);
        expect(env.metricQueries()).toBe(0);
      });

      it('turns an unreachable hook into a failed check, never a rejection', async () => {
        const c = canary([{ name: 'gone', type: 'rollout', url: UNREACHABLE, timeout: '1s' }]);
        const results = await env.checks.analysis(c, payload);
        expect(results).toEqual([expect.objectContaining({ name: 'gone', passed: false })]);
      });
    });

    describe('notifications', () => {
      it('forwards an Event to every event hook in order, with eventMessage, eventType and timestamp', async () => {
        server.on('/down', { status: 500 }).on('/events', { status: 200 });
        const c = canary([
          hook('down', 'event', '/down'),
          hook('events', 'event', '/events', { metadata: { env: 'prod' } }),
          hook('post', 'post-rollout', '/post'),
        ]);
        const event = { type: 'Warning' as const, reason: 'RollingBack' as const, message: 'Rolling back' };
        await expect(env.notifications.event(c, event, payload)).resolves.toEqual({
          delivered: ['webhook "events"'],
          failed: [{ receiver: 'webhook "down"', message: expect.stringContaining('500') }],
        });
        expect(paths()).toEqual(['/down', '/events']);
        expect(server.bodiesTo('/events')).toEqual([
          {
            ...payload,
            metadata: {
              env: 'prod',
              eventMessage: 'Rolling back',
              eventType: 'Warning',
              timestamp: String(env.nowMs),
            },
          },
        ]);
      });

      it('calls the post-rollout hooks in order until one fails, reporting each, never rejecting', async () => {
        server.on('/a', { status: 200 }).on('/b', { status: 503 });
        const c = canary([
          hook('a', 'post-rollout', '/a'),
          hook('b', 'post-rollout', '/b'),
          hook('c', 'post-rollout', '/a'),
          hook('gate', 'confirm-rollout', '/a'),
        ]);
        const done = { ...payload, phase: 'Succeeded' as const };
        await expect(env.notifications.postRollout(c, done)).resolves.toEqual({
          delivered: ['webhook "a"'],
          failed: [{ receiver: 'webhook "b"', message: expect.stringContaining('503') }],
        });
        expect(paths()).toEqual(['/a', '/b']);
        expect(server.bodiesTo('/a')).toEqual([done]);
      });

      it('sends an alert to the providers whose severity admits it, past a missing one, reporting each', async () => {
        server.on('/all', { status: 200 }).on('/errors', { status: 200 });
        await env.alertProvider('all', '/all');
        await env.alertProvider('errors', '/errors');
        const c = canary(
          [],
          [
            { name: 'missing', providerRef: { name: 'nope' } },
            { name: 'all', severity: 'info', providerRef: { name: 'all' } },
            { name: 'errors', severity: 'error', providerRef: { name: 'errors' } },
          ],
        );
        const warn = { severity: 'warn' as const, message: 'Halt: waiting for approval' };
        await expect(env.notifications.alert(c, warn)).resolves.toEqual({
          delivered: ['alert "all"'],
          failed: [{ receiver: 'alert "missing"', message: expect.stringContaining('not found') }],
        });
        await env.notifications.alert(c, { severity: 'error', message: 'Rolling back' });
        expect(server.bodiesTo('/all')).toEqual([
          expect.objectContaining({ canary: `${NS}/podinfo`, severity: 'warn', message: warn.message }),
          expect.objectContaining({ severity: 'error', message: 'Rolling back' }),
        ]);
        expect(server.bodiesTo('/errors')).toEqual([expect.objectContaining({ severity: 'error' })]);
      });
    });
  });
}
