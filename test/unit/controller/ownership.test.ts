/**
 * Canaries that reach for each other's objects: a second Canary on the same Deployment, a Canary
 * whose target is another canary's `-primary`, and one whose `service.name` is another canary's
 * service. Each is refused with a Reconciled=False condition naming the owner, before it writes
 * anything; the first canary keeps rolling out undisturbed. And a mesh object of odd shape is named
 * in the same condition.
 */
import type { Canary } from '../../../src/api/schema/canary.js';
import { EventReasons } from '../../../src/controller/events.js';
import type { KubeObject } from '../../../src/kube/cluster.js';
import { MalformedObjectError } from '../../../src/kube/object-shape.js';
import { OwnershipConflictError } from '../../../src/kube/owner-references.js';
import { API, objectKey } from '../../../src/kube/resources.js';
import { Harness, NS, canaryObject, deploymentObject } from './harness.js';

/** Every object of the kinds a Canary writes, except the given Canaries and the Events. */
async function snapshot(h: Harness, except: string[]): Promise<string> {
  const kinds = [API.deployment, API.service, API.virtualService, API.destinationRule, API.configMap];
  const lists = await Promise.all(kinds.map((k) => h.cluster.list<KubeObject>({ ...k, namespace: NS })));
  const canaries = (await h.cluster.list<KubeObject>({ ...API.canary, namespace: NS })).filter(
    (c) => !except.includes(c.metadata.name),
  );
  return JSON.stringify([...lists.flat(), ...canaries]);
}

function reconciled(c: Canary) {
  return c.status?.conditions?.find((x) => x.type === 'Reconciled');
}

function intruder(name: string, patch: { target?: string; serviceName?: string }): Canary {
  const c = canaryObject(name);
  if (patch.target) c.spec.targetRef.name = patch.target;
  if (patch.serviceName) c.spec.service = { ...c.spec.service, name: patch.serviceName };
  return c;
}

describe('a Canary reaching for objects another Canary controls', () => {
  let h: Harness;

  beforeEach(async () => {
    h = await Harness.start();
    await h.install('podinfo', 'podinfo:1');
    await h.tickUntil('podinfo', ['Initialized']);
  });
  afterEach(async () => {
    await h.close();
  });

  /** One tick of the intruder: refused, nothing of anyone else's written, the owner named. */
  async function expectRefused(name: string, owner: string): Promise<void> {
    const before = await snapshot(h, [name]);
    const result = await h.tick(name);
    expect(result.error).toBeInstanceOf(OwnershipConflictError);
    expect(await snapshot(h, [name])).toBe(before);
    const condition = reconciled(await h.canary(name));
    expect(condition).toMatchObject({ status: 'False', reason: EventReasons.OwnershipConflict });
    expect(condition?.message).toContain(owner);
    const warnings = (await h.events()).filter((e) => e.reason === EventReasons.OwnershipConflict);
    expect(warnings.map((e) => e.regarding.name)).toContain(name);
  }

  it('refuses a second Canary on the same Deployment; the first one rolls out undisturbed', async () => {
    await h.cluster.create(intruder('second', { target: 'podinfo' }));
    await expectRefused('second', 'Canary test/podinfo');

    await h.setImage('podinfo', 'podinfo:2');
    for (let i = 0; i < 30; i++) {
      await h.tick('podinfo');
      await expectRefused('second', 'Canary test/podinfo');
      if ((await h.canary('podinfo')).status?.phase === 'Succeeded') break;
    }
    expect((await h.canary('podinfo')).status?.phase).toBe('Succeeded');
    expect(h.weights.get('podinfo')).toEqual(['100/0', '90/10', '80/20', '70/30', '100/0']);
    expect((await h.deployment('podinfo-primary'))?.spec.template.spec.containers[0]?.image).toBe(
      'podinfo:2',
    );
    expect(await h.deployment('podinfo-primary-primary')).toBeUndefined();
  });

  it("refuses a target that is another canary's -primary, leaving its replicas alone", async () => {
    const replicas = (await h.deployment('podinfo-primary'))?.spec.replicas;
    await h.cluster.create(intruder('stable', { target: 'podinfo-primary' }));
    await expectRefused('stable', 'Canary test/podinfo');
    expect(reconciled(await h.canary('stable'))?.message).toContain('spec.targetRef');
    expect((await h.deployment('podinfo-primary'))?.spec.replicas).toBe(replicas);
    expect(await h.deployment('podinfo-primary-primary')).toBeUndefined();
  });

  it("refuses a service.name that is another canary's service, leaving the service's selector alone", async () => {
    await h.cluster.create(deploymentObject('other', 'other:1'));
    await h.settle();
    await h.cluster.create(intruder('other', { serviceName: 'podinfo' }));
    await expectRefused('other', 'Canary test/podinfo');
    // Nothing half-applied: not even its own primary was created.
    expect(await h.deployment('other-primary')).toBeUndefined();
    const apex = await h.cluster.get<KubeObject & { spec: { selector: Record<string, string> } }>(
      objectKey(API.service, NS, 'podinfo'),
    );
    expect(apex?.spec.selector).toEqual({ app: 'podinfo-primary' });
  });

  it('takes over once the other Canary is gone and its objects collected', async () => {
    await h.cluster.create(intruder('second', { target: 'podinfo' }));
    await expectRefused('second', 'Canary test/podinfo');
    await h.cluster.delete(objectKey(API.canary, NS, 'podinfo'));
    await h.settle();
    await h.tickUntil('second', ['Initialized']);
    expect(reconciled(await h.canary('second'))).toMatchObject({ status: 'True' });
  });

  it('names a hand-edited VirtualService of odd shape in the Reconciled condition', async () => {
    const key = objectKey(API.virtualService, NS, 'podinfo');
    await h.cluster.patch(key, { spec: { http: [null] } });
    const result = await h.tick('podinfo');
    expect(result.error).toBeInstanceOf(MalformedObjectError);
    expect(reconciled(await h.canary('podinfo'))).toMatchObject({
      status: 'False',
      reason: EventReasons.MalformedObject,
      message: 'VirtualService test/podinfo: spec.http[0] must be an object, got null',
    });
  });
});
