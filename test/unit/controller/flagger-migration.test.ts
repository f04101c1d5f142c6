/**
 * Migrating from Flagger on the in-memory cluster: the objects Flagger left (owned by its Canary)
 * are adopted in place by Fledge's Canary of the same name, so deleting Flagger's Canary collects
 * nothing; the primary as Flagger left it counts as promoted (no rollout, nothing scaled).
 */
import { EventReasons } from '../../../src/controller/events.js';
import { keyOf, type KubeObject } from '../../../src/kube/cluster.js';
import { OwnershipConflictError } from '../../../src/kube/owner-references.js';
import { API, objectKey, type Deployment, type Service } from '../../../src/kube/resources.js';
import {
  FLAGGER_CANARY,
  flaggerCanaryManifest,
  flaggerLeftovers,
  targetDeployment,
  userConfigMap,
} from '../../support/flagger-leftovers.js';
import type { Harness } from './harness.js';
import { NS, canaryObject, harnessPerTest } from './harness.js';

const harness = harnessPerTest({ healthy: ['podinfo'] });

const APP = 'podinfo';

const CONFIG = { GREETING: 'hello' };

async function installFlaggerLeftovers(h: Harness, flaggerName = APP): Promise<KubeObject[]> {
  await h.cluster.create(userConfigMap(NS, APP, CONFIG));
  await h.cluster.create(targetDeployment(NS, APP, 'podinfo:1', 0, true));
  const flagger = await h.cluster.create(flaggerCanaryManifest(NS, flaggerName, 9898));
  const leftovers = flaggerLeftovers({
    namespace: NS,
    name: APP,
    flaggerUid: flagger.metadata.uid!,
    image: 'podinfo:1',
    port: 9898,
    replicas: 2,
    config: CONFIG,
  });
  if (flaggerName !== APP) for (const o of leftovers) o.metadata.ownerReferences![0]!.name = flaggerName;
  for (const o of leftovers) await h.cluster.create(o);
  await h.settle();
  return Promise.all(leftovers.map(async (o) => (await h.cluster.get(keyOf(o)))!));
}

describe("migrating from Flagger: Fledge's Canary adopts Flagger's objects in place", () => {
  it('swaps the owner, changes no selector, template or weight, and outlives the deletion of Flagger’s Canary', async () => {
    const h = await harness();
    const before = await installFlaggerLeftovers(h);
    const targetBefore = (await h.deployment(APP))!;
    await h.cluster.create(canaryObject(APP));
    const fledgeUid = (await h.canary(APP)).metadata.uid!;

    await h.tickUntil(APP, ['Initialized'], 3);

    const status = (await h.canary(APP)).status!;
    expect(status.lastPromotedSpec).toBe(status.lastAppliedSpec);
    const reasons = (await h.events()).map((e) => e.reason);
    expect(reasons).not.toContain(EventReasons.NewRevision);
    for (const old of before) {
      const now = (await h.cluster.get<KubeObject & { spec: unknown }>(keyOf(old)))!;
      expect(now.metadata.ownerReferences).toEqual([
        expect.objectContaining({
          kind: 'Canary',
          apiVersion: API.canary.apiVersion,
          uid: fledgeUid,
          controller: true,
        }),
      ]);
      // Flagger's labels and annotations stay (the Flux marker included).
      expect(now.metadata.labels ?? {}).toEqual(expect.objectContaining(old.metadata.labels ?? {}));
      expect(now.metadata.annotations).toEqual(expect.objectContaining(old.metadata.annotations));
      if (old.kind === 'ConfigMap')
        expect((await h.cluster.getFull<KubeObject & { data?: unknown }>(keyOf(old)))?.data).toEqual(CONFIG);
      if (old.kind === 'Service') {
        expect((now as Service).spec.selector).toEqual((old as Service).spec.selector);
      }
    }
    const primary = (await h.deployment(`${APP}-primary`))!;
    const primaryBefore = before.find((o) => o.metadata.name === `${APP}-primary`) as Deployment;
    // Same template and replicas: the primary's pods are not restarted, nothing is scaled.
    expect(primary.spec).toEqual(primaryBefore.spec);
    expect(primary.metadata.generation).toBe(primaryBefore.metadata.generation);
    expect((await h.deployment(APP))?.metadata.generation).toBe(targetBefore.metadata.generation);
    expect(h.weights.get(APP)).toEqual(['100/0']);

    await h.cluster.delete(objectKey(FLAGGER_CANARY, NS, APP));
    await h.settle();
    for (const old of before) expect(await h.cluster.get(keyOf(old))).toBeDefined();

    // And the next revision rolls out as any other.
    await h.setImage(APP, 'podinfo:2');
    await h.tickUntil(APP, ['Succeeded']);
    expect(h.weights.get(APP)).toEqual(['100/0', '90/10', '80/20', '70/30', '100/0']);
  });

  it('refuses objects of a Flagger Canary with another name, naming it, and writes nothing', async () => {
    const h = await harness();
    await installFlaggerLeftovers(h, 'legacy');
    await h.cluster.create(canaryObject(APP));
    const result = await h.tick(APP);
    expect(result.error).toBeInstanceOf(OwnershipConflictError);
    const condition = (await h.canary(APP)).status?.conditions?.find((c) => c.type === 'Reconciled');
    expect(condition).toMatchObject({ status: 'False', reason: EventReasons.OwnershipConflict });
    expect(condition?.message).toContain('Flagger Canary test/legacy');
    const vs = await h.cluster.get(objectKey(API.virtualService, NS, APP));
    expect(vs?.metadata.ownerReferences?.[0]?.name).toBe('legacy');
  });
});
