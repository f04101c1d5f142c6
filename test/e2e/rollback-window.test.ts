/**
 * End-to-end: the rollback window (`analysis.rollbackWindow`) with `fledge controller` running
 * against the local control plane. After two promotions, setting the Deployment back to the first
 * new image (a revert in Git) promotes it at once: the primary runs it again, and the route never
 * leaves 100/0 on the way, with no analysis step in the Events.
 */
import type { Canary } from '../../src/api/schema/canary.js';
import { controllerSuite, phaseTimer } from './support/controller-suite.js';
import { APP, canaryManifest, type Scenario } from './support/scenario.js';

const suite = controllerSuite('fledge-e2e-window');
const scenario = suite.scenario.bind(suite);

const WINDOW: Partial<Canary['spec']['analysis']> = { rollbackWindow: { revisions: 3 } };

async function primaryImage(s: Scenario): Promise<string | undefined> {
  return (await s.deployment(`${APP}-primary`))?.spec.template.spec.containers[0]?.image;
}

/** Sets `image` and waits until the canary is Succeeded with the primary running it. */
async function promoted(s: Scenario, image: string): Promise<Canary> {
  await s.setImage(image);
  await s.waitFor(
    `the primary running ${image}, Succeeded`,
    async () =>
      ((await primaryImage(s)) === image && (await s.canary())?.status?.phase === 'Succeeded') || undefined,
    120_000,
  );
  return s.waitForPhase(['Succeeded']);
}

suite.test(
  'a revert to a revision of the window is promoted at once, without traffic steps',
  async () => {
    const done = phaseTimer('rollback window');
    const s = scenario('window', { canary: (ns, prom) => canaryManifest(ns, prom, WINDOW) });
    await s.start();
    await s.waitForPhase(['Initialized']);
    await promoted(s, 'podinfo:2');
    const v3 = await promoted(s, 'podinfo:3');
    expect(v3.status?.promotedRevisions).toHaveLength(3);
    const stepsBefore = (await s.events()).filter((e) => e.reason === 'WeightAdvanced').length;
    const weightsBefore = s.weights.length;

    const reverted = await promoted(s, 'podinfo:2');
    expect(reverted.status?.phase).toBe('Succeeded');
    // The route stayed at 100/0: no split was written between the revert and its promotion.
    expect(s.weights.slice(weightsBefore).filter((w) => w !== '100/0')).toEqual([]);
    const events = await s.eventsOnce((e) => e.reason === 'FastRollback');
    expect(events.filter((e) => e.reason === 'WeightAdvanced')).toHaveLength(stepsBefore);
    const promotedCondition = reverted.status?.conditions?.find((c) => c.type === 'Promoted');
    expect(promotedCondition?.reason).toBe('FastRollback');
    expect(reverted.status?.promotedRevisions?.[0]).toBe(reverted.status?.lastPromotedSpec);
    done();
  },
  300_000,
);
