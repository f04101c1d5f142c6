/**
 * Router contract subjects (`test/contract/router-contract.ts`) for the Linkerd / SMI and NGINX
 * routers, shared by the in-memory run (`router-contract.test.ts`) and the real API server run
 * (`test/integration/routers/router-contract.test.ts`).
 */
import { resolveCanary } from '../../../src/api/defaults.js';
import type { SmiVersion } from '../../../src/api/providers.js';
import type { Cluster, ObjectKey } from '../../../src/kube/cluster.js';
import { API, objectKey } from '../../../src/kube/resources.js';
import { LinkerdRouter } from '../../../src/routers/linkerd.js';
import type { Ingress } from '../../../src/routers/nginx-objects.js';
import { NginxRouter } from '../../../src/routers/nginx.js';
import type { SpecObject } from '../../../src/routers/owned-object.js';
import { trafficSplitKey, type TrafficSplit } from '../../../src/routers/traffic-split.js';
import type { RouterContractSubject } from '../../contract/router-contract.js';
import { TARGETS, canaryObject, ingressTo } from './fixtures.js';

/** Edits the stored object of `key` as another writer would (read, change, merge patch). */
export async function patchStored<T extends SpecObject>(
  cluster: Cluster,
  key: ObjectKey,
  edit: (o: T) => void,
) {
  const object = await cluster.get<T>(key);
  if (!object) throw new Error(`${key.kind} ${key.name} not found`);
  edit(object);
  await cluster.patch(key, {
    metadata: { annotations: object.metadata.annotations ?? null },
    spec: object.spec,
  });
}

/** The Linkerd / SMI router at one TrafficSplit version, as the factory builds it for `provider`. */
export function linkerdSubject(provider: 'linkerd' | 'smi:v1alpha2'): RouterContractSubject {
  const version: SmiVersion = provider === 'linkerd' ? 'v1alpha1' : 'v1alpha2';
  // v1alpha1 weights are quantities, written as strings; later versions take integers.
  const weight = (percent: number): number | string => (version === 'v1alpha1' ? String(percent) : percent);
  return {
    name: `LinkerdRouter (${provider})`,
    makeRouter: (cluster) => new LinkerdRouter({ cluster, smiVersion: version }),
    mirrors: false,
    canary: (namespace, variant, uid) => {
      if (variant === 'mirror') return undefined;
      // The TrafficSplit's labels and annotations are all it takes from the Canary's route spec.
      const service = variant === 'changed' ? { apex: { labels: { team: 'web' } } } : {};
      const object = canaryObject(service, {}, uid);
      object.metadata.namespace = namespace;
      object.spec.provider = provider;
      return resolveCanary(object, { defaultProvider: 'istio' });
    },
    targets: TARGETS,
    ownedKeys: (c) => [trafficSplitKey(c, version)],
    userObject: (c) => ({
      apiVersion: `split.smi-spec.io/${version}`,
      kind: 'TrafficSplit',
      metadata: { name: 'podinfo', namespace: c.namespace, labels: { app: 'podinfo' } },
      spec: { service: 'podinfo', backends: [{ service: 'podinfo-v1', weight: weight(100) }] },
    }),
    revertSplit: (cluster, c) =>
      patchStored<TrafficSplit>(cluster, trafficSplitKey(c, version), (split) => {
        for (const backend of split.spec?.backends ?? []) {
          backend.weight = weight(backend.service === c.names.primaryService ? 100 : 0);
        }
      }),
  };
}

const P = 'nginx.ingress.kubernetes.io';

/** The user's Ingress `podinfo` the NGINX canary copies; it must exist before the router runs. */
export function nginxUserIngress(namespace: string): Ingress {
  const ingress = ingressTo(namespace, 'podinfo', 'podinfo', 9898);
  ingress.metadata.labels = { app: 'podinfo' };
  ingress.metadata.annotations = { [`${P}/proxy-body-size`]: '8m' };
  ingress.spec!.ingressClassName = 'nginx';
  return ingress;
}

/**
 * The NGINX router. Its route spec is the user's Ingress, not the Canary: the `changed` variant is
 * the base canary, and {@link RouterContractSubject.changeSource} edits the Ingress instead.
 */
export const nginxSubject: RouterContractSubject = {
  name: 'NginxRouter',
  makeRouter: (cluster) => new NginxRouter({ cluster }),
  mirrors: false,
  canary: (namespace, variant, uid) => {
    if (variant === 'mirror') return undefined;
    const object = canaryObject({}, {}, uid);
    object.metadata.namespace = namespace;
    object.spec.provider = 'nginx';
    object.spec.ingressRef = { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', name: 'podinfo' };
    return resolveCanary(object, { defaultProvider: 'istio' });
  },
  targets: TARGETS,
  ownedKeys: (c) => [objectKey(API.ingress, c.namespace, 'podinfo-canary')],
  userObject: (c) => {
    const ingress = ingressTo(c.namespace, 'podinfo-canary', 'podinfo-canary', 9898);
    ingress.metadata.labels = { app: 'podinfo' };
    ingress.metadata.annotations = { [`${P}/canary`]: 'true', [`${P}/canary-weight`]: '5' };
    return ingress as SpecObject;
  },
  revertSplit: (cluster, c) =>
    patchStored<Ingress>(cluster, objectKey(API.ingress, c.namespace, 'podinfo-canary'), (ingress) => {
      ingress.metadata.annotations = { ...ingress.metadata.annotations, [`${P}/canary`]: 'false' };
    }),
  changeSource: (cluster, c) =>
    patchStored<Ingress>(cluster, objectKey(API.ingress, c.namespace, 'podinfo'), (ingress) => {
      ingress.spec!.rules![0]!.host = 'podinfo.example.com';
    }),
};
