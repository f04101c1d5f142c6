/**
 * One rollout through the calls the reconciler makes, with the DeploymentSimulator playing the
 * cluster: initialise, detect a new revision, scale up, promote, scale down.
 */
import { DeploymentSimulator } from '../../../src/kube/memory/deployment-simulator.js';
import type { Deployment } from '../../../src/kube/resources.js';
import { PRIMARY_KEY, TARGET_KEY, setup } from './fixtures.js';

describe('a rollout through the DeploymentController', () => {
  it('initialises, analyses a new revision on the target and promotes it to the primary', async () => {
    const { cluster, canary, controller } = await setup();
    const simulator = new DeploymentSimulator({ cluster });

    // Initializing: create the primary, wait for it, then scale the target to zero.
    await controller.reconcile(canary);
    let seen = await controller.observe(canary);
    expect(seen.primary.ready).toBe(false);
    await simulator.flush();
    seen = await controller.observe(canary);
    expect(seen.primary.ready).toBe(true);
    expect(seen.primaryRevision).toBe(seen.revision);
    const initial = seen.revision;
    await controller.scaleCanaryToZero(canary);
    await simulator.flush();
    expect((await controller.observe(canary)).canary.message).toContain('scaled to zero');

    // A new revision: the user changes the target; the canary is scaled up and becomes ready.
    await cluster.patch(TARGET_KEY, {
      spec: {
        template: {
          spec: { containers: [{ name: 'podinfo', image: 'example.com/podinfo:6.1.0' }] },
        },
      },
    });
    seen = await controller.observe(canary);
    expect(seen.revision).not.toBe(initial);
    expect(seen.primaryRevision).toBe(initial);
    const analysed = seen.revision;
    await controller.scaleCanaryUp(canary);
    seen = await controller.observe(canary);
    expect(seen.canary.ready).toBe(false);
    await simulator.flush();
    expect((await controller.observe(canary)).canary.ready).toBe(true);

    // Promoting: the primary gets the template; it is done once ready at the analysed revision.
    await controller.promote(canary, analysed);
    seen = await controller.observe(canary);
    expect(seen.primaryRevision).toBe(analysed);
    expect(seen.primary.ready).toBe(false);
    await simulator.flush();
    seen = await controller.observe(canary);
    expect(seen.primary.ready).toBe(true);
    const primary = await cluster.get<Deployment>(PRIMARY_KEY);
    expect(primary?.spec.template.spec.containers[0]?.image).toBe('example.com/podinfo:6.1.0');

    // Finalising: the canary goes back to zero; nothing changes on another reconcile.
    await controller.scaleCanaryToZero(canary);
    const before = cluster.requests.patch + cluster.requests.create + cluster.requests.replace;
    await controller.reconcile(canary);
    expect(cluster.requests.patch + cluster.requests.create + cluster.requests.replace).toBe(before);
    expect((await cluster.get<Deployment>(TARGET_KEY))?.spec.replicas).toBe(0);
  });
});
