import type { ResolvedWebhook } from '../../../src/api/defaults.js';
import type { WebhookType } from '../../../src/api/schema/canary.js';
import { HttpWebhookCaller } from '../../../src/hooks/http-webhook-caller.js';
import type { HookSubject } from '../../../src/hooks/payload.js';
import { askRollback, notifyAll, runChecks, runGate, type HookRun } from '../../../src/hooks/run-hooks.js';
import type { WebhookCaller } from '../../../src/hooks/webhook.js';
import { HttpReceiver } from '../../support/http-receiver.js';

const subject: HookSubject = { name: 'podinfo', namespace: 'test', phase: 'Progressing', checksum: 'c1' };

describe('run-hooks', () => {
  let server: HttpReceiver;
  let run: HookRun;

  function hook(
    name: string,
    type: WebhookType,
    path: string,
    over: Partial<ResolvedWebhook> = {},
  ): ResolvedWebhook {
    return { name, type, url: server.url(path), timeoutMs: 2_000, retries: 0, ...over };
  }

  beforeEach(async () => {
    server = (await HttpReceiver.start()).loadTester();
    run = { caller: new HttpWebhookCaller({ sleep: async () => undefined }), subject };
  });
  afterEach(async () => {
    await server.close();
  });

  describe('runGate', () => {
    it('is open with no hooks of that type, and calls nothing', async () => {
      const hooks = [hook('halt', 'confirm-promotion', '/gate/halt')];
      const gate = await runGate(hooks, 'confirm-rollout', run);
      expect(gate).toEqual({ open: true, message: 'no confirm-rollout webhooks', reports: [] });
      expect(server.requests).toHaveLength(0);
    });

    it('is open when every hook of the type approves', async () => {
      const hooks = [
        hook('a', 'confirm-promotion', '/gate/approve'),
        hook('b', 'confirm-promotion', '/gate/approve'),
        hook('other', 'confirm-rollout', '/gate/halt'),
      ];
      const gate = await runGate(hooks, 'confirm-promotion', run);
      expect(gate.open).toBe(true);
      expect(gate.message).toBe('confirm-promotion approved by "a", "b"');
      expect(server.requestsTo('/gate/approve')).toHaveLength(2);
      expect(server.requestsTo('/gate/halt')).toHaveLength(0);
    });

    it('is closed when any hook refuses, and names it', async () => {
      const hooks = [
        hook('approve', 'confirm-traffic-increase', '/gate/approve'),
        hook('halt', 'confirm-traffic-increase', '/gate/halt'),
      ];
      const gate = await runGate(hooks, 'confirm-traffic-increase', run);
      expect(gate.open).toBe(false);
      expect(gate.message).toContain('confirm-traffic-increase halted: webhook "halt"');
      expect(gate.message).toContain('403 Forbidden: Forbidden');
      expect(gate.reports.map((r) => [r.hook, r.outcome.ok])).toEqual([
        ['approve', true],
        ['halt', false],
      ]);
      expect(gate.refusedBy?.name).toBe('halt');
    });

    it('follows a load tester gate opened for this canary only', async () => {
      const hooks = [hook('manual', 'confirm-rollout', '/gate/check')];
      expect((await runGate(hooks, 'confirm-rollout', run)).open).toBe(false);
      await fetch(server.url('/gate/open'), {
        method: 'POST',
        body: JSON.stringify({ name: 'other', namespace: 'test' }),
      });
      expect((await runGate(hooks, 'confirm-rollout', run)).open).toBe(false);
      await fetch(server.url('/gate/open'), {
        method: 'POST',
        body: JSON.stringify({ name: 'podinfo', namespace: 'test' }),
      });
      expect((await runGate(hooks, 'confirm-rollout', run)).open).toBe(true);
    });

    it('asks the hooks of one type one at a time, in declaration order', async () => {
      const arrivedAt: Record<string, number> = {};
      const slow = (path: string, delayMs: number) =>
        server.on(path, () => {
          arrivedAt[path] = Date.now();
          return { status: 200, delayMs };
        });
      slow('/slow-a', 200);
      slow('/slow-b', 0);
      const hooks = [hook('a', 'confirm-promotion', '/slow-a'), hook('b', 'confirm-promotion', '/slow-b')];
      const gate = await runGate(hooks, 'confirm-promotion', run);
      expect(gate.open).toBe(true);
      expect(server.requests.map((r) => r.path)).toEqual(['/slow-a', '/slow-b']);
      // Concurrent calls would have reached /slow-b while /slow-a was still waiting to answer.
      expect(arrivedAt['/slow-b']! - arrivedAt['/slow-a']!).toBeGreaterThanOrEqual(190);
    });

    it('stops at the first refusal, names the refusing hook, and asks none after it', async () => {
      const hooks = [
        hook('first', 'confirm-traffic-increase', '/gate/approve'),
        hook('quiet', 'confirm-traffic-increase', '/gate/halt', { muteAlert: true }),
        hook('never', 'confirm-traffic-increase', '/gate/approve'),
      ];
      const gate = await runGate(hooks, 'confirm-traffic-increase', run);
      expect(gate.open).toBe(false);
      expect(gate.refusedBy).toMatchObject({ name: 'quiet', muteAlert: true });
      expect(gate.reports.map((r) => r.hook)).toEqual(['first', 'quiet']);
      expect(server.requests.map((r) => r.path)).toEqual(['/gate/approve', '/gate/halt']);
    });
  });

  describe('runChecks', () => {
    it('returns one webhook check per hook of the type, in declaration order', async () => {
      server.on('/ok', { status: 200 });
      server.on('/broken', { status: 500, body: 'load test failed' });
      const hooks = [
        hook('smoke', 'rollout', '/ok'),
        hook('pre', 'pre-rollout', '/ok'),
        hook('load', 'rollout', '/broken'),
      ];
      const checks = await runChecks(hooks, 'rollout', run);
      expect(checks).toEqual([
        { name: 'smoke', kind: 'webhook', passed: true, message: expect.stringContaining('200 OK') },
        {
          name: 'load',
          kind: 'webhook',
          passed: false,
          message: expect.stringContaining('failed: 500 Internal Server Error: load test failed'),
        },
      ]);
    });

    it('stops at the first failed hook: the hooks after it are not called and not reported', async () => {
      server.on('/ok', { status: 200 });
      server.on('/broken', { status: 500 });
      const hooks = [
        hook('smoke', 'rollout', '/ok'),
        hook('load', 'rollout', '/broken'),
        hook('after', 'rollout', '/after'),
      ];
      const checks = await runChecks(hooks, 'rollout', run);
      expect(checks.map((c) => [c.name, c.passed])).toEqual([
        ['smoke', true],
        ['load', false],
      ]);
      expect(server.requests.map((r) => r.path)).toEqual(['/ok', '/broken']);
    });

    it("sends each hook's own metadata in Flagger's payload", async () => {
      server.on('/ok', { status: 200 });
      const hooks = [
        hook('one', 'pre-rollout', '/ok', { metadata: { cmd: 'one' } }),
        hook('two', 'pre-rollout', '/ok', { metadata: { cmd: 'two' } }),
      ];
      await runChecks(hooks, 'pre-rollout', run);
      const bodies = server.bodiesTo('/ok') as { metadata: { cmd: string } }[];
      expect(bodies.map((b) => b.metadata.cmd).sort()).toEqual(['one', 'two']);
      expect(bodies[0]).toEqual({
        name: 'podinfo',
        namespace: 'test',
        phase: 'Progressing',
        checksum: 'c1',
        metadata: expect.any(Object),
      });
    });

    it('turns a caller that throws into a failed check', async () => {
      const throwing: WebhookCaller = {
        call: () => Promise.reject(new Error('socket exploded')),
      };
      const checks = await runChecks([hook('x', 'rollout', '/ok')], 'rollout', { caller: throwing, subject });
      expect(checks).toEqual([
        {
          name: 'x',
          kind: 'webhook',
          passed: false,
          message: 'webhook "x" (rollout) failed: socket exploded',
        },
      ]);
    });
  });

  describe('askRollback', () => {
    it('does not roll back with no rollback hooks', async () => {
      const answer = await askRollback([hook('gate', 'confirm-rollout', '/gate/approve')], run);
      expect(answer).toEqual({ rollback: false, message: 'no rollback webhooks', reports: [] });
      expect(server.requests).toHaveLength(0);
    });

    it('does not roll back while the hook answers 403, nor when it is unreachable', async () => {
      const hooks = [
        hook('check', 'rollback', '/rollback/check'),
        hook('slow', 'rollback', '/never', { timeoutMs: 50 }),
      ];
      server.on('/never', { status: 200, delayMs: 1_000 });
      const answer = await askRollback(hooks, run);
      expect(answer.rollback).toBe(false);
      expect(answer.message).toBe('no rollback requested by "check", "slow"');
      expect(answer.reports[1]?.outcome.message).toContain('timed out');
    });

    it('rolls back when any rollback hook answers 2xx', async () => {
      const hooks = [hook('check', 'rollback', '/rollback/check'), hook('halt', 'rollback', '/gate/halt')];
      expect((await askRollback(hooks, run)).rollback).toBe(false);
      await fetch(server.url('/rollback/open'), {
        method: 'POST',
        body: JSON.stringify({ name: 'podinfo', namespace: 'test' }),
      });
      server.requests.length = 0;
      const answer = await askRollback(hooks, run);
      expect(answer.rollback).toBe(true);
      expect(answer.message).toBe('rollback requested by "check"');
      // The first hook asking for a rollback is enough: the next one is not asked.
      expect(server.requests.map((r) => r.path)).toEqual(['/rollback/check']);
    });
  });

  describe('notifyAll', () => {
    it('calls the post-rollout hooks in order until one fails, and returns their outcomes', async () => {
      server.on('/done', { status: 202 });
      server.on('/down', { status: 502 });
      const hooks = [
        hook('done', 'post-rollout', '/done'),
        hook('down', 'post-rollout', '/down'),
        hook('late', 'post-rollout', '/late'),
        hook('ev', 'event', '/done'),
      ];
      const reports = await notifyAll(hooks, 'post-rollout', {
        ...run,
        subject: { ...subject, phase: 'Succeeded' },
      });
      expect(reports.map((r) => [r.hook, r.type, r.outcome.ok])).toEqual([
        ['done', 'post-rollout', true],
        ['down', 'post-rollout', false],
      ]);
      expect((server.bodiesTo('/done')[0] as { phase: string }).phase).toBe('Succeeded');
      expect(server.requestsTo('/late')).toHaveLength(0);
    });

    it('forwards an event to every event hook, in order, even after one failed', async () => {
      server.on('/first', { status: 500 });
      server.on('/second', { status: 200 });
      const hooks = [hook('first', 'event', '/first'), hook('second', 'event', '/second')];
      const reports = await notifyAll(hooks, 'event', {
        ...run,
        event: { message: 'm', type: 'Normal' },
        nowMs: 1,
      });
      expect(reports.map((r) => [r.hook, r.outcome.ok])).toEqual([
        ['first', false],
        ['second', true],
      ]);
      expect(server.requests.map((r) => r.path)).toEqual(['/first', '/second']);
    });

    it('forwards an event with eventMessage, eventType and timestamp', async () => {
      server.on('/events', { status: 200 });
      const hooks = [hook('events', 'event', '/events', { metadata: { env: 'prod' } })];
      const reports = await notifyAll(hooks, 'event', {
        ...run,
        event: { message: 'Advance podinfo.test canary weight 10', type: 'Normal' },
        nowMs: 1_700_000_000_123,
      });
      expect(reports[0]?.outcome.ok).toBe(true);
      expect(server.bodiesTo('/events')).toEqual([
        {
          name: 'podinfo',
          namespace: 'test',
          phase: 'Progressing',
          checksum: 'c1',
          metadata: {
            env: 'prod',
            eventMessage: 'Advance podinfo.test canary weight 10',
            eventType: 'Normal',
            timestamp: '1700000000123',
          },
        },
      ]);
    });
  });
});
