/**
 * Deadlines, promotion failures, what the primary runs, blue/green at 100% and mirroring, one tick
 * at a time on the in-memory cluster with the real reconciler, workloads and Istio router.
 */
import type { Canary } from '../../../src/api/schema/canary.js';
import { EventReasons } from '../../../src/controller/events.js';
import { API, objectKey } from '../../../src/kube/resources.js';
import { primaryRevisionOf } from '../../../src/workloads/desired-objects.js';
import type { Harness } from './harness.js';
import { HEALTHY_TRAFFIC, NS, canaryObject, deploymentObject, harnessPerTest } from './harness.js';

const harness = harnessPerTest();

/** The canary's metric (success rate >= 99%) passes with 0.1% errors and fails with 5%. */
function healthy(h: Harness): void {
  h.traffic.set(NS, 'podinfo', HEALTHY_TRAFFIC);
}
function failing(h: Harness): void {
  h.traffic.set(NS, 'podinfo', { errorRatePercent: 5 });
}

/** The post-rollout phases the receiver got, in order. */
function postRollouts(h: Harness): string[] {
  return h.receiver.bodiesTo('/post').map((b) => (b as { phase: string }).phase);
}

interface StoredRoute {
  route: { weight: number }[];
  mirror?: { host: string };
  mirrorPercentage?: { value: number };
}

/** The weights and mirror of the VirtualService's first http route. */
async function routeOf(h: Harness): Promise<string> {
  const vs = await h.cluster.get<{
    apiVersion: string;
    kind: string;
    metadata: { name: string };
    spec: { http: StoredRoute[] };
  }>(objectKey(API.virtualService, NS, 'podinfo'));
  const http = vs!.spec.http[0]!;
  const weights = http.route.map((r) => r.weight).join('/');
  return http.mirror ? `${weights} mirror ${http.mirror.host} ${http.mirrorPercentage?.value}%` : weights;
}

/**
 * Installs podinfo with a post-rollout hook (`/post`), a confirm-traffic-increase gate (`/traffic`,
 * open until a test closes it) and every alert sent to the receiver; waits for Initialized.
 */
async function start(h: Harness, edit: (c: Canary) => void = () => undefined): Promise<void> {
  healthy(h);
  h.receiver.on('/post', { status: 200 });
  h.receiver.on('/traffic', { status: 200 });
  const canary = canaryObject('podinfo', {
    webhooks: [
      h.hook('notify', 'post-rollout', '/post'),
      h.hook('gate', 'confirm-traffic-increase', '/traffic'),
    ],
    alerts: await h.alertsTo(),
  });
  edit(canary);
  await h.cluster.create(deploymentObject('podinfo', 'podinfo:1'));
  await h.cluster.create(canary);
  await h.settle();
  await h.tickUntil('podinfo', ['Initialized']);
}

async function status(h: Harness): Promise<NonNullable<Canary['status']>> {
  return (await h.canary('podinfo')).status!;
}

async function primaryImage(h: Harness): Promise<string | undefined> {
  return (await h.deployment('podinfo-primary'))?.spec.template.spec.containers[0]?.image;
}

/** A new revision at 10%, held there by a closed confirm-traffic-increase gate for `minutes`; deadline 150 s. */
async function heldAtTenPercent(minutes: number): Promise<Harness> {
  const h = await harness();
  await start(h, (c) => (c.spec.progressDeadlineSeconds = 150));
  await h.setImage('podinfo', 'podinfo:2');
  await h.tickUntil('podinfo', ['Progressing']);
  await h.tick('podinfo'); // -> 10
  h.receiver.on('/traffic', { status: 403, body: 'halted' });
  for (let i = 0; i < minutes; i++) await h.tick('podinfo');
  return h;
}

