/**
 * The Linkerd / SMI router against a real kube-apiserver with Linkerd's SMI TrafficSplit CRD
 * (served versions v1alpha1 and v1alpha2, storage v1alpha1): every object the router writes is
 * accepted by the CRD's structural schema, reads back as written (no field pruned), and a user's
 * TrafficSplit is taken over and restored. v1alpha3, which Linkerd's CRD does not serve, is
 * refused by the server with a message naming the missing kind.
 */
import type { KubeObject } from '../../src/kube/cluster.js';
import { API, objectKey } from '../../src/kube/resources.js';
import { LinkerdRouter } from '../../src/routers/linkerd.js';
import { ORIGINAL_CONFIGURATION_ANNOTATION } from '../../src/routers/owned-object.js';
import type { TrafficSplit } from '../../src/routers/traffic-split.js';
import { ROUTE_TARGETS as TARGETS, useApiServerNamespace } from '../support/router-api-server.js';

const server = useApiServerNamespace('fledge-smi');
const { namespace } = server;
const connected = () => server.cluster();

/** A Canary of `provider` stored in the cluster, the apex labelled. */
const storedCanary = (name: string, provider: string) =>
  server.storeCanary(name, {
    provider,
    targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name },
    service: { port: 9898, apex: { labels: { team: 'web' } } },
    analysis: { interval: '1m', threshold: 5, maxWeight: 50, stepWeight: 10 },
  });

const splitKey = (version: string, name: string) => ({
  apiVersion: `split.smi-spec.io/${version}`,
  kind: 'TrafficSplit',
  namespace,
  name,
});

describe('LinkerdRouter on kube-apiserver', () => {
  it.each([
    ['linkerd', 'v1alpha1', 'podinfo-a', ['30', '70']],
    ['smi:v1alpha2', 'v1alpha2', 'podinfo-b', [30, 70]],
  ] as const)(
    '%s writes a %s TrafficSplit the CRD accepts unchanged',
    async (provider, version, name, weights) => {
      const canary = await storedCanary(name, provider);
      const router = new LinkerdRouter({ cluster: connected(), smiVersion: version });
      await router.reconcile(canary, TARGETS);
      await router.setRoutes(canary, { primary: 70, canary: 30, mirrored: false });
      expect(await router.getRoutes(canary)).toEqual({ primary: 70, canary: 30, mirrored: false });

      const stored = (await connected().get<TrafficSplit>(splitKey(version, name)))!;
      expect(stored.apiVersion).toBe(`split.smi-spec.io/${version}`);
      expect(stored.metadata.labels).toEqual({ team: 'web' });
      expect(stored.metadata.ownerReferences).toEqual([
        expect.objectContaining({ kind: 'Canary', name, uid: canary.uid, controller: true }),
      ]);
      // Nothing pruned: the server stored exactly the spec the router wrote.
      expect(stored.spec).toEqual({
        service: name,
        backends: [
          { service: `${name}-canary`, weight: weights[0] },
          { service: `${name}-primary`, weight: weights[1] },
        ],
      });

      // A second pass writes nothing: the resourceVersion stays.
      await router.reconcile(canary, TARGETS);
      await router.setRoutes(canary, { primary: 70, canary: 30, mirrored: false });
      const again = (await connected().get<TrafficSplit>(splitKey(version, name)))!;
      expect(again.metadata.resourceVersion).toBe(stored.metadata.resourceVersion);
    },
  );

  it("takes over a user's TrafficSplit and restores it on finalize", async () => {
    const name = 'podinfo-c';
    const user: KubeObject & { spec: Record<string, unknown> } = {
      apiVersion: 'split.smi-spec.io/v1alpha2',
      kind: 'TrafficSplit',
      metadata: { name, namespace, labels: { app: name } },
      spec: { service: name, backends: [{ service: `${name}-v1`, weight: 100 }] },
    };
    const created = await connected().create(user);
    const canary = await storedCanary(name, 'linkerd');
    const router = new LinkerdRouter({ cluster: connected() });
    await router.reconcile(canary, TARGETS);
    await router.setRoutes(canary, { primary: 50, canary: 50, mirrored: false });
    const taken = (await connected().get<TrafficSplit>(splitKey('v1alpha1', name)))!;
    expect(taken.metadata.ownerReferences).toBeUndefined();
    expect(taken.metadata.annotations?.[ORIGINAL_CONFIGURATION_ANNOTATION]).toBeDefined();
    expect(await router.getRoutes(canary)).toEqual({ primary: 50, canary: 50, mirrored: false });

    await router.finalize(canary);
    // Read at the version the router wrote: the adapter's read-your-writes holds per apiVersion.
    const restored = (await connected().get<TrafficSplit>(splitKey('v1alpha1', name)))!;
    expect(restored.metadata.uid).toBe(created.metadata.uid);
    expect(restored.metadata.labels).toEqual({ app: name });
    expect(restored.metadata.annotations ?? {}).toEqual({});
    expect(restored.spec).toEqual(user.spec);
  });

  it('smi:v1alpha3 is refused by a cluster whose SMI CRD does not serve v1alpha3', async () => {
    const canary = await storedCanary('podinfo-d', 'smi:v1alpha3');
    const router = new LinkerdRouter({ cluster: connected(), smiVersion: 'v1alpha3' });
    await expect(router.reconcile(canary, TARGETS)).rejects.toThrow(/v1alpha3/);
    await expect(connected().get(objectKey(API.canary, namespace, 'podinfo-d'))).resolves.toMatchObject({
      metadata: { name: 'podinfo-d' },
    });
  });
});
