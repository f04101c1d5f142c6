/** `service.appProtocol: tcp`: the VirtualService gets tcp routes (weights only), read back and repaired. */
import type { KubeObject } from '../../../src/kube/cluster.js';
import { MemoryCluster } from '../../../src/kube/memory/memory-cluster.js';
import { API, objectKey } from '../../../src/kube/resources.js';
import type { VirtualService } from '../../../src/routers/istio-objects.js';
import { IstioRouter } from '../../../src/routers/istio.js';
import { RouterError } from '../../../src/routers/router.js';
import { istioSchemaErrors } from './crd-schema.js';
import { FULL_SERVICE, NAMESPACE, TARGETS, canaryFor } from './fixtures.js';

const VS_KEY = objectKey(API.virtualService, NAMESPACE, 'podinfo');
const PORT = { number: 9898 };

function setup() {
  const cluster = new MemoryCluster();
  return { cluster, router: new IstioRouter({ cluster }) };
}

const specOf = async (cluster: MemoryCluster) => (await cluster.get<VirtualService>(VS_KEY))!.spec;

describe('IstioRouter with appProtocol: tcp', () => {
  it('writes tcp routes with the weights only, matched on the service match ports', async () => {
    const { cluster, router } = setup();
    // The HTTP settings of FULL_SERVICE are ignored at L4, as in Flagger (validate warns of them).
    const canary = canaryFor({ ...FULL_SERVICE, appProtocol: 'TCP', match: [{ port: 9898 }] });
    await router.reconcile(canary, TARGETS);
    await router.setRoutes(canary, { primary: 80, canary: 20, mirrored: false });

    expect(await specOf(cluster)).toStrictEqual({
      hosts: ['app.example.com', 'podinfo'],
      gateways: ['public-gateway.istio-system.svc.cluster.local', 'mesh'],
      tcp: [
        {
          match: [{ port: 9898 }],
          route: [
            { destination: { host: 'podinfo-primary', port: PORT }, weight: 80 },
            { destination: { host: 'podinfo-canary', port: PORT }, weight: 20 },
          ],
        },
      ],
    });
    for (const object of cluster.snapshot()) expect(istioSchemaErrors(object)).toEqual([]);
  });

  it('routes by subset in subset mode, valid against the CRDs', async () => {
    const { cluster, router } = setup();
    const canary = canaryFor({ appProtocol: 'tcp', subsetRouting: true });
    await router.reconcile(canary, TARGETS);
    expect((await specOf(cluster))!.tcp).toStrictEqual([
      {
        route: [
          { destination: { host: 'podinfo', subset: 'primary', port: PORT }, weight: 100 },
          { destination: { host: 'podinfo', subset: 'canary', port: PORT }, weight: 0 },
        ],
      },
    ]);
    for (const object of cluster.snapshot()) expect(istioSchemaErrors(object)).toEqual([]);
  });

  it('reads the split back from the tcp route', async () => {
    const { cluster, router } = setup();
    const canary = canaryFor({ appProtocol: 'tcp' });
    await router.reconcile(canary, TARGETS);
    expect(await router.getRoutes(canary)).toEqual({ primary: 100, canary: 0, mirrored: false });
    await router.setRoutes(canary, { primary: 40, canary: 60, mirrored: false });
    expect(await router.getRoutes(canary)).toEqual({ primary: 40, canary: 60, mirrored: false });
    expect((await specOf(cluster))!.tcp![0]!.route!.map((r) => r.weight)).toEqual([40, 60]);
  });

  it('sets the weights back after a hand edit of the tcp route', async () => {
    const { cluster, router } = setup();
    const canary = canaryFor({ appProtocol: 'tcp' });
    await router.reconcile(canary, TARGETS);
    await router.setRoutes(canary, { primary: 70, canary: 30, mirrored: false });

    const edited = (await specOf(cluster))!.tcp!;
    edited[0]!.route![0]!.weight = 100;
    edited[0]!.route![1]!.weight = 0;
    await cluster.patch(VS_KEY, { spec: { tcp: edited } });
    expect(await router.getRoutes(canary)).toEqual({ primary: 100, canary: 0, mirrored: false });

    await router.setRoutes(canary, { primary: 70, canary: 30, mirrored: false });
    expect(await router.getRoutes(canary)).toEqual({ primary: 70, canary: 30, mirrored: false });
    expect((await specOf(cluster))!.tcp![0]!.route!.map((r) => r.weight)).toEqual([70, 30]);
  });

  it('replaces the http routes of an earlier HTTP spec, keeping the split', async () => {
    const { cluster, router } = setup();
    await router.reconcile(canaryFor(), TARGETS);
    await router.setRoutes(canaryFor(), { primary: 90, canary: 10, mirrored: false });

    const tcp = canaryFor({ appProtocol: 'tcp' });
    await router.reconcile(tcp, TARGETS);
    const spec = await specOf(cluster);
    expect(spec!.http).toBeUndefined();
    expect(await router.getRoutes(tcp)).toEqual({ primary: 100, canary: 0, mirrored: false });
  });

  it('names the tcp route when the VirtualService has none to the canary', async () => {
    const { cluster, router } = setup();
    const canary = canaryFor({ appProtocol: 'tcp' });
    await router.reconcile(canary, TARGETS);
    await cluster.patch(VS_KEY, {
      spec: { tcp: [{ route: [{ destination: { host: 'podinfo-primary' } }] }] },
    });
    const read = router.getRoutes(canary);
    await expect(read).rejects.toThrow(RouterError);
    await expect(router.getRoutes(canary)).rejects.toThrow(/has no tcp route to the canary/);
  });

  it('refuses a malformed tcp route naming the field', async () => {
    const { cluster, router } = setup();
    const canary = canaryFor({ appProtocol: 'tcp' });
    await router.reconcile(canary, TARGETS);
    await cluster.patch(VS_KEY, { spec: { tcp: [{ route: { destination: 'x' } }] } } as Partial<KubeObject>);
    await expect(router.getRoutes(canary)).rejects.toThrow(/spec\.tcp\[0\]\.route/);
  });
});
