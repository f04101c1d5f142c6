/** The Istio router's reads and writes: round trips, idempotence, repair, take-over and restore. */
import type { KubeObject } from '../../../src/kube/cluster.js';
import { MemoryCluster } from '../../../src/kube/memory/memory-cluster.js';
import { API, objectKey } from '../../../src/kube/resources.js';
import type { DestinationRule, VirtualService } from '../../../src/routers/istio-objects.js';
import { IstioRouter } from '../../../src/routers/istio.js';
import {
  FLAGGER_ORIGINAL_CONFIGURATION_ANNOTATION,
  ORIGINAL_CONFIGURATION_ANNOTATION,
} from '../../../src/routers/owned-object.js';
import { RouterError } from '../../../src/routers/router.js';
import { AB_ANALYSIS, FULL_SERVICE, NAMESPACE, TARGETS, UID, canaryFor, canaryObject } from './fixtures.js';

const VS_KEY = objectKey(API.virtualService, NAMESPACE, 'podinfo');

const writes = (cluster: MemoryCluster): number =>
  cluster.requests.create + cluster.requests.patch + cluster.requests.replace + cluster.requests.delete;

function setup() {
  const cluster = new MemoryCluster();
  return { cluster, router: new IstioRouter({ cluster }) };
}

/** A VirtualService the user wrote before installing Fledge. */
const USER_VS: VirtualService = {
  apiVersion: 'networking.istio.io/v1',
  kind: 'VirtualService',
  metadata: {
    name: 'podinfo',
    namespace: NAMESPACE,
    labels: { app: 'podinfo' },
    annotations: { 'example.com/owner': 'ops' },
  },
  spec: {
    hosts: ['podinfo', 'podinfo.example.com'],
    http: [{ timeout: '5s', route: [{ destination: { host: 'podinfo' } }] }],
    tcp: [{ route: [{ destination: { host: 'podinfo', port: { number: 9999 } } }] }],
  },
};

describe('IstioRouter.getRoutes / setRoutes', () => {
  it('reads back the split it wrote', async () => {
    const { router } = setup();
    const canary = canaryFor(FULL_SERVICE);
    await router.reconcile(canary, TARGETS);
    expect(await router.getRoutes(canary)).toEqual({ primary: 100, canary: 0, mirrored: false });

    await router.setRoutes(canary, { primary: 60, canary: 40, mirrored: false });
    expect(await router.getRoutes(canary)).toEqual({ primary: 60, canary: 40, mirrored: false });
  });

  it('reads the A/B split from the matched route', async () => {
    const { router } = setup();
    const canary = canaryFor({}, AB_ANALYSIS);
    await router.setRoutes(canary, { primary: 20, canary: 80, mirrored: false });
    expect(await router.getRoutes(canary)).toEqual({ primary: 20, canary: 80, mirrored: false });
  });

  it('writes nothing when the split and spec are already as stored', async () => {
    const { cluster, router } = setup();
    const canary = canaryFor(FULL_SERVICE, AB_ANALYSIS);
    await router.reconcile(canary, TARGETS);
    await router.setRoutes(canary, { primary: 50, canary: 50, mirrored: false });
    const before = writes(cluster);

    await router.setRoutes(canary, { primary: 50, canary: 50, mirrored: false });
    await router.reconcile(canaryFor(FULL_SERVICE, AB_ANALYSIS), TARGETS);
    await router.getRoutes(canary);
    expect(writes(cluster)).toBe(before);
  });

  it('writes one merge patch when the split changes', async () => {
    const { cluster, router } = setup();
    const canary = canaryFor();
    await router.reconcile(canary, TARGETS);
    const { create, patch, replace } = cluster.requests;

    await router.setRoutes(canary, { primary: 90, canary: 10, mirrored: false });
    expect(cluster.requests).toMatchObject({ create, patch: patch + 1, replace });
  });

  it('sets the weights back after something else changed them', async () => {
    const { cluster, router } = setup();
    const canary = canaryFor();
    await router.reconcile(canary, TARGETS);
    await router.setRoutes(canary, { primary: 70, canary: 30, mirrored: false });

    // A GitOps tool re-applies the manifest it knows, with the weights it was committed with.
    const reverted = (await cluster.get<VirtualService>(VS_KEY))!.spec!.http!;
    reverted[0]!.route![0]!.weight = 100;
    reverted[0]!.route![1]!.weight = 0;
    await cluster.patch(VS_KEY, { spec: { http: reverted } });
    expect(await router.getRoutes(canary)).toEqual({ primary: 100, canary: 0, mirrored: false });

    await router.setRoutes(canary, { primary: 70, canary: 30, mirrored: false });
    expect(await router.getRoutes(canary)).toEqual({ primary: 70, canary: 30, mirrored: false });
  });

  it('names the VirtualService when it is missing', async () => {
    const { router } = setup();
    const read = router.getRoutes(canaryFor());
    await expect(read).rejects.toThrow(RouterError);
    await expect(read).rejects.toThrow('VirtualService test/podinfo not found');
  });

  it('refuses weights that do not add up to 100, writing nothing', async () => {
    const { cluster, router } = setup();
    await expect(router.setRoutes(canaryFor(), { primary: 60, canary: 50, mirrored: false })).rejects.toThrow(
      /Canary test\/podinfo: weights must be whole percentages adding up to 100/,
    );
    await expect(
      router.setRoutes(canaryFor(), { primary: 99.5, canary: 0.5, mirrored: false }),
    ).rejects.toThrow(RouterError);
    expect(writes(cluster)).toBe(0);
  });
});

