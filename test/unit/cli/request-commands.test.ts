/** `fledge promote`, `abort`, `retry`: what they refuse, and the request they write. */
import type { Canary, CanaryStatus } from '../../../src/api/schema/canary.js';
import { readRequest, RequestAnnotations } from '../../../src/controller/request-annotations.js';
import { requestAction, requestRevision } from '../../../src/cli/ops/request-commands.js';
import { OperatorError } from '../../../src/cli/ops/connection.js';
import { MemoryCluster } from '../../../src/kube/memory/memory-cluster.js';
import { API, objectKey, type KubeEvent } from '../../../src/kube/resources.js';

function canary(status: CanaryStatus, extra: Partial<Canary['metadata']> = {}): Canary {
  return {
    apiVersion: 'fledge.dev/v1alpha1',
    kind: 'Canary',
    metadata: { name: 'app', namespace: 'prod', uid: 'u1', ...extra },
    spec: {
      targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'app' },
      service: { port: 80 },
      analysis: { interval: '1m', threshold: 2, stepWeight: 10, maxWeight: 50 },
    },
    status,
  };
}

const gate = { type: 'confirm-promotion' as const, revision: 'abc' };

describe('requestRevision', () => {
  it('promote: the revision of the gate the canary waits at', () => {
    expect(requestRevision(canary({ phase: 'WaitingPromotion', gate }), 'promote')).toEqual({
      revision: 'abc',
    });
  });

  it.each([
    ['promote', { phase: 'Progressing', lastAppliedSpec: 'abc' }, 'waits at no gate (phase Progressing)'],
    [
      'promote-full',
      { phase: 'Succeeded', lastAppliedSpec: 'abc' },
      'has no rollout under way (phase Succeeded)',
    ],
    ['abort', { phase: 'Failed', lastAppliedSpec: 'abc' }, 'has no rollout under way (phase Failed)'],
    ['retry', { phase: 'Progressing', lastAppliedSpec: 'abc' }, 'is Progressing, not Failed'],
    [
      'retry',
      { phase: 'Failed', canaryWeight: 100, lastAppliedSpec: 'abc' },
      'is Failed, not Failed after an analysis',
    ],
  ] as const)('%s refuses a canary in %j, naming it', (action, status, message) => {
    const found = requestRevision(canary(status as CanaryStatus), action);
    expect(found).toEqual({ problem: expect.stringContaining(message) });
    expect((found as { problem: string }).problem).toMatch(/^canary prod\/app /);
  });

  it('abort and retry name the revision under analysis or the one that failed', () => {
    expect(requestRevision(canary({ phase: 'Progressing', lastAppliedSpec: 'abc' }), 'abort')).toEqual({
      revision: 'abc',
    });
    expect(requestRevision(canary({ phase: 'Failed', lastAppliedSpec: 'abc' }), 'retry')).toEqual({
      revision: 'abc',
    });
  });

  it('refuses while another request is pending, and on a paused canary', () => {
    const pending = canary(
      { phase: 'WaitingPromotion', gate },
      {
        annotations: {
          [RequestAnnotations.action]: 'abort',
          [RequestAnnotations.revision]: 'abc',
          [RequestAnnotations.by]: 'bob',
          [RequestAnnotations.at]: '2026-01-01T00:00:00Z',
        },
      },
    );
    expect(requestRevision(pending, 'promote')).toEqual({
      problem: expect.stringContaining('has a abort request by bob the controller has not handled yet'),
    });
    const paused = canary({ phase: 'WaitingPromotion', gate });
    paused.spec.suspend = true;
    expect(requestRevision(paused, 'promote')).toEqual({ problem: expect.stringContaining('is paused') });
  });
});

describe('requestAction', () => {
  async function clusterWith(c: Canary): Promise<MemoryCluster> {
    const cluster = new MemoryCluster();
    const { status, ...rest } = c;
    await cluster.create(rest as Canary);
    await cluster.patchStatus(objectKey(API.canary, 'prod', 'app'), status as Record<string, unknown>);
    return cluster;
  }

  it('writes the request annotations and an Event, and changes nothing in the spec', async () => {
    const cluster = await clusterWith(canary({ phase: 'WaitingPromotion', gate }));
    const before = (await cluster.get<Canary>(objectKey(API.canary, 'prod', 'app')))!;
    const line = await requestAction(cluster, 'prod', 'app', 'promote-full');
    expect(line).toMatch(/^promote --full of canary prod\/app requested for revision abc/);
    const after = (await cluster.get<Canary>(objectKey(API.canary, 'prod', 'app')))!;
    expect(after.spec).toEqual(before.spec);
    const request = readRequest(after.metadata.annotations);
    expect(request).toMatchObject({ action: 'promote-full', revision: 'abc' });
    expect(request?.malformed).toBeUndefined();
    const events = await cluster.list<KubeEvent>({ ...API.event, namespace: 'prod' });
    expect(events).toContainEqual(
      expect.objectContaining({ reason: 'Requested', reportingController: 'fledge.dev/cli' }),
    );
  });

  /** The cluster with the controller's status write landing just before the CLI's first patch. */
  function withTickBeforePatch(cluster: MemoryCluster, status: CanaryStatus): MemoryCluster {
    let ticked = false;
    return new Proxy(cluster, {
      get(target, prop, receiver) {
        if (prop !== 'patch') return Reflect.get(target, prop, receiver);
        return async (...args: Parameters<MemoryCluster['patch']>) => {
          if (!ticked) {
            ticked = true;
            await target.patchStatus(objectKey(API.canary, 'prod', 'app'), status as Record<string, unknown>);
          }
          return target.patch(...args);
        };
      },
    });
  }

  it('writes the request again, checked anew, when a status write of the controller came first', async () => {
    const cluster = await clusterWith(canary({ phase: 'WaitingPromotion', gate }));
    const racing = withTickBeforePatch(cluster, { phase: 'WaitingPromotion', gate, iterations: 3 });
    await requestAction(racing, 'prod', 'app', 'promote');
    const after = (await cluster.get<Canary>(objectKey(API.canary, 'prod', 'app')))!;
    expect(readRequest(after.metadata.annotations)).toMatchObject({ action: 'promote', revision: 'abc' });
  });

  it('refuses, writing nothing, when the canary moved past the gate before the request landed', async () => {
    const cluster = await clusterWith(canary({ phase: 'WaitingPromotion', gate }));
    // A merge patch: null removes the gate, as the controller's status write does.
    const passed = { phase: 'Succeeded', gate: null } as unknown as CanaryStatus;
    const racing = withTickBeforePatch(cluster, passed);
    await expect(requestAction(racing, 'prod', 'app', 'promote')).rejects.toThrow(/waits at no gate/);
    const after = (await cluster.get<Canary>(objectKey(API.canary, 'prod', 'app')))!;
    expect(readRequest(after.metadata.annotations)).toBeUndefined();
  });

  it('fails with an OperatorError, writing nothing, when the canary waits at no gate', async () => {
    const cluster = await clusterWith(canary({ phase: 'Progressing', lastAppliedSpec: 'abc' }));
    await expect(requestAction(cluster, 'prod', 'app', 'promote')).rejects.toThrow(OperatorError);
    const after = (await cluster.get<Canary>(objectKey(API.canary, 'prod', 'app')))!;
    expect(readRequest(after.metadata.annotations)).toBeUndefined();
  });
});
