/**
 * Operator requests through whole ticks on the in-memory cluster: the built-in approval gate, the
 * request annotations removed once the status records the request, and a request seen again after
 * a tick that stopped before removing them.
 */
import type { Canary } from '../../../src/api/schema/canary.js';
import { EventReasons } from '../../../src/controller/events.js';
import { requestAnnotations, RequestAnnotations } from '../../../src/controller/request-annotations.js';
import { API, objectKey, type KubeEvent } from '../../../src/kube/resources.js';
import { Harness, NS } from './harness.js';

let h: Harness;
beforeEach(async () => {
  h = await Harness.start();
});
afterEach(async () => {
  await h.close();
});

const approval = [{ name: 'approve', type: 'confirm-promotion' as const, fledgeApproval: true }];

async function annotate(name: string, action: string, at: string): Promise<void> {
  const revision = (await h.canary(name)).status?.gate?.revision ?? '';
  await h.cluster.patch(objectKey(API.canary, NS, name), {
    metadata: { annotations: requestAnnotations({ action, revision, by: 'alice', at }) },
  });
}

async function requestKeys(name: string): Promise<string[]> {
  const c: Canary = await h.canary(name);
  return Object.keys(c.metadata.annotations ?? {}).filter((k) => k.startsWith('fledge.dev/request'));
}

describe('the built-in approval gate', () => {
  it('holds at confirm-promotion without calling anything, until fledge promote opens it', async () => {
    await h.startRollout('podinfo', { webhooks: approval });
    await h.tickUntil('podinfo', ['WaitingPromotion']);
    for (let i = 0; i < 3; i++) await h.tick('podinfo');
    const waiting = await h.canary('podinfo');
    expect(waiting.status?.phase).toBe('WaitingPromotion');
    expect(waiting.status?.gate).toEqual({
      type: 'confirm-promotion',
      revision: waiting.status?.lastAppliedSpec,
    });
    expect(h.hookPaths()).toEqual([]);

    await annotate('podinfo', 'promote', '2026-03-01T13:00:00Z');
    await h.tick('podinfo');
    const promoted = await h.canary('podinfo');
    expect(promoted.status?.phase).toBe('Promoting');
    expect(promoted.status?.lastRequest).toMatchObject({ action: 'promote', by: 'alice', result: 'Applied' });
    expect(await requestKeys('podinfo')).toEqual([]);
  });

  it('applies a request once even when its annotations come back (a tick stopped before removing them)', async () => {
    await h.startRollout('podinfo', {
      webhooks: [{ name: 'step', type: 'confirm-traffic-increase', fledgeApproval: true }],
    });
    await h.tick('podinfo'); // pre-rollout: the first step is held
    expect((await h.canary('podinfo')).status?.gate?.type).toBe('confirm-traffic-increase');
    await annotate('podinfo', 'promote', '2026-03-01T13:00:00Z');
    await h.tick('podinfo');
    expect((await h.canary('podinfo')).status?.canaryWeight).toBe(10);
    const before = (await h.canary('podinfo')).status?.lastRequest;
    // The same annotations again, as if the removal had never happened.
    await h.cluster.patch(objectKey(API.canary, NS, 'podinfo'), {
      metadata: {
        annotations: requestAnnotations({
          action: 'promote',
          revision: before!.revision,
          by: 'alice',
          at: '2026-03-01T13:00:00Z',
        }),
      },
    });
    await h.tick('podinfo');
    const after = await h.canary('podinfo');
    expect(after.status?.canaryWeight).toBe(10);
    expect(after.status?.lastRequest).toEqual(before);
    expect(await requestKeys('podinfo')).toEqual([]);
  });

  it('drops a stale request with a Warning Event and removes its annotations', async () => {
    await h.startRollout('podinfo', { webhooks: approval });
    await h.cluster.patch(objectKey(API.canary, NS, 'podinfo'), {
      metadata: {
        annotations: {
          [RequestAnnotations.action]: 'abort',
          [RequestAnnotations.revision]: 'not-this-one',
          [RequestAnnotations.at]: '2026-03-01T13:00:00Z',
        },
      },
    });
    await h.tick('podinfo');
    const c = await h.canary('podinfo');
    expect(c.status?.phase).toBe('Progressing');
    expect(c.status?.lastRequest?.result).toBe('Rejected');
    expect(await requestKeys('podinfo')).toEqual([]);
    const events = await h.cluster.list<KubeEvent>({ ...API.event, namespace: NS });
    expect(events).toContainEqual(
      expect.objectContaining({ reason: EventReasons.RequestRejected, type: 'Warning' }),
    );
  });
});
