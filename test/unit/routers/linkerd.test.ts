/**
 * What is particular to the Linkerd / SMI router: the TrafficSplit of each SMI version, what SMI
 * cannot route, Flagger's TrafficSplit. What every router does is the router contract's
 * (`test/contract/router-contract.ts`, run by `router-contract.test.ts`).
 */
import { MemoryCluster } from '../../../src/kube/memory/memory-cluster.js';
import { LinkerdRouter } from '../../../src/routers/linkerd.js';
import { RouterError } from '../../../src/routers/router.js';
import type { TrafficSplit } from '../../../src/routers/traffic-split.js';
import { AB_ANALYSIS, NAMESPACE, TARGETS, UID } from './fixtures.js';
import { smiCanary, userTrafficSplit, writes } from './linkerd-fixtures.js';

const TS_KEY = {
  apiVersion: 'split.smi-spec.io/v1alpha1',
  kind: 'TrafficSplit',
  namespace: NAMESPACE,
  name: 'podinfo',
};

function setup(smiVersion?: 'v1alpha1' | 'v1alpha2' | 'v1alpha3') {
  const cluster = new MemoryCluster();
  return { cluster, router: new LinkerdRouter({ cluster, ...(smiVersion ? { smiVersion } : {}) }) };
}

const stored = async (cluster: MemoryCluster) => (await cluster.get<TrafficSplit>(TS_KEY))!;

describe('LinkerdRouter options', () => {
  it('requires a known SMI version', () => {
    expect(() => new LinkerdRouter({ cluster: new MemoryCluster(), smiVersion: 'v1' as never })).toThrow(
      'LinkerdRouter: options.smiVersion must be one of v1alpha1, v1alpha2, v1alpha3, got "v1"',
    );
  });
});

describe('LinkerdRouter.getRoutes / setRoutes', () => {
  it('creates a v1alpha1 TrafficSplit at primary 100, its weights quantities, and reads back the split', async () => {
    const { cluster, router } = setup();
    const canary = smiCanary();
    await router.reconcile(canary, TARGETS);
    const created = await stored(cluster);
    expect(created.apiVersion).toBe('split.smi-spec.io/v1alpha1');
    expect(created.spec).toEqual({
      service: 'podinfo',
      backends: [
        { service: 'podinfo-canary', weight: '0' },
        { service: 'podinfo-primary', weight: '100' },
      ],
    });
    expect(created.metadata.ownerReferences).toEqual([
      expect.objectContaining({ uid: UID, controller: true }),
    ]);
    expect(await router.getRoutes(canary)).toEqual({ primary: 100, canary: 0, mirrored: false });

    await router.setRoutes(canary, { primary: 60, canary: 40, mirrored: false });
    expect(await router.getRoutes(canary)).toEqual({ primary: 60, canary: 40, mirrored: false });
  });

  it.each(['v1alpha2', 'v1alpha3'] as const)('writes %s with integer weights', async (version) => {
    const { cluster, router } = setup(version);
    const canary = smiCanary({}, {}, { provider: `smi:${version}` });
    await router.setRoutes(canary, { primary: 80, canary: 20, mirrored: false });
    const written = (await cluster.get<TrafficSplit>({
      ...TS_KEY,
      apiVersion: `split.smi-spec.io/${version}`,
    }))!;
    expect(written.apiVersion).toBe(`split.smi-spec.io/${version}`);
    expect(written.spec!.backends).toEqual([
      { service: 'podinfo-canary', weight: 20 },
      { service: 'podinfo-primary', weight: 80 },
    ]);
    expect(await router.getRoutes(canary)).toEqual({ primary: 80, canary: 20, mirrored: false });
  });

  it('names the TrafficSplit when it gives both versions weight 0', async () => {
    const { cluster, router } = setup();
    await cluster.create(
      userTrafficSplit({
        service: 'podinfo',
        backends: [
          { service: 'podinfo-canary', weight: 0 },
          { service: 'podinfo-primary', weight: 0 },
        ],
      }),
    );
    const read = router.getRoutes(smiCanary());
    await expect(read).rejects.toThrow(RouterError);
    await expect(read).rejects.toThrow(
      'TrafficSplit test/podinfo gives no weight to podinfo-primary nor podinfo-canary: it is not as Fledge left it',
    );
  });
});

