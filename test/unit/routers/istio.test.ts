/**
 * What is particular to the Istio router: A/B routes, mirroring, traffic policies, the TCP routes and
 * DestinationRules of a taken-over user's objects, Flagger's saved originals. What every router does
 * is the router contract's (`test/contract/router-contract.ts`, run by `router-contract.test.ts`).
 */
import type { KubeObject } from '../../../src/kube/cluster.js';
import { MemoryCluster } from '../../../src/kube/memory/memory-cluster.js';
import { API, objectKey } from '../../../src/kube/resources.js';
import type { DestinationRule, VirtualService } from '../../../src/routers/istio-objects.js';
import { IstioRouter } from '../../../src/routers/istio.js';
import {
  FLAGGER_ORIGINAL_CONFIGURATION_ANNOTATION,
  ORIGINAL_CONFIGURATION_ANNOTATION,
} from '../../../src/routers/owned-object.js';
import { AB_ANALYSIS, FULL_SERVICE, NAMESPACE, TARGETS, canaryFor } from './fixtures.js';

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
  it('reads the A/B split from the matched route', async () => {
    const { router } = setup();
    const canary = canaryFor({}, AB_ANALYSIS);
    await router.setRoutes(canary, { primary: 20, canary: 80, mirrored: false });
    expect(await router.getRoutes(canary)).toEqual({ primary: 20, canary: 80, mirrored: false });
  });

  it('writes nothing when an A/B split with traffic policies is already as stored', async () => {
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
});

describe('IstioRouter take-over and finalize', () => {
  it("keeps a taken-over user VirtualService's TCP routes, adds the apex labels, and restores both", async () => {
    const { cluster, router } = setup();
    await cluster.create(USER_VS);
    const canary = canaryFor({ apex: { labels: { team: 'web' } } });

    await router.reconcile(canary, TARGETS);
    await router.setRoutes(canary, { primary: 0, canary: 100, mirrored: false });
    const taken = (await cluster.get<VirtualService>(VS_KEY))!;
    expect(taken.metadata.labels).toEqual({ app: 'podinfo', team: 'web' });
    expect(taken.spec!.tcp).toEqual(USER_VS.spec!.tcp);

    await router.finalize(canary);
    const restored = (await cluster.get<VirtualService>(VS_KEY))!;
    expect(restored.metadata.labels).toEqual(USER_VS.metadata.labels);
    expect(restored.spec).toEqual(USER_VS.spec);
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

  it('leaves a VirtualService it created routing 100% to the primary, mirroring stopped', async () => {
    const { cluster, router } = setup();
    const canary = canaryFor({}, { iterations: 3, mirror: true });
    await router.reconcile(canary, TARGETS);
    await router.setRoutes(canary, { primary: 0, canary: 100, mirrored: true });

    await router.finalize(canary);
    expect(await router.getRoutes(canary)).toEqual({ primary: 100, canary: 0, mirrored: false });
    expect(cluster.snapshot()).toHaveLength(3);
  });
});
