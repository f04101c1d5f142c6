import { EventReasons } from '../../../src/controller/events.js';
import { FINALIZER } from '../../../src/controller/reconciler.js';
import type { MergePatch } from '../../../src/kube/cluster.js';
import { API, objectKey } from '../../../src/kube/resources.js';
import type { Harness } from './harness.js';
import { NS, canaryObject, deploymentObject, useHarness } from './harness.js';

const CANARY = objectKey(API.canary, NS, 'podinfo');

let h: Harness;
useHarness((started) => (h = started));

/** A canary with `revertOnDeletion`, initialised (target at 0), whose spec is then changed by `patch`. */
async function initializedThenEdited(patch: MergePatch): Promise<void> {
  const canary = canaryObject('podinfo');
  canary.spec.revertOnDeletion = true;
  await h.cluster.create(canary);
  await h.cluster.create(deploymentObject('podinfo', 'podinfo:1'));
  await h.settle();
  await h.tickUntil('podinfo', ['Initialized']);
  expect((await h.canary('podinfo')).metadata.finalizers).toEqual([FINALIZER]);
  expect((await h.deployment('podinfo'))?.spec.replicas).toBe(0);
  await h.cluster.patch(CANARY, { spec: patch });
  const invalid = await h.tick('podinfo');
  expect(invalid.error).toBeDefined();
}

describe('deleting a Canary whose spec is invalid', () => {
  it('restores what the spec still says, and lets the Canary go', async () => {
    await initializedThenEdited({
      analysis: { stepWeight: null, maxWeight: null, stepWeights: [10, 40, 30] },
    });
    await h.cluster.delete(CANARY);
    const result = await h.tick('podinfo');
    expect(result.phase).toBe('Terminated');
    expect(await h.cluster.get(CANARY)).toBeUndefined();
    expect((await h.deployment('podinfo'))?.spec.replicas).toBe(2);
    expect((await h.events()).map((e) => e.reason)).toContain(EventReasons.Finalized);
  });

  it('restores the target when the routes cannot be, and names the routes in a Warning', async () => {
    await initializedThenEdited({ provider: 'appmesh' });
    await h.cluster.delete(CANARY);
    await h.tick('podinfo');
    expect(await h.cluster.get(CANARY)).toBeUndefined();
    expect((await h.deployment('podinfo'))?.spec.replicas).toBe(2);
    const warning = (await h.events()).find((e) => e.reason === EventReasons.FinalizedIncompletely);
    expect(warning?.type).toBe('Warning');
    expect(warning?.note).toContain('spec.provider');
    expect(warning?.note).toContain('not restored: the routes (provider appmesh)');
  });

  it('removes the finalizer with a Warning when nothing can be resolved from the spec', async () => {
    await initializedThenEdited({ targetRef: null });
    await h.cluster.delete(CANARY);
    const result = await h.tick('podinfo');
    expect(result.phase).toBe('Terminated');
    expect(await h.cluster.get(CANARY)).toBeUndefined();
    const warning = (await h.events()).find((e) => e.reason === EventReasons.FinalizedIncompletely);
    expect(warning?.note).toContain('spec.targetRef: required field is missing');
    expect(warning?.note).toContain('the target and the routes: the spec cannot be read');
  });
});
