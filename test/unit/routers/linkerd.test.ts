/** The Linkerd / SMI router's reads and writes: round trips, idempotence, repair, take-over, restore. */
import { MemoryCluster } from '../../../src/kube/memory/memory-cluster.js';
import { API, objectKey } from '../../../src/kube/resources.js';
import { LinkerdRouter } from '../../../src/routers/linkerd.js';
import { ORIGINAL_CONFIGURATION_ANNOTATION } from '../../../src/routers/owned-object.js';
import { RouterError } from '../../../src/routers/router.js';
import type { TrafficSplit } from '../../../src/routers/traffic-split.js';
import { AB_ANALYSIS, NAMESPACE, TARGETS, UID, canaryObject } from './fixtures.js';
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
  it('requires a cluster and a known SMI version', () => {
    expect(() => new LinkerdRouter(undefined as never)).toThrow('LinkerdRouter: options.cluster is required');
    expect(() => new LinkerdRouter({ cluster: new MemoryCluster(), smiVersion: 'v1' as never })).toThrow(
      'LinkerdRouter: options.smiVersion must be one of v1alpha1, v1alpha2, v1alpha3, got "v1"',
    );
  });
});

describe('LinkerdRouter.getRoutes / setRoutes', () => {
  it('creates the TrafficSplit at primary 100 and reads back the split it wrote', async () => {
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

  it('writes nothing when the split and spec are already as stored', async () => {
    const { cluster, router } = setup();
    const canary = smiCanary({ apex: { labels: { team: 'web' } } });
    await router.reconcile(canary, TARGETS);
    await router.setRoutes(canary, { primary: 50, canary: 50, mirrored: false });
    const before = writes(cluster);

    await router.setRoutes(canary, { primary: 50, canary: 50, mirrored: false });
    await router.reconcile(smiCanary({ apex: { labels: { team: 'web' } } }), TARGETS);
    await router.getRoutes(canary);
    await router.checkOwnership(canary);
    expect(writes(cluster)).toBe(before);
  });

  it('writes one merge patch when the split changes', async () => {
    const { cluster, router } = setup();
    const canary = smiCanary();
    await router.reconcile(canary, TARGETS);
    const { create, patch, replace } = cluster.requests;
    await router.setRoutes(canary, { primary: 90, canary: 10, mirrored: false });
    expect(cluster.requests).toMatchObject({ create, patch: patch + 1, replace });
  });

  it('sets the weights back after something else changed them', async () => {
    const { cluster, router } = setup();
    const canary = smiCanary();
    await router.reconcile(canary, TARGETS);
    await router.setRoutes(canary, { primary: 70, canary: 30, mirrored: false });

    // A GitOps tool re-applies the split it was committed with.
    await cluster.patch(TS_KEY, {
      spec: {
        backends: [
          { service: 'podinfo-canary', weight: 0 },
          { service: 'podinfo-primary', weight: 100 },
        ],
      },
    });
    expect(await router.getRoutes(canary)).toEqual({ primary: 100, canary: 0, mirrored: false });

    await router.setRoutes(canary, { primary: 70, canary: 30, mirrored: false });
    expect((await stored(cluster)).spec!.backends).toEqual([
      { service: 'podinfo-canary', weight: '30' },
      { service: 'podinfo-primary', weight: '70' },
    ]);
  });

  it('names the TrafficSplit when it is missing or gives both versions weight 0', async () => {
    const { cluster, router } = setup();
    await expect(router.getRoutes(smiCanary())).rejects.toThrow('TrafficSplit test/podinfo not found');
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

  it('refuses weights that do not add up to 100, and mirroring, writing nothing', async () => {
    const { cluster, router } = setup();
    await expect(router.setRoutes(smiCanary(), { primary: 60, canary: 50, mirrored: false })).rejects.toThrow(
      /weights must be whole percentages adding up to 100/,
    );
    await expect(router.setRoutes(smiCanary(), { primary: 100, canary: 0, mirrored: true })).rejects.toThrow(
      /cannot mirror traffic/,
    );
    expect(writes(cluster)).toBe(0);
  });
});

describe('LinkerdRouter.reconcile', () => {
  it('keeps the stored split while applying a changed spec', async () => {
    const { cluster, router } = setup();
    await router.reconcile(smiCanary(), TARGETS);
    await router.setRoutes(smiCanary(), { primary: 40, canary: 60, mirrored: false });
    await router.reconcile(smiCanary({ apex: { annotations: { note: 'x' } } }), TARGETS);
    const ts = await stored(cluster);
    expect(ts.metadata.annotations).toEqual({ note: 'x' });
    expect(await router.getRoutes(smiCanary())).toEqual({ primary: 40, canary: 60, mirrored: false });
  });

  it("keeps the user's labels, annotations and spec fields it does not own", async () => {
    const { cluster, router } = setup();
    await router.reconcile(smiCanary(), TARGETS);
    await cluster.patch(TS_KEY, {
      metadata: { labels: { tier: 'backend' }, annotations: { 'example.com/owner': 'ops' } },
      spec: { extra: 'kept' },
    });
    await router.setRoutes(smiCanary(), { primary: 90, canary: 10, mirrored: false });
    const ts = await stored(cluster);
    expect(ts.metadata.labels).toEqual({ tier: 'backend' });
    expect(ts.metadata.annotations).toEqual({ 'example.com/owner': 'ops' });
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

  it('refuses a TrafficSplit controlled by something else, writing nothing', async () => {
    const { cluster, router } = setup();
    const owner = {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Rollout',
      name: 'podinfo',
      uid: 'r1',
      controller: true,
    };
    await cluster.create(
      userTrafficSplit({ service: 'podinfo', backends: [] }, { ownerReferences: [owner] }),
    );
    const before = writes(cluster);
    await expect(router.checkOwnership(smiCanary())).rejects.toThrow(
      'TrafficSplit test/podinfo is controlled by Rollout test/podinfo',
    );
    await expect(router.reconcile(smiCanary(), TARGETS)).rejects.toThrow(/controlled by Rollout/);
    await expect(router.setRoutes(smiCanary(), { primary: 100, canary: 0, mirrored: false })).rejects.toThrow(
      /controlled by Rollout/,
    );
    expect(writes(cluster)).toBe(before);
  });

  it('adopts a TrafficSplit left by a deleted Canary of the same name', async () => {
    const { cluster, router } = setup();
    await router.reconcile(smiCanary({}, {}, { uid: 'old-uid' }), TARGETS);
    await router.setRoutes(smiCanary({}, {}, { uid: 'old-uid' }), {
      primary: 80,
      canary: 20,
      mirrored: false,
    });
    await router.reconcile(smiCanary(), TARGETS);
    const ts = await stored(cluster);
    expect(ts.metadata.ownerReferences).toEqual([expect.objectContaining({ uid: UID, controller: true })]);
    expect(await router.getRoutes(smiCanary())).toEqual({ primary: 80, canary: 20, mirrored: false });
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

  it('lets the garbage collector remove what it created, with the Canary', async () => {
    const { cluster, router } = setup();
    const canaryInCluster = await cluster.create(canaryObject());
    await router.reconcile(smiCanary({}, {}, { uid: canaryInCluster.metadata.uid! }), TARGETS);
    expect(cluster.snapshot()).toHaveLength(2);
    await cluster.delete(objectKey(API.canary, NAMESPACE, 'podinfo'));
    await new Promise((resolve) => setImmediate(resolve));
    expect(cluster.snapshot()).toEqual([]);
  });
});

describe('LinkerdRouter take-over and finalize', () => {
  const USER_SPLIT = userTrafficSplit(
    { service: 'podinfo', backends: [{ service: 'podinfo-v1', weight: 100 }] },
    { labels: { app: 'podinfo' }, annotations: { 'example.com/owner': 'ops' } },
  );

  it('saves a user TrafficSplit before taking it over, starts at primary 100, restores it on finalize', async () => {
    const { cluster, router } = setup();
    const created = await cluster.create(USER_SPLIT);
    const canary = smiCanary({ apex: { labels: { team: 'web' } } });

    await router.reconcile(canary, TARGETS);
    expect(await router.getRoutes(canary)).toEqual({ primary: 100, canary: 0, mirrored: false });
    await router.setRoutes(canary, { primary: 50, canary: 50, mirrored: false });
    const taken = await stored(cluster);
    expect(taken.metadata.ownerReferences).toBeUndefined();
    expect(taken.metadata.labels).toEqual({ app: 'podinfo', team: 'web' });
    expect(JSON.parse(taken.metadata.annotations![ORIGINAL_CONFIGURATION_ANNOTATION]!)).toEqual({
      labels: USER_SPLIT.metadata.labels,
      annotations: USER_SPLIT.metadata.annotations,
      spec: USER_SPLIT.spec,
    });

    await router.finalize(canary);
    const restored = await stored(cluster);
    expect(restored.metadata.labels).toEqual(USER_SPLIT.metadata.labels);
    expect(restored.metadata.annotations).toEqual(USER_SPLIT.metadata.annotations);
    expect(restored.spec).toEqual(USER_SPLIT.spec);
    expect(restored.metadata.uid).toBe(created.metadata.uid);
  });

  it('leaves a TrafficSplit it created routing 100% to the primary', async () => {
    const { cluster, router } = setup();
    await router.reconcile(smiCanary(), TARGETS);
    await router.setRoutes(smiCanary(), { primary: 0, canary: 100, mirrored: false });
    await router.finalize(smiCanary());
    expect(await router.getRoutes(smiCanary())).toEqual({ primary: 100, canary: 0, mirrored: false });
    expect(cluster.snapshot()).toHaveLength(1);
  });

  it('finalizes an A/B Canary without refusing (deletion must not be blocked)', async () => {
    const { cluster, router } = setup();
    await cluster.create(USER_SPLIT);
    await router.reconcile(smiCanary(), TARGETS);
    await router.finalize(smiCanary({}, AB_ANALYSIS));
    expect((await stored(cluster)).spec).toEqual(USER_SPLIT.spec);
  });

  it('does not touch a user TrafficSplit it never took over', async () => {
    const { cluster, router } = setup();
    await cluster.create(USER_SPLIT);
    await router.finalize(smiCanary());
    expect(writes(cluster)).toBe(1);
  });
});
