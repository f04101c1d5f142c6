/**
 * The Gateway API router against a real kube-apiserver with the Gateway API CRDs installed
 * (/work/shared/crds, standard channel): every HTTPRoute it writes (canary, every service setting,
 * `service.mirror` included, A/B, mirroring, both API versions) passes the CRD's schema and CEL rules, the API server's
 * defaulting leaves it equal to what Fledge builds (a second tick writes nothing), and a user's
 * HTTPRoute taken over is restored by finalize. The run uses its own namespace and deletes it.
 */
import { randomBytes } from 'node:crypto';
import { resolveCanary, type ResolvedCanary } from '../../src/api/defaults.js';
import type { Canary, CanarySpec } from '../../src/api/schema/canary.js';
import { ClientNodeCluster } from '../../src/kube/client/client-node-cluster.js';
import { loadKubeConfig } from '../../src/kube/client/config.js';
import { API, objectKey } from '../../src/kube/resources.js';
import { GatewayApiRouter } from '../../src/routers/gateway-api.js';
import type { HttpRoute } from '../../src/routers/gateway-api-objects.js';
import type { Routes } from '../../src/routers/router.js';
import { countingCluster } from '../contract/router-contract.js';
import { CLUSTER_SETUP_TIMEOUT_MS, ensureCluster, type LocalCluster } from '../support/cluster.js';
import { createNamespace, deleteNamespaceBestEffort } from '../support/namespaces.js';
import { AB_ANALYSIS, TARGETS, canaryObject } from '../unit/routers/fixtures.js';
import {
  FULL_GATEWAY_AB_SERVICE,
  FULL_GATEWAY_SERVICE,
  GATEWAY_REFS,
  userHttpRoute,
} from '../unit/routers/gateway-api-fixtures.js';

const namespace = `fledge-gwapi-${randomBytes(3).toString('hex')}`;
let local: LocalCluster | undefined;
let admin: ClientNodeCluster | undefined;

function adminCluster(): ClientNodeCluster {
  if (!admin) throw new Error('the control plane did not start (see beforeAll)');
  return admin;
}

beforeAll(async () => {
  local = await ensureCluster();
  admin = new ClientNodeCluster({ kubeConfig: loadKubeConfig({ kubeconfigPath: local.kubeconfigPath }) });
  await createNamespace(admin, namespace);
}, CLUSTER_SETUP_TIMEOUT_MS);

afterAll(async () => {
  if (admin) {
    await deleteNamespaceBestEffort(admin, namespace);
    admin.stop();
  }
  await local?.stop();
}, 120_000);

let run = 0;

/**
 * A Canary stored in the cluster (so the garbage collector finds the HTTPRoute's owner) and resolved
 * as the controller resolves it; each test has its own name, hence its own HTTPRoute.
 */
async function storedCanary(
  provider: string,
  service: Partial<CanarySpec['service']>,
  analysis: Partial<CanarySpec['analysis']>,
  name = `podinfo-${++run}`,
): Promise<ResolvedCanary> {
  const object = canaryObject({ gatewayRefs: GATEWAY_REFS, ...service, name }, analysis);
  object.metadata = { name, namespace };
  object.spec.provider = provider;
  const created = await adminCluster().create<Canary>(object);
  return resolveCanary(created, { defaultProvider: 'istio' });
}

const SCENARIOS: [string, Partial<CanarySpec['service']>, Partial<CanarySpec['analysis']>, Routes][] = [
  ['canary', {}, {}, { primary: 90, canary: 10, mirrored: false }],
  ['every service setting', FULL_GATEWAY_SERVICE, {}, { primary: 60, canary: 40, mirrored: false }],
  ['A/B testing', FULL_GATEWAY_AB_SERVICE, AB_ANALYSIS, { primary: 0, canary: 100, mirrored: false }],
  [
    'session affinity',
    {
      headers: { response: { set: { 'cache-control': 'no-store' } } },
      mirror: [{ backendRef: { name: 'podinfo-shadow', port: 9898 }, percent: 5 }],
    },
    { sessionAffinity: { cookieName: 'flagger-cookie', maxAge: 600 } },
    { primary: 80, canary: 20, mirrored: false },
  ],
  [
    'blue/green with mirroring',
    {
      timeout: '30s',
      mirror: [{ backendRef: { name: 'recorder', port: 80 }, fraction: { numerator: 1, denominator: 3 } }],
    },
    { iterations: 5, mirror: true, mirrorWeight: 30 },
    { primary: 100, canary: 0, mirrored: true },
  ],
];

describe.each(['gatewayapi:v1', 'gatewayapi:v1beta1'])(
  'GatewayApiRouter (%s) on a real API server',
  (provider) => {
    it.each(SCENARIOS)(
      '%s: the API server accepts every write and a second tick writes nothing',
      async (_name, service, analysis, routes) => {
        const direct = new ClientNodeCluster({
          kubeConfig: loadKubeConfig({ kubeconfigPath: local!.kubeconfigPath }),
        });
        try {
          const { cluster, writes } = countingCluster(direct);
          const router = new GatewayApiRouter({ cluster });
          const canary = await storedCanary(provider, service, analysis);
          await router.reconcile(canary, TARGETS);
          await router.setRoutes(canary, routes);
          expect(await router.getRoutes(canary)).toEqual(routes);

          const before = writes();
          await router.reconcile(canary, TARGETS);
          await router.setRoutes(canary, routes);
          expect(writes()).toBe(before);

          // Back to the initial split, as a finished rollout leaves it.
          await router.setRoutes(canary, { primary: 100, canary: 0, mirrored: false });
          expect(await router.getRoutes(canary)).toEqual({ primary: 100, canary: 0, mirrored: false });
        } finally {
          direct.stop();
        }
      },
      60_000,
    );

    it("takes over a user's HTTPRoute and finalize restores it", async () => {
      const direct = new ClientNodeCluster({
        kubeConfig: loadKubeConfig({ kubeconfigPath: local!.kubeconfigPath }),
      });
      try {
        const router = new GatewayApiRouter({ cluster: direct });
        const name = `podinfo-${++run}`;
        const api = provider === 'gatewayapi:v1' ? API.httpRoute : API.httpRouteV1beta1;
        const user = userHttpRoute(namespace, api.apiVersion);
        user.metadata.name = name;
        const created = await adminCluster().create<HttpRoute>(user);
        const canary = await storedCanary(provider, FULL_GATEWAY_SERVICE, {}, name);
        await router.reconcile(canary, TARGETS);
        await router.setRoutes(canary, { primary: 50, canary: 50, mirrored: false });
        expect(await router.getRoutes(canary)).toEqual({ primary: 50, canary: 50, mirrored: false });

        await router.finalize(canary);
        const restored = await adminCluster().get<HttpRoute>(objectKey(api, namespace, name));
        expect(restored?.metadata.uid).toBe(created.metadata.uid);
        expect(restored?.metadata.labels).toEqual(user.metadata.labels);
        expect(restored?.metadata.annotations).toEqual(user.metadata.annotations);
        expect(restored?.spec).toEqual(user.spec);
      } finally {
        direct.stop();
      }
    }, 60_000);
  },
);