describe('reconciler: deadlines and promotion', () => {
  it('does not roll back for a canary pod restart late in an analysis held by a gate', async () => {
    const h = await heldAtTenPercent(10);
    h.simulator.setBehaviour(NS, 'podinfo', 'never-ready');
    await h.settle();
    const blipAt = new Date(h.nowMs).toISOString();
    await h.tick('podinfo');
    // Persisted with the status, so a restarted controller times the same deadline.
    expect(await status(h)).toMatchObject({
      phase: 'Progressing',
      canaryWeight: 10,
      canaryUnreadySince: blipAt,
    });
    h.simulator.setBehaviour(NS, 'podinfo', undefined);
    await h.settle();
    await h.tick('podinfo');
    const after = await status(h);
    expect(after).toMatchObject({ phase: 'Progressing', canaryWeight: 10 });
    expect(after.canaryUnreadySince).toBeUndefined();
    h.receiver.on('/traffic', { status: 200 });
    await h.tickUntil('podinfo', ['Succeeded', 'Failed']);
    expect((await status(h)).phase).toBe('Succeeded');
  });

  it('rolls back a canary that stays unready for longer than the deadline after it became unready', async () => {
    const h = await heldAtTenPercent(5);
    h.simulator.setBehaviour(NS, 'podinfo', 'never-ready');
    await h.settle();
    await h.tick('podinfo'); // 0 s
    await h.tick('podinfo'); // 60 s
    await h.tick('podinfo'); // 120 s
    expect((await status(h)).phase).toBe('Progressing');
    await h.tick('podinfo'); // 180 s
    expect(await status(h)).toMatchObject({ phase: 'Failed', canaryWeight: 0 });
    expect(await routeOf(h)).toBe('100/0');
  });

  it('keeps the canary serving when the primary cannot roll out the promoted copy, then finishes when it can', async () => {
    const h = await harness();
    await start(h);
    await h.setImage('podinfo', 'podinfo:2');
    await h.tickUntil('podinfo', ['Promoting']);
    expect(await primaryImage(h)).toBe('podinfo:2');
    h.simulator.setBehaviour(NS, 'podinfo-primary', 'progress-deadline-exceeded');
    await h.settle();
    await h.tick('podinfo');
    expect(await status(h)).toMatchObject({ phase: 'Failed', canaryWeight: 100 });
    expect(await routeOf(h)).toBe('0/100');
    expect((await h.deployment('podinfo'))?.spec.replicas).toBe(2);
    expect(h.alerts().at(-1)).toMatchObject({ severity: 'error' });
    expect(postRollouts(h)).toEqual(['Failed']);
    expect((await h.events()).map((e) => e.reason)).toContain(EventReasons.PromotionFailed);

    await h.tick('podinfo'); // held: the canary keeps all traffic
    expect(await routeOf(h)).toBe('0/100');
    expect((await h.deployment('podinfo'))?.spec.replicas).toBe(2);

    h.simulator.setBehaviour(NS, 'podinfo-primary', undefined);
    await h.settle();
    await h.tickUntil('podinfo', ['Succeeded']);
    expect(h.weights.get('podinfo')?.slice(-2)).toEqual(['0/100', '100/0']);
    expect((await h.deployment('podinfo'))?.spec.replicas).toBe(0);
    expect(postRollouts(h)).toEqual(['Failed', 'Succeeded']);
  });

  it('records the revision the primary runs, so that reverting after an interrupted promotion is promoted', async () => {
    const h = await harness();
    await start(h, (c) => (c.spec.analysis.threshold = 1));
    await h.setImage('podinfo', 'podinfo:2');
    await h.tickUntil('podinfo', ['Promoting']); // the primary now has podinfo:2
    await h.setImage('podinfo', 'podinfo:3');
    await h.tick('podinfo'); // analysis restarts for podinfo:3
    failing(h);
    await h.tickUntil('podinfo', ['Failed']);
    expect(await primaryImage(h)).toBe('podinfo:2');
    const failed = await status(h);
    expect(failed.lastPromotedSpec).toBe(primaryRevisionOf(await h.deployment('podinfo-primary')));

    healthy(h);
    await h.setImage('podinfo', 'podinfo:1'); // revert in Git to the last version that succeeded
    await h.tickUntil('podinfo', ['Succeeded']);
    expect(await primaryImage(h)).toBe('podinfo:1');
  });

  it('analyses a target changed while the primary was being initialised', async () => {
    const h = await harness();
    healthy(h);
    h.simulator.setBehaviour(NS, 'podinfo-primary', 'never-ready');
    await h.cluster.create(deploymentObject('podinfo', 'podinfo:1'));
    await h.cluster.create(canaryObject('podinfo'));
    await h.settle();
    await h.tick('podinfo');
    expect((await status(h)).phase).toBe('Initializing');
    await h.setImage('podinfo', 'podinfo:2');
    h.simulator.setBehaviour(NS, 'podinfo-primary', undefined);
    await h.settle();
    await h.tickUntil('podinfo', ['Initialized']);
    expect(await primaryImage(h)).toBe('podinfo:1');
    await h.tickUntil('podinfo', ['Succeeded']);
    expect(await primaryImage(h)).toBe('podinfo:2');
  });
});

