/** The Kubernetes router: no split, no writes, and no strategy that needs a split. */
import { resolveCanary, type ResolvedCanary } from '../../../src/api/defaults.js';
import type { CanarySpec } from '../../../src/api/schema/canary.js';
import { MemoryCluster } from '../../../src/kube/memory/memory-cluster.js';
import { KubernetesRouter, UnsupportedStrategyError } from '../../../src/routers/kubernetes.js';
import { RouterError } from '../../../src/routers/router.js';
import { AB_ANALYSIS, TARGETS, canaryObject } from './fixtures.js';

const BLUE_GREEN: Partial<CanarySpec['analysis']> = {
  iterations: 5,
  stepWeight: undefined,
  maxWeight: undefined,
};

const writes = (cluster: MemoryCluster): number =>
  cluster.requests.create + cluster.requests.patch + cluster.requests.replace + cluster.requests.delete;

/** A Canary whose provider comes from `--mesh-provider kubernetes`, as the controller resolves it. */
function canaryWith(analysis: Partial<CanarySpec['analysis']>): ResolvedCanary {
  return resolveCanary(canaryObject({}, analysis), { defaultProvider: 'kubernetes' });
}

function setup() {
  const cluster = new MemoryCluster();
  return { cluster, router: new KubernetesRouter({ cluster }) };
}

describe('KubernetesRouter', () => {
  it('reports all traffic on the primary and writes nothing, for blue/green', async () => {
    const { cluster, router } = setup();
    const canary = canaryWith(BLUE_GREEN);
    await router.checkOwnership(canary);
    await router.reconcile(canary, TARGETS);
    await router.setRoutes(canary, { primary: 100, canary: 0, mirrored: false });
    expect(await router.getRoutes(canary)).toEqual({ primary: 100, canary: 0, mirrored: false });
    await router.finalize(canary);
    expect(writes(cluster)).toBe(0);
  });

  it('refuses a split it cannot carry rather than dropping it', async () => {
    const { router } = setup();
    const canary = canaryWith(BLUE_GREEN);
    await expect(router.setRoutes(canary, { primary: 0, canary: 100, mirrored: false })).rejects.toThrow(
      /provider kubernetes cannot route 100% of traffic to the canary/,
    );
    await expect(router.setRoutes(canary, { primary: 100, canary: 0, mirrored: true })).rejects.toThrow(
      RouterError,
    );
  });

  it('refuses the canary strategy before anything is written', async () => {
    const { router } = setup();
    const canary = canaryWith({ stepWeight: 10 });
    const refused = router.checkOwnership(canary);
    await expect(refused).rejects.toThrow(UnsupportedStrategyError);
    await expect(refused).rejects.toThrow(/spec.analysis.iterations is required with provider kubernetes/);
    await expect(router.reconcile(canary, TARGETS)).rejects.toThrow(UnsupportedStrategyError);
  });

  it('refuses A/B testing', async () => {
    const { router } = setup();
    await expect(router.checkOwnership(canaryWith(AB_ANALYSIS))).rejects.toThrow(
      /spec.analysis.match \(A\/B testing\) is not supported with provider kubernetes/,
    );
  });

  it('requires a cluster, as every router', () => {
    expect(() => new KubernetesRouter({} as never)).toThrow(/options.cluster is required/);
  });
});
