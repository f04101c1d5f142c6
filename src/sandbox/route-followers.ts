/**
 * The watch that feeds the sandbox's traffic the routes of one provider: the objects that
 * provider's router writes, each translated into the routes it amounts to and kept under the
 * `namespace/apex` the traffic is sampled for, with a one-line description for the demo display.
 */
import type { Cluster, KubeObject, Unsubscribe } from '../kube/cluster.js';
import { API } from '../kube/resources.js';
import { DEFAULT_INGRESS_ANNOTATIONS_PREFIX } from '../routers/nginx-objects.js';
import {
  canaryIngressRoutes,
  httpRouteRoutes,
  serviceSelectorRoutes,
  type HttpRouteSpec,
} from './provider-routing.js';
import { trafficSplitRoutes, type TrafficSplitSpec } from './traffic-split-routing.js';
import type { VirtualServiceSpec } from './virtual-service-routing.js';

/** The providers whose objects the sandbox follows. */
export const SANDBOX_PROVIDERS = ['istio', 'linkerd', 'gatewayapi', 'nginx', 'kubernetes'] as const;
export type SandboxProvider = (typeof SANDBOX_PROVIDERS)[number];

/** The routes of one apex, and which object said so. */
export interface FollowedRoutes {
  spec: VirtualServiceSpec;
  /** e.g. `HTTPRoute podinfo: podinfo-primary 90 / podinfo-canary 10`. */
  description: string;
}

type Followed = KubeObject & { spec?: unknown };

const CANARY_SUFFIX = '-canary';
const PRIMARY_SUFFIX = '-primary';

/** A route's destinations and weights, e.g. `podinfo-primary 90 / podinfo-canary 10`. */
function describeRoute(route: NonNullable<VirtualServiceSpec['http']>[number]): string {
  const destinations = route.route ?? [];
  const to = destinations
    .map((d) => (destinations.length === 1 ? d.destination.host : `${d.destination.host} ${d.weight ?? 0}`))
    .join(' / ');
  const headers = (route.match ?? []).flatMap((m) =>
    Object.entries(m.headers ?? {}).map(([name, c]) => `${name}=${c.exact ?? c.regex ?? c.prefix ?? ''}`),
  );
  return headers.length > 0 ? `[${headers.join(' | ')}] ${to}` : to;
}

function described(kind: string, name: string, spec: VirtualServiceSpec): FollowedRoutes {
  const routes = (spec.http ?? []).map(describeRoute);
  return { spec, description: `${kind} ${name}: ${routes.length > 0 ? routes.join(', ') : 'no route'}` };
}

/** What one provider's objects say, by `namespace/apex`; undefined for an object that routes nothing. */
function translate(
  provider: SandboxProvider,
  o: Followed,
): { apex: string; routes: FollowedRoutes } | undefined {
  const name = o.metadata.name;
  switch (provider) {
    case 'istio':
      return { apex: name, routes: described('VirtualService', name, o.spec as VirtualServiceSpec) };
    case 'linkerd':
      return {
        apex: name,
        routes: described('TrafficSplit', name, trafficSplitRoutes(o.spec as TrafficSplitSpec)),
      };
    case 'gatewayapi':
      return { apex: name, routes: described('HTTPRoute', name, httpRouteRoutes(o.spec as HttpRouteSpec)) };
    case 'nginx': {
      // The canary copy `<ingress>-canary`; the sandbox's Ingresses are named after their apex.
      if (!name.endsWith(CANARY_SUFFIX)) return undefined;
      const apex = name.slice(0, -CANARY_SUFFIX.length);
      const spec = canaryIngressRoutes({
        annotations: o.metadata.annotations ?? {},
        prefix: DEFAULT_INGRESS_ANNOTATIONS_PREFIX,
        primaryService: apex,
        canaryService: `${apex}${CANARY_SUFFIX}`,
      });
      return { apex, routes: described('Ingress', name, spec) };
    }
    case 'kubernetes': {
      // Only the apex Service routes users; `-primary` and `-canary` are the analysis's.
      if (name.endsWith(CANARY_SUFFIX) || name.endsWith(PRIMARY_SUFFIX)) return undefined;
      const selector = (o.spec as { selector?: Record<string, string> } | undefined)?.selector;
      const names = {
        apex: name,
        primaryService: `${name}${PRIMARY_SUFFIX}`,
        canaryService: `${name}${CANARY_SUFFIX}`,
      };
      return { apex: name, routes: described('Service', name, serviceSelectorRoutes(selector, names)) };
    }
  }
}

const KINDS: Record<SandboxProvider, { apiVersion: string; kind: string }> = {
  istio: API.virtualService,
  // One group for every SMI version: the in-memory cluster, like the API server, keeps one object.
  linkerd: { apiVersion: 'split.smi-spec.io/v1alpha1', kind: 'TrafficSplit' },
  gatewayapi: API.httpRoute,
  nginx: API.ingress,
  kubernetes: API.service,
};

/** Follows `provider`'s objects, calling `set` with what each says and `remove` when one goes. */
export function followRoutes(
  cluster: Cluster,
  provider: SandboxProvider,
  set: (key: string, routes: FollowedRoutes) => void,
  remove: (key: string) => void,
): Unsubscribe {
  return cluster.watch<Followed>({ ...KINDS[provider] }, (e) => {
    const t = translate(provider, e.object);
    if (!t) return;
    const key = `${e.object.metadata.namespace}/${t.apex}`;
    if (e.type === 'DELETED') remove(key);
    else set(key, t.routes);
  });
}
