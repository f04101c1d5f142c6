import { FINALIZER } from '../../../src/controller/reconciler.js';
import { EventReasons } from '../../../src/controller/events.js';
import { API, objectKey } from '../../../src/kube/resources.js';
import { NS, canaryObject, harnessPerTest } from './harness.js';

const VS = (name: string) => objectKey(API.virtualService, NS, name);

const harness = harnessPerTest();

describe('reconciler on the in-memory cluster', () => {
  it('initialises, rolls a new revision 10 -> 20 -> 30, promotes and scales the canary to zero', async () => {
    const h = await harness();
    h.receiver.on('/post', { status: 200 });
    await h.install('podinfo', 'podinfo:1', { webhooks: [h.hook('notify', 'post-rollout', '/post')] });
    await h.tickUntil('podinfo', ['Initialized']);
    expect((await h.deployment('podinfo'))?.spec.replicas).toBe(0);
    expect((await h.deployment('podinfo-primary'))?.spec.template.spec.containers[0]?.image).toBe(
      'podinfo:1',
    );

    await h.setImage('podinfo', 'podinfo:2');
    await h.tickUntil('podinfo', ['Succeeded']);

    expect(h.weights.get('podinfo')).toEqual(['100/0', '90/10', '80/20', '70/30', '100/0']);
    expect((await h.deployment('podinfo-primary'))?.spec.template.spec.containers[0]?.image).toBe(
      'podinfo:2',
    );
    expect((await h.deployment('podinfo'))?.spec.replicas).toBe(0);
    const status = (await h.canary('podinfo')).status!;
    expect(status).toMatchObject({ phase: 'Succeeded', canaryWeight: 0, failedChecks: 0 });
    expect(status.lastPromotedSpec).toBe(status.lastAppliedSpec);
    expect(status.conditions).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ type: 'Promoted', status: 'True', reason: 'Succeeded' }),
      ]),
    );
    const reasons = (await h.events()).map((e) => e.reason);
    expect(reasons).toEqual(
      expect.arrayContaining([
        EventReasons.Initialized,
        EventReasons.NewRevision,
        EventReasons.WeightAdvanced,
        EventReasons.Promoted,
      ]),
    );
    expect(h.receiver.bodiesTo('/post').map((b) => (b as { phase: string }).phase)).toEqual(['Succeeded']);
  });

  it('with events: transitions, writes Events for phase changes but none for weight steps', async () => {
    const h = await harness({ events: 'transitions' });
    await h.install('podinfo', 'podinfo:1');
    await h.tickUntil('podinfo', ['Initialized']);
    await h.setImage('podinfo', 'podinfo:2');
    await h.tickUntil('podinfo', ['Succeeded']);
    expect(h.weights.get('podinfo')).toEqual(['100/0', '90/10', '80/20', '70/30', '100/0']);
    const reasons = (await h.events()).map((e) => e.reason);
    expect(reasons).toEqual(
      expect.arrayContaining([EventReasons.Initialized, EventReasons.NewRevision, EventReasons.Promoted]),
    );
    expect(reasons).not.toContain(EventReasons.WeightAdvanced);
  });

  it('rolls back in the tick whose failed check reaches the threshold, showing the failing value', async () => {
    const h = await harness();
    await h.install('podinfo', 'podinfo:1', { alerts: await h.alertsTo() });
    await h.tickUntil('podinfo', ['Initialized']);
    await h.setImage('podinfo', 'podinfo:2');
    await h.tickUntil('podinfo', ['Progressing']);
    await h.tick('podinfo'); // pre-rollout -> 10
    h.traffic.set(NS, 'podinfo', { errorRatePercent: 5 });
    await h.tick('podinfo');
    expect((await h.canary('podinfo')).status).toMatchObject({
      phase: 'Progressing',
      failedChecks: 1,
      canaryWeight: 10,
    });
    await h.tick('podinfo');

    const vs = await h.cluster.get<
      { spec: { http: { route: { weight: number }[] }[] } } & {
        apiVersion: string;
        kind: string;
        metadata: { name: string };
      }
    >(VS('podinfo'));
    expect(vs?.spec.http[0]?.route.map((r) => r.weight)).toEqual([100, 0]);
    expect((await h.deployment('podinfo'))?.spec.replicas).toBe(0);
    const status = (await h.canary('podinfo')).status!;
    expect(status).toMatchObject({ phase: 'Failed', failedChecks: 2, canaryWeight: 0 });
    expect(status.checks).toEqual([
      expect.objectContaining({ name: 'request-success-rate', passed: false, value: 95, min: 99 }),
    ]);
    const failures = (await h.events()).filter((e) => e.reason === EventReasons.CheckFailed);
    expect(failures[0]?.note).toContain('95 is below the minimum 99');
    expect(failures[0]?.note).toContain('istio_requests_total{');
    expect(h.alerts().at(-1)).toMatchObject({ canary: `${NS}/podinfo`, severity: 'error' });
    expect(h.weights.get('podinfo')).toEqual(['100/0', '90/10', '100/0']);
  });

  it('writes nothing on a tick where nothing changes', async () => {
    const h = await harness();
    await h.install('podinfo', 'podinfo:1');
    await h.tickUntil('podinfo', ['Initialized']);
    await h.tick('podinfo');
    const before = { ...h.cluster.requests };
    await h.tick('podinfo');
    const after = h.cluster.requests;
    expect({
      create: after.create,
      replace: after.replace,
      patch: after.patch,
      patchStatus: after.patchStatus,
      delete: after.delete,
    }).toEqual({
      create: before.create,
      replace: before.replace,
      patch: before.patch,
      patchStatus: before.patchStatus,
      delete: before.delete,
    });
  });

  it('sets weights changed by someone else back, and does not count that interval', async () => {
    const h = await harness();
    await h.install('podinfo', 'podinfo:1');
    await h.tickUntil('podinfo', ['Initialized']);
    await h.setImage('podinfo', 'podinfo:2');
    await h.tickUntil('podinfo', ['Progressing']);
    await h.tick('podinfo'); // -> 10
    const vs = await h.cluster.get<{
      apiVersion: string;
      kind: string;
      metadata: { name: string };
      spec: { http: unknown[] };
    }>(VS('podinfo'));
    const http = structuredClone(vs!.spec.http) as { route: { weight: number }[] }[];
    http[0]!.route[0]!.weight = 100;
    http[0]!.route[1]!.weight = 0;
    await h.cluster.patch(VS('podinfo'), { spec: { http } });
    await h.settle();

    await h.tick('podinfo');
    expect((await h.canary('podinfo')).status?.canaryWeight).toBe(10);
    expect((await h.events()).map((e) => e.reason)).toContain(EventReasons.RoutesRestored);
    await h.tick('podinfo');
    expect(h.weights.get('podinfo')).toEqual(['100/0', '90/10', '100/0', '90/10', '80/20']);
  });

  it('reports a missing target on the Canary while other canaries keep progressing', async () => {
    const h = await harness();
    await h.install('podinfo', 'podinfo:1');
    await h.cluster.create(canaryObject('ghost'));
    const ghost = await h.tick('ghost');
    expect(ghost.error?.message).toContain('ghost');
    const status = (await h.canary('ghost')).status;
    expect(status?.conditions).toEqual([
      expect.objectContaining({ type: 'Reconciled', status: 'False', reason: EventReasons.TargetNotFound }),
    ]);
    expect((await h.events()).filter((e) => e.reason === EventReasons.TargetNotFound)).toHaveLength(1);
    await h.tick('ghost');
    expect((await h.events()).filter((e) => e.reason === EventReasons.TargetNotFound)).toHaveLength(1);

    await h.tickUntil('podinfo', ['Initialized']);
    await h.setImage('podinfo', 'podinfo:2');
    await h.tickUntil('podinfo', ['Succeeded']);
  });

  it('names the field of an invalid spec in a condition and an Event, and touches nothing else', async () => {
    const h = await harness();
    const bad = canaryObject('podinfo', { stepWeights: [10, 40, 30] });
    delete bad.spec.analysis.stepWeight;
    delete bad.spec.analysis.maxWeight;
    await h.cluster.create(bad);
    const result = await h.tick('podinfo');
    expect(result.error?.message).toContain(
      'spec.analysis.stepWeights[2]: must be greater than the previous step (30 <= 40)',
    );
    const condition = (await h.canary('podinfo')).status?.conditions?.[0];
    expect(condition).toMatchObject({
      type: 'Reconciled',
      status: 'False',
      reason: EventReasons.InvalidSpec,
    });
    expect(condition?.message).toContain('spec.analysis.stepWeights[2]');
    expect(await h.cluster.list({ ...API.virtualService, namespace: NS })).toEqual([]);
    expect(await h.cluster.list({ ...API.deployment, namespace: NS })).toEqual([]);
  });

  it('refuses an incomplete field, and an interval past its bound, naming each in the condition', async () => {
    const h = await harness();
    const bad = canaryObject('podinfo', { interval: '300h' });
    (bad.spec.analysis as Record<string, unknown>).sessionAffinity = { maxAge: 60 };
    await h.cluster.create(bad);
    await h.tick('podinfo');
    const condition = (await h.canary('podinfo')).status?.conditions?.[0];
    expect(condition).toMatchObject({
      type: 'Reconciled',
      status: 'False',
      reason: EventReasons.InvalidSpec,
    });
    expect(condition?.message).toContain('spec.analysis.interval: must be at most 24h (got "300h")');
    expect(condition?.message).toContain(
      'spec.analysis.sessionAffinity.cookieName: is required with sessionAffinity',
    );
    expect(await h.cluster.list({ ...API.deployment, namespace: NS })).toEqual([]);
  });

  it('loses a status race without touching routes, then decides again on fresh state', async () => {
    const h = await harness();
    await h.install('podinfo', 'podinfo:1');
    await h.tickUntil('podinfo', ['Initialized']);
    await h.setImage('podinfo', 'podinfo:2');
    await h.tickUntil('podinfo', ['Progressing']);
    // Another writer moves the Canary on between this tick's read and its status write.
    const realGet = h.cluster.get.bind(h.cluster);
    let raced = false;
    h.cluster.get = (async (key: Parameters<typeof realGet>[0]) => {
      const object = await realGet(key);
      if (!raced && key.kind === 'Canary') {
        raced = true;
        await h.cluster.patch(key, { metadata: { annotations: { touched: 'yes' } } });
      }
      return object;
    }) as typeof realGet;
    const result = await h.tick('podinfo');
    expect(result.conflict).toBe(true);
    expect(h.weights.get('podinfo')).toEqual(['100/0']);
    await h.tick('podinfo');
    expect(h.weights.get('podinfo')).toEqual(['100/0', '90/10']);
  });

  it('does not write back an older weight when another tick committed a step during a tick that changed nothing', async () => {
    const h = await harness();
    h.receiver.on('/traffic', { status: 200 });
    await h.install('podinfo', 'podinfo:1', {
      webhooks: [h.hook('traffic', 'confirm-traffic-increase', '/traffic')],
    });
    await h.tickUntil('podinfo', ['Initialized']);
    await h.setImage('podinfo', 'podinfo:2');
    await h.tickUntil('podinfo', ['Progressing']);
    await h.tick('podinfo'); // -> 10
    h.receiver.on('/traffic', { status: 403, body: 'halted' });
    await h.tick('podinfo'); // gate closed: nothing changes
    // Another replica commits the step to 20 (status, then routes) while this tick runs.
    const realGet = h.cluster.get.bind(h.cluster);
    let raced = false;
    h.cluster.get = (async (key: Parameters<typeof realGet>[0]) => {
      const object = await realGet(key);
      if (!raced && key.kind === 'Canary') {
        raced = true;
        await h.cluster.patchStatus(key, { canaryWeight: 20 });
        const vs = await realGet<{
          apiVersion: string;
          kind: string;
          metadata: { name: string };
          spec: { http: { route: { weight: number }[] }[] };
        }>(VS('podinfo'));
        const http = structuredClone(vs!.spec.http);
        http[0]!.route[0]!.weight = 80;
        http[0]!.route[1]!.weight = 20;
        await h.cluster.patch(VS('podinfo'), { spec: { http } });
      }
      return object;
    }) as typeof realGet;
    const result = await h.tick('podinfo');
    expect(result.conflict).toBe(true);
    expect(h.weights.get('podinfo')).toEqual(['100/0', '90/10', '80/20']);
  });

  it('resumes from the persisted status when the routes were not written before a crash', async () => {
    const h = await harness();
    await h.install('podinfo', 'podinfo:1');
    await h.tickUntil('podinfo', ['Initialized']);
    await h.setImage('podinfo', 'podinfo:2');
    await h.tickUntil('podinfo', ['Progressing']);
    await h.tick('podinfo'); // -> 10
    // Simulate a crash after the status write of the next step: weight 20 persisted, routes still 90/10.
    await h.cluster.patchStatus(objectKey(API.canary, NS, 'podinfo'), { canaryWeight: 20 });
    await h.tick('podinfo'); // restores 80/20, no step
    await h.tick('podinfo'); // -> 30
    expect(h.weights.get('podinfo')).toEqual(['100/0', '90/10', '80/20', '70/30']);
  });

  it('adds the finalizer for revertOnDeletion and restores the target on deletion', async () => {
    const h = await harness();
    await h.cluster.create(
      (() => {
        const c = canaryObject('podinfo');
        c.spec.revertOnDeletion = true;
        return c;
      })(),
    );
    await h.cluster.create((await import('./harness.js')).deploymentObject('podinfo', 'podinfo:1'));
    await h.settle();
    await h.tickUntil('podinfo', ['Initialized']);
    expect((await h.canary('podinfo')).metadata.finalizers).toEqual([FINALIZER]);
    await h.cluster.delete(objectKey(API.canary, NS, 'podinfo'));
    const result = await h.tick('podinfo');
    expect(result.phase).toBe('Terminated');
    expect(await h.cluster.get(objectKey(API.canary, NS, 'podinfo'))).toBeUndefined();
    expect((await h.deployment('podinfo'))?.spec.replicas).toBe(2);
  });
});