describe('LinkerdRouter.reconcile', () => {
  it('takes the apex labels and annotations, and keeps spec fields it does not own', async () => {
    const { cluster, router } = setup();
    await router.reconcile(smiCanary(), TARGETS);
    await cluster.patch(TS_KEY, { spec: { extra: 'kept' } });
    await router.reconcile(
      smiCanary({ apex: { labels: { team: 'web' }, annotations: { note: 'x' } } }),
      TARGETS,
    );
    await router.setRoutes(smiCanary(), { primary: 90, canary: 10, mirrored: false });
    const ts = await stored(cluster);
    expect(ts.metadata.labels).toEqual({ team: 'web' });
    expect(ts.metadata.annotations).toEqual({ note: 'x' });
    expect(ts.spec!.extra).toBe('kept');
  });

  it('refuses A/B testing and mirroring before writing anything', async () => {
    const { cluster, router } = setup();
    await expect(router.reconcile(smiCanary({}, AB_ANALYSIS), TARGETS)).rejects.toThrow(/gatewayapi:v1/);
    await expect(router.reconcile(smiCanary({}, { iterations: 3, mirror: true }), TARGETS)).rejects.toThrow(
      /analysis.mirror/,
    );
    expect(writes(cluster)).toBe(0);
  });

  it("adopts Flagger's TrafficSplit of the same Canary during a migration, keeping its split", async () => {
    const { cluster, router } = setup();
    const flagger = {
      apiVersion: 'flagger.app/v1beta1',
      kind: 'Canary',
      name: 'podinfo',
      uid: 'f1',
      controller: true,
    };
    await cluster.create(
      userTrafficSplit(
        {
          service: 'podinfo',
          backends: [
            { service: 'podinfo-canary', weight: 30 },
            { service: 'podinfo-primary', weight: 70 },
          ],
        },
        { ownerReferences: [flagger] },
      ),
    );
    await router.reconcile(smiCanary(), TARGETS);
    const ts = await stored(cluster);
    expect(ts.metadata.ownerReferences).toEqual([expect.objectContaining({ uid: UID, controller: true })]);
    expect(await router.getRoutes(smiCanary())).toEqual({ primary: 70, canary: 30, mirrored: false });
  });
});

describe('LinkerdRouter take-over and finalize', () => {
  const USER_SPLIT = userTrafficSplit(
    { service: 'podinfo', backends: [{ service: 'podinfo-v1', weight: 100 }] },
    { labels: { app: 'podinfo' }, annotations: { 'example.com/owner': 'ops' } },
  );

  it('adds the apex labels to a taken-over user TrafficSplit, and finalize removes them', async () => {
    const { cluster, router } = setup();
    await cluster.create(USER_SPLIT);
    const canary = smiCanary({ apex: { labels: { team: 'web' } } });
    await router.reconcile(canary, TARGETS);
    expect((await stored(cluster)).metadata.labels).toEqual({ app: 'podinfo', team: 'web' });
    await router.finalize(canary);
    expect((await stored(cluster)).metadata.labels).toEqual(USER_SPLIT.metadata.labels);
  });

  it('finalizes an A/B Canary without refusing (deletion must not be blocked)', async () => {
    const { cluster, router } = setup();
    await cluster.create(USER_SPLIT);
    await router.reconcile(smiCanary(), TARGETS);
    await router.finalize(smiCanary({}, AB_ANALYSIS));
    expect((await stored(cluster)).spec).toEqual(USER_SPLIT.spec);
  });
});
