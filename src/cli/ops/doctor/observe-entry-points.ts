/**
 * The reads of the entry-point checks (`entry-points.ts`): the HTTPRoute of a Gateway API canary
 * and the Gateways its parentRefs name, the Ingress of an NGINX canary and the IngressClasses.
 * Nothing here decides; a failed read goes through `attempt`, which notes it.
 */
import type { ResolvedCanary } from '../../../api/defaults.js';
import type { Cluster, KubeObject } from '../../../kube/cluster.js';
import { objectKey } from '../../../kube/resources.js';
import { httpRouteApiOf, HTTP_ROUTE_API, type HttpRoute } from '../../../routers/gateway-api-objects.js';
import { ingressKey, type Ingress } from '../../../routers/nginx-objects.js';
import {
  gatewayParents,
  type GatewayParentsInput,
  type IngressClass,
  type IngressClassInput,
} from './entry-points.js';

/** Runs a read; on failure notes `what` could not be read and returns `fallback`. */
export type Attempt = <T>(what: string, read: () => Promise<T>, fallback: T) => Promise<T>;

/** What the entry-point checks of one canary look at; each only for its provider. */
export interface EntryPointObservations {
  gatewayParents?: GatewayParentsInput;
  ingressClass?: IngressClassInput;
}

const INGRESS_CLASS = { apiVersion: 'networking.k8s.io/v1', kind: 'IngressClass' } as const;

/** Reads what the entry-point checks of `canary` look at. */
export async function observeEntryPoints(
  cluster: Cluster,
  canary: ResolvedCanary,
  attempt: Attempt,
): Promise<EntryPointObservations> {
  const ns = canary.namespace;
  if (Object.hasOwn(HTTP_ROUTE_API, canary.provider)) {
    const api = httpRouteApiOf(canary);
    const httpRoute = await attempt(
      `HTTPRoute ${ns}/${canary.names.apex}`,
      () => cluster.get<HttpRoute>(objectKey(api, ns, canary.names.apex)),
      undefined,
    );
    // The Gateway of the HTTPRoute's own API version: v1beta1 clusters serve Gateways at v1beta1 too.
    const gatewayApi = { apiVersion: api.apiVersion, kind: 'Gateway' };
    const existingGateways = new Set<string>();
    for (const ref of httpRoute ? gatewayParents(httpRoute) : []) {
      const [gwNs, gwName] = ref.split('/') as [string, string];
      const gateway = await attempt(
        `Gateway ${ref}`,
        () => cluster.get<KubeObject>(objectKey(gatewayApi, gwNs, gwName)),
        undefined,
      );
      if (gateway) existingGateways.add(ref);
    }
    return { gatewayParents: { httpRoute, existingGateways } };
  }
  if (canary.provider === 'nginx' && canary.spec.ingressRef?.name) {
    const key = ingressKey(canary);
    const ingress = await attempt(`Ingress ${ns}/${key.name}`, () => cluster.get<Ingress>(key), undefined);
    const ingressClasses = await attempt(
      'IngressClasses',
      () => cluster.list<IngressClass>({ ...INGRESS_CLASS }),
      undefined,
    );
    return { ingressClass: { ingress, ingressClasses } };
  }
  return {};
}