describe('reconciler: blue/green and mirroring', () => {
  it('blue/green analyses one interval with all traffic on the canary and rolls back if it fails there', async () => {
    const h = await harness();
    await start(h, (c) => {
      delete c.spec.analysis.stepWeight;
      delete c.spec.analysis.maxWeight;
      Object.assign(c.spec.analysis, { iterations: 2, threshold: 1 });
    });
    await h.setImage('podinfo', 'podinfo:2');
    await h.tickUntil('podinfo', ['Progressing']);
    await h.tick('podinfo'); // pre-rollout: iteration 1
    await h.tick('podinfo'); // iteration 2
    await h.tick('podinfo'); // all traffic to the canary
    expect(await routeOf(h)).toBe('0/100');
    expect(await status(h)).toMatchObject({ phase: 'Progressing', canaryWeight: 100 });
    failing(h);
    await h.tick('podinfo');
    expect(await status(h)).toMatchObject({ phase: 'Failed', canaryWeight: 0 });
    expect(await routeOf(h)).toBe('100/0');
    expect(await primaryImage(h)).toBe('podinfo:1');
  });

  it('canary strategy with mirror: one mirrored interval at weight 0, then the steps', async () => {
    const h = await harness();
    await start(h, (c) => Object.assign(c.spec.analysis, { mirror: true, mirrorWeight: 50 }));
    await h.setImage('podinfo', 'podinfo:2');
    const seen: string[] = [];
    for (let i = 0; i < 30 && (await status(h)).phase !== 'Succeeded'; i++) {
      await h.tick('podinfo');
      const now = await routeOf(h);
      if (seen.at(-1) !== now) seen.push(now);
    }
    expect(seen).toEqual(['100/0', '100/0 mirror podinfo-canary 50%', '90/10', '80/20', '70/30', '100/0']);
    expect(await primaryImage(h)).toBe('podinfo:2');
  });
});

describe('reconciler: TCP services', () => {
  it('drives an appProtocol: tcp canary to Succeeded by the weights of tcp routes', async () => {
    const h = await harness();
    await start(h, (c) => Object.assign(c.spec.service, { appProtocol: 'tcp' }));
    const weights = async (): Promise<string> => {
      const vs = await h.cluster.get<{
        apiVersion: string;
        kind: string;
        metadata: { name: string };
        spec: { http?: unknown; tcp: StoredRoute[] };
      }>(objectKey(API.virtualService, NS, 'podinfo'));
      expect(vs!.spec.http).toBeUndefined();
      return vs!.spec.tcp[0]!.route.map((r) => r.weight).join('/');
    };
    await h.setImage('podinfo', 'podinfo:2');
    const seen: string[] = [];
    for (let i = 0; i < 30 && (await status(h)).phase !== 'Succeeded'; i++) {
      await h.tick('podinfo');
      const now = await weights();
      if (seen.at(-1) !== now) seen.push(now);
    }
    expect((await status(h)).phase).toBe('Succeeded');
    expect(seen).toEqual(['100/0', '90/10', '80/20', '70/30', '100/0']);
    expect(await primaryImage(h)).toBe('podinfo:2');
  });
});