describe('IstioRouter.reconcile', () => {
  it('keeps the stored split while applying a changed spec', async () => {
    const { cluster, router } = setup();
    await router.reconcile(canaryFor(), TARGETS);
    await router.setRoutes(canaryFor(), { primary: 100, canary: 0, mirrored: true });
    await router.setRoutes(canaryFor(), { primary: 40, canary: 60, mirrored: true });

    await router.reconcile(canaryFor({ timeout: '30s', hosts: ['podinfo.example.com'] }), TARGETS);
    const vs = (await cluster.get<VirtualService>(VS_KEY))!;
    expect(vs.spec!.hosts).toEqual(['podinfo.example.com', 'podinfo']);
    expect(vs.spec!.http![0]!.timeout).toBe('30s');
    expect(await router.getRoutes(canaryFor())).toEqual({ primary: 40, canary: 60, mirrored: true });
  });

  it('removes a trafficPolicy dropped from the spec', async () => {
    const { cluster, router } = setup();
    await router.reconcile(canaryFor(FULL_SERVICE), TARGETS);
    await router.reconcile(canaryFor(), TARGETS);
    const dr = await cluster.get<KubeObject & { spec: unknown }>(
      objectKey(API.destinationRule, NAMESPACE, 'podinfo-primary'),
    );
    expect(dr!.spec).toStrictEqual({ host: 'podinfo-primary' });
  });

  it('refuses an object controlled by something else, writing nothing', async () => {
    const { cluster, router } = setup();
    const owner = {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Rollout',
      name: 'podinfo',
      uid: 'r1',
      controller: true,
    };
    await cluster.create({ ...USER_VS, metadata: { ...USER_VS.metadata, ownerReferences: [owner] } });
    const before = writes(cluster);

    await expect(router.setRoutes(canaryFor(), { primary: 100, canary: 0, mirrored: false })).rejects.toThrow(
      'VirtualService test/podinfo is controlled by Rollout test/podinfo',
    );
    expect(writes(cluster)).toBe(before);
  });

  it('adopts objects left by a deleted Canary of the same name', async () => {
    const { cluster, router } = setup();
    await router.reconcile(canaryFor({}, {}, 'old-uid'), TARGETS);
    await router.reconcile(canaryFor(), TARGETS);
    for (const obj of cluster.snapshot()) {
      expect(obj.metadata.ownerReferences).toEqual([expect.objectContaining({ uid: UID, controller: true })]);
    }
  });

  it('lets the garbage collector remove what it created, with the Canary', async () => {
    const { cluster, router } = setup();
    const stored = await cluster.create(canaryObject());
    const canary = canaryFor({}, {}, stored.metadata.uid);
    await router.reconcile(canary, TARGETS);
    expect(cluster.snapshot()).toHaveLength(4);

    await cluster.delete(objectKey(API.canary, NAMESPACE, 'podinfo'));
    await new Promise((resolve) => setImmediate(resolve));
    expect(cluster.snapshot()).toEqual([]);
  });
});

