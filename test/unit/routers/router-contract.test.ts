/** The router contract (`test/contract/router-contract.ts`) on the in-memory cluster, for every router. */
import type { Cluster, KubeObject } from '../../../src/kube/cluster.js';
import { MemoryCluster } from '../../../src/kube/memory/memory-cluster.js';
import { API, objectKey } from '../../../src/kube/resources.js';
import { GatewayApiRouter } from '../../../src/routers/gateway-api.js';
import type { HttpRoute } from '../../../src/routers/gateway-api-objects.js';
import type { VirtualService } from '../../../src/routers/istio-objects.js';
import { IstioRouter } from '../../../src/routers/istio.js';
import {
  describeRouterContract,
  type RouterContractEnvironment,
  type RouterContractSubject,
} from '../../contract/router-contract.js';
import { linkerdSubject, nginxSubject, nginxUserIngress } from './contract-subjects.js';
import { GATEWAY_REFS, gatewayCanaryFor, userHttpRoute } from './gateway-api-fixtures.js';
import { NAMESPACE, TARGETS, canaryFor } from './fixtures.js';

/** A fresh in-memory cluster holding `seed`, its writes counted from after the seeding. */
async function memoryEnvironment(seed: KubeObject[] = []): Promise<RouterContractEnvironment> {
  const cluster = new MemoryCluster();
  for (const object of seed) await cluster.create(object);
  const r = cluster.requests;
  const count = () => r.create + r.replace + r.patch + r.patchStatus + r.delete;
  const seeded = count();
  return { cluster, namespace: NAMESPACE, writes: () => count() - seeded, cleanup: async () => {} };
}

/** Edits the stored spec of `key` as another writer would (read, change, merge patch). */
async function patchSpec<T>(cluster: Cluster, key: ReturnType<typeof objectKey>, edit: (spec: T) => void) {
  const object = await cluster.get<{ apiVersion: string; kind: string; metadata: { name: string }; spec: T }>(
    key,
  );
  if (!object) throw new Error(`${key.kind} ${key.name} not found`);
  edit(object.spec);
  await cluster.patch(key, { spec: object.spec as Record<string, unknown> });
}

const istio: RouterContractSubject = {
  name: 'IstioRouter',
  makeRouter: (cluster) => new IstioRouter({ cluster }),
  mirrors: true,
  canary: (namespace, variant, uid) => {
    const c =
      variant === 'changed'
        ? canaryFor({ hosts: ['podinfo.example.com'], timeout: '30s' }, {}, uid)
        : variant === 'mirror'
          ? canaryFor({}, { iterations: 5, mirror: true }, uid)
          : canaryFor({}, {}, uid);
    return { ...c, namespace };
  },
  targets: TARGETS,
  ownedKeys: (c) => [
    objectKey(API.virtualService, c.namespace, 'podinfo'),
    objectKey(API.destinationRule, c.namespace, 'podinfo-primary'),
    objectKey(API.destinationRule, c.namespace, 'podinfo-canary'),
  ],
  userObject: (c) => ({
    apiVersion: API.virtualService.apiVersion,
    kind: API.virtualService.kind,
    metadata: { name: 'podinfo', namespace: c.namespace, labels: { app: 'podinfo' } },
    spec: { hosts: ['podinfo'], http: [{ timeout: '5s', route: [{ destination: { host: 'podinfo' } }] }] },
  }),
  revertSplit: (cluster, c) =>
    patchSpec<NonNullable<VirtualService['spec']>>(
      cluster,
      objectKey(API.virtualService, c.namespace, 'podinfo'),
      (spec) => {
        const route = spec.http![0]!.route!;
        route[0]!.weight = 100;
        route[1]!.weight = 0;
      },
    ),
};

/** The Gateway API router, for each of its API versions. */
function gatewayApi(provider: 'gatewayapi:v1' | 'gatewayapi:v1beta1'): RouterContractSubject {
  const api = provider === 'gatewayapi:v1' ? API.httpRoute : API.httpRouteV1beta1;
  return {
    name: `GatewayApiRouter (${provider})`,
    makeRouter: (cluster) => new GatewayApiRouter({ cluster }),
    mirrors: true,
    canary: (namespace, variant, uid) => {
      const options = { namespace, provider, ...(uid ? { uid } : {}) };
      if (variant === 'changed') {
        return gatewayCanaryFor(
          {
            gatewayRefs: [...GATEWAY_REFS, { name: 'internal' }],
            hosts: ['podinfo.example.com'],
            timeout: '30s',
          },
          {},
          options,
        );
      }
      // A copy to a shadow service besides the canary's (`service.mirror`): the mirrored split is
      // still read from the copy to the canary alone.
      if (variant === 'mirror')
        return gatewayCanaryFor(
          { mirror: [{ backendRef: { name: 'podinfo-shadow', port: 9898 }, percent: 20 }] },
          { iterations: 5, mirror: true, mirrorWeight: 50 },
          options,
        );
      return gatewayCanaryFor({}, {}, options);
    },
    targets: TARGETS,
    ownedKeys: (c) => [objectKey(api, c.namespace, 'podinfo')],
    userObject: (c) => userHttpRoute(c.namespace, api.apiVersion),
    revertSplit: (cluster, c) =>
      patchSpec<NonNullable<HttpRoute['spec']>>(cluster, objectKey(api, c.namespace, 'podinfo'), (spec) => {
        const refs = spec.rules![0]!.backendRefs!;
        refs[0]!.weight = 100;
        refs[1]!.weight = 0;
      }),
  };
}

const memory = () => memoryEnvironment();
describeRouterContract(istio, memory);
describeRouterContract(gatewayApi('gatewayapi:v1'), memory);
describeRouterContract(gatewayApi('gatewayapi:v1beta1'), memory);
describeRouterContract(linkerdSubject('linkerd'), memory);
describeRouterContract(linkerdSubject('smi:v1alpha2'), memory);
describeRouterContract(nginxSubject, () => memoryEnvironment([nginxUserIngress(NAMESPACE)]));
// KubernetesRouter: not a subject; it owns no object and always reports primary 100, so no case applies.