describe('IstioRouter take-over and finalize', () => {
  it('saves a user VirtualService before taking it over and restores it on finalize', async () => {
    const { cluster, router } = setup();
    const created = await cluster.create(USER_VS);
    const canary = canaryFor({ apex: { labels: { team: 'web' } } });

    await router.reconcile(canary, TARGETS);
    await router.setRoutes(canary, { primary: 50, canary: 50, mirrored: false });
    await router.setRoutes(canary, { primary: 0, canary: 100, mirrored: false });
    const taken = (await cluster.get<VirtualService>(VS_KEY))!;
    expect(taken.metadata.ownerReferences).toBeUndefined();
    expect(taken.metadata.labels).toEqual({ app: 'podinfo', team: 'web' });
    expect(taken.spec!.tcp).toEqual(USER_VS.spec!.tcp);
    expect(await router.getRoutes(canary)).toEqual({ primary: 0, canary: 100, mirrored: false });
    expect(JSON.parse(taken.metadata.annotations![ORIGINAL_CONFIGURATION_ANNOTATION]!)).toEqual({
      labels: USER_VS.metadata.labels,
      annotations: USER_VS.metadata.annotations,
      spec: USER_VS.spec,
    });

    await router.finalize(canary);
    const restored = (await cluster.get<VirtualService>(VS_KEY))!;
    expect(restored.metadata.labels).toEqual(USER_VS.metadata.labels);
    expect(restored.metadata.annotations).toEqual(USER_VS.metadata.annotations);
    expect(restored.spec).toEqual(USER_VS.spec);
    expect(restored.metadata.uid).toBe(created.metadata.uid);
  });

  it("keeps the user's spec that Flagger saved when taking over a VirtualService from Flagger", async () => {
    const { cluster, router } = setup();
    const flaggerRoutes = {
      hosts: ['podinfo'],
      http: [
        {
          route: [
            { destination: { host: 'podinfo-primary' }, weight: 100 },
            { destination: { host: 'podinfo-canary' }, weight: 0 },
          ],
        },
      ],
    };
    const annotations = {
      ...USER_VS.metadata.annotations,
      [FLAGGER_ORIGINAL_CONFIGURATION_ANNOTATION]: JSON.stringify(USER_VS.spec),
    };
    await cluster.create({ ...USER_VS, metadata: { ...USER_VS.metadata, annotations }, spec: flaggerRoutes });
    const canary = canaryFor();
    await router.reconcile(canary, TARGETS);
    const taken = (await cluster.get<VirtualService>(VS_KEY))!;
    expect(JSON.parse(taken.metadata.annotations![ORIGINAL_CONFIGURATION_ANNOTATION]!)).toEqual({
      labels: USER_VS.metadata.labels,
      annotations: USER_VS.metadata.annotations,
      spec: USER_VS.spec,
    });
    await router.finalize(canary);
    expect((await cluster.get<VirtualService>(VS_KEY))!.spec).toEqual(USER_VS.spec);
  });

  it('starts a taken-over VirtualService at primary 100', async () => {
    const { router, cluster } = setup();
    await cluster.create(USER_VS);
    await router.reconcile(canaryFor(), TARGETS);
    expect(await router.getRoutes(canaryFor())).toEqual({ primary: 100, canary: 0, mirrored: false });
  });

  it('restores a user DestinationRule taken over in subset mode', async () => {
    const { cluster, router } = setup();
    const userRule: DestinationRule = {
      apiVersion: 'networking.istio.io/v1',
      kind: 'DestinationRule',
      metadata: { name: 'podinfo', namespace: NAMESPACE },
      spec: { host: 'podinfo', subsets: [{ name: 'v1', labels: { version: 'v1' } }] },
    };
    await cluster.create(userRule);
    const canary = canaryFor({ subsetRouting: true });
    await router.reconcile(canary, TARGETS);
    const key = objectKey(API.destinationRule, NAMESPACE, 'podinfo');
    expect((await cluster.get<DestinationRule>(key))!.spec!.subsets!.map((s) => s.name)).toEqual([
      'primary',
      'canary',
    ]);

    await router.finalize(canary);
    const restored = (await cluster.get<DestinationRule>(key))!;
    expect(restored.spec).toEqual(userRule.spec);
    expect(restored.metadata.annotations).toBeUndefined();
  });

  it('leaves a VirtualService it created routing 100% to the primary', async () => {
    const { cluster, router } = setup();
    const canary = canaryFor({}, { iterations: 3, mirror: true });
    await router.reconcile(canary, TARGETS);
    await router.setRoutes(canary, { primary: 0, canary: 100, mirrored: true });

    await router.finalize(canary);
    expect(await router.getRoutes(canary)).toEqual({ primary: 100, canary: 0, mirrored: false });
    expect(cluster.snapshot()).toHaveLength(3);
  });

  it('does not touch a user VirtualService it never took over', async () => {
    const { cluster, router } = setup();
    await cluster.create(USER_VS);
    await router.finalize(canaryFor());
    expect(writes(cluster)).toBe(1);
  });

  it('names the object when the saved original is unreadable', async () => {
    const { cluster, router } = setup();
    const annotations = { [ORIGINAL_CONFIGURATION_ANNOTATION]: '{not json' };
    await cluster.create({ ...USER_VS, metadata: { ...USER_VS.metadata, annotations } });
    await expect(router.finalize(canaryFor())).rejects.toThrow(
      `VirtualService test/podinfo: annotation ${ORIGINAL_CONFIGURATION_ANNOTATION} is not valid JSON`,
    );
  });
});
