/**
 * The Istio objects of one canary, as pure functions: what the VirtualService and DestinationRules
 * should say for a given split, and what split a stored VirtualService says. No I/O here;
 * `istio.ts` reads and writes.
 *
 * Two routing modes:
 * - host (Flagger's, the default): one host per version, `<apex>-primary` and `<apex>-canary`, each
 *   with its own DestinationRule;
 * - subset (`service.subsetRouting`, the Istio docs style): one DestinationRule `<apex>` with
 *   subsets `primary` and `canary` selected by pod labels, and routes by subset.
 */
import type { ResolvedCanary } from '../api/defaults.js';
import type { KubeObject } from '../kube/cluster.js';
import { API, objectKey } from '../kube/resources.js';
import type { DesiredObject } from './owned-object.js';
import { buildSessionRoutes, isStickyRoute, readSessionCookies } from './istio-session-affinity.js';
import { RouterError, type RouteTargets, type Routes } from './router.js';

export { INITIAL_ROUTES, checkRoutes } from './weights.js';

/** How versions are told apart: by host, or by subset of the apex host. */
export type RoutingMode = 'host' | 'subset';

/** Names of the DestinationRule subsets in subset mode. */
export const SUBSET_PRIMARY = 'primary';
export const SUBSET_CANARY = 'canary';

/** Spec fields of a VirtualService that Fledge owns; `tcp`, `tls`, `exportTo` stay the user's. */
export const VIRTUAL_SERVICE_OWNED_FIELDS = ['hosts', 'gateways', 'http'] as const;
/**
 * With `appProtocol: tcp` Fledge owns the tcp routes instead, and `http` too so that http routes
 * left from an earlier HTTP spec are removed rather than kept routing at a stale split.
 */
export const TCP_VIRTUAL_SERVICE_OWNED_FIELDS = ['hosts', 'gateways', 'http', 'tcp'] as const;
/** Spec fields of a DestinationRule that Fledge owns. */
export const DESTINATION_RULE_OWNED_FIELDS = ['host', 'subsets', 'trafficPolicy'] as const;

/** An Istio Destination. */
export interface IstioDestination {
  host: string;
  subset?: string;
  port?: { number: number };
}

/** An Istio HTTPRouteDestination. */
export interface IstioRouteDestination {
  destination: IstioDestination;
  weight?: number;
  [key: string]: unknown;
}

/** An Istio HTTPRoute; only the fields Fledge reads are typed. */
export interface IstioHttpRoute {
  match?: Record<string, unknown>[];
  route?: IstioRouteDestination[];
  mirror?: IstioDestination;
  mirrorPercentage?: { value: number };
  [key: string]: unknown;
}

/** An Istio TCPRoute: L4 matches (ports) and weighted destinations, nothing HTTP. */
export interface IstioTcpRoute {
  match?: Record<string, unknown>[];
  route?: IstioRouteDestination[];
  [key: string]: unknown;
}

/** A `networking.istio.io/v1` VirtualService. */
export interface VirtualService extends KubeObject {
  spec?: {
    hosts?: string[];
    gateways?: string[];
    http?: IstioHttpRoute[];
    tcp?: IstioTcpRoute[];
    [key: string]: unknown;
  };
}

/** A `networking.istio.io/v1` DestinationRule. */
export interface DestinationRule extends KubeObject {
  spec?: {
    host?: string;
    subsets?: { name: string; labels?: Record<string, string>; [key: string]: unknown }[];
    trafficPolicy?: Record<string, unknown>;
    [key: string]: unknown;
  };
}

type Version = 'primary' | 'canary';

/** Whether the service is TCP (`service.appProtocol: tcp`, any case, as in Flagger): tcp routes. */
export function isTcp(canary: ResolvedCanary): boolean {
  return canary.service.appProtocol?.toLowerCase() === 'tcp';
}

export function routingModeOf(canary: ResolvedCanary): RoutingMode {
  return canary.service.subsetRouting ? 'subset' : 'host';
}

function destination(canary: ResolvedCanary, version: Version): IstioDestination {
  const port = { number: canary.service.port };
  if (routingModeOf(canary) === 'subset') {
    return { host: canary.names.apex, subset: version === 'primary' ? SUBSET_PRIMARY : SUBSET_CANARY, port };
  }
  return { host: version === 'primary' ? canary.names.primaryService : canary.names.canaryService, port };
}

/** The per-route settings of `spec.service` that every route carries, passed through untouched. */
function routeSettings(canary: ResolvedCanary): Record<string, unknown> {
  const s = canary.service;
  return {
    ...(s.rewrite ? { rewrite: s.rewrite } : {}),
    ...(s.timeout ? { timeout: s.timeout } : {}),
    ...(s.retries ? { retries: s.retries } : {}),
    ...(s.headers ? { headers: s.headers } : {}),
    ...(s.corsPolicy ? { corsPolicy: s.corsPolicy } : {}),
  };
}

/** HTTPMatchRequest fields that are maps: merged key by key rather than replaced. */
const MAP_MATCH_FIELDS = ['headers', 'queryParams', 'withoutHeaders', 'sourceLabels'] as const;

/**
 * Combines the A/B conditions with the service's own, as Flagger does: every A/B condition is
 * combined with every service condition (A/B-major order), so a request must satisfy both. In one
 * combination the A/B condition wins a conflict; map fields (headers, queryParams, withoutHeaders,
 * sourceLabels) are merged key by key. Without service conditions the A/B ones are used as given.
 */
export function mergeMatches(
  abMatches: Record<string, unknown>[],
  serviceMatches: Record<string, unknown>[],
): Record<string, unknown>[] {
  if (serviceMatches.length === 0) return abMatches;
  return abMatches.flatMap((ab) =>
    serviceMatches.map((sm) => {
      const merged: Record<string, unknown> = { ...sm, ...ab };
      for (const field of MAP_MATCH_FIELDS) {
        const a = ab[field];
        const s = sm[field];
        if (isRecord(a) && isRecord(s)) merged[field] = { ...s, ...a };
      }
      return merged;
    }),
  );
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The route Fledge owns: the split between primary and canary, and the mirror when asked. */
function splitRoute(
  canary: ResolvedCanary,
  routes: Routes,
  match: Record<string, unknown>[],
): IstioHttpRoute {
  return {
    ...(match.length > 0 ? { match } : {}),
    ...routeSettings(canary),
    route: [
      { destination: destination(canary, 'primary'), weight: routes.primary },
      { destination: destination(canary, 'canary'), weight: routes.canary },
    ],
    ...(routes.mirrored
      ? {
          mirror: destination(canary, 'canary'),
          mirrorPercentage: { value: canary.analysis.mirrorWeight },
        }
      : {}),
  };
}

/**
 * The http routes for a split. Canary and blue/green: one route. A/B testing: the matched route
 * carries the split, then a route with the service's own conditions sends the rest to the primary.
 */
export function buildHttpRoutes(canary: ResolvedCanary, routes: Routes): IstioHttpRoute[] {
  const serviceMatch = canary.service.match ?? [];
  if (canary.analysis.strategy !== 'ab-testing') {
    const weighted = splitRoute(canary, routes, serviceMatch);
    if (!canary.analysis.sessionAffinity) return [weighted];
    return buildSessionRoutes(canary, routes, {
      weighted,
      serviceMatch,
      merge: mergeMatches,
      isCanary: (d) => versionOf(canary, d) === 'canary',
    }) as IstioHttpRoute[];
  }
  return [
    splitRoute(canary, routes, mergeMatches(canary.analysis.match, serviceMatch)),
    {
      ...(serviceMatch.length > 0 ? { match: serviceMatch } : {}),
      ...routeSettings(canary),
      route: [{ destination: destination(canary, 'primary'), weight: 100 }],
    },
  ];
}

/**
 * The tcp route for a split, as Flagger writes it: the weights only, matched on the ports of
 * `service.match` (the only part of an HTTP match that means something at L4).
 */
export function buildTcpRoutes(canary: ResolvedCanary, routes: Routes): IstioTcpRoute[] {
  const match = (canary.service.match ?? []).map((m) => (typeof m.port === 'number' ? { port: m.port } : {}));
  return [
    {
      ...(match.length > 0 ? { match } : {}),
      route: [
        { destination: destination(canary, 'primary'), weight: routes.primary },
        { destination: destination(canary, 'canary'), weight: routes.canary },
      ],
    },
  ];
}

/** The VirtualService `<apex>` for a split: http routes, or tcp routes for a TCP service. */
export function buildVirtualService(canary: ResolvedCanary, routes: Routes): DesiredObject {
  const apex = canary.service.apex;
  // A delegate VirtualService (`service.delegation`) has neither hosts nor gateways, as Flagger
  // writes it: the root VirtualService that delegates to it carries them.
  const common = canary.service.delegation
    ? { hosts: [], gateways: [] }
    : {
        hosts: [...new Set([...canary.service.hosts, canary.names.apex])],
        gateways: [...canary.service.gateways],
      };
  return {
    key: objectKey(API.virtualService, canary.namespace, canary.names.apex),
    labels: apex?.labels ?? {},
    annotations: apex?.annotations ?? {},
    ...(isTcp(canary)
      ? {
          spec: { ...common, tcp: buildTcpRoutes(canary, routes) },
          ownedSpecFields: TCP_VIRTUAL_SERVICE_OWNED_FIELDS,
        }
      : {
          spec: { ...common, http: buildHttpRoutes(canary, routes) },
          ownedSpecFields: VIRTUAL_SERVICE_OWNED_FIELDS,
        }),
  };
}

function checkSubsetLabels(canary: ResolvedCanary, targets: RouteTargets): void {
  const where = `Canary ${canary.namespace}/${canary.name}: service.subsetRouting`;
  if (Object.keys(targets.primaryLabels).length === 0 || Object.keys(targets.canaryLabels).length === 0) {
    throw new RouterError(`${where} needs pod labels for both primary and canary, got none for one of them`);
  }
  const selects = (selector: Record<string, string>, labels: Record<string, string>): boolean =>
    Object.entries(selector).every(([k, v]) => labels[k] === v);
  if (
    selects(targets.primaryLabels, targets.canaryLabels) ||
    selects(targets.canaryLabels, targets.primaryLabels)
  ) {
    throw new RouterError(
      `${where}: the primary and canary pod labels overlap, one subset would select both`,
    );
  }
}

/**
 * The DestinationRules: `<apex>-primary` and `<apex>-canary` in host mode, `<apex>` with subsets in
 * subset mode (labelled with `service.apex`, as it describes the apex host).
 */
export function buildDestinationRules(canary: ResolvedCanary, targets: RouteTargets): DesiredObject[] {
  const trafficPolicy = canary.service.trafficPolicy;
  const policy = trafficPolicy ? { trafficPolicy } : {};
  const meta = (
    m: { labels?: Record<string, string>; annotations?: Record<string, string> } | undefined,
  ) => ({
    labels: m?.labels ?? {},
    annotations: m?.annotations ?? {},
  });
  if (routingModeOf(canary) === 'subset') {
    checkSubsetLabels(canary, targets);
    return [
      {
        key: objectKey(API.destinationRule, canary.namespace, canary.names.apex),
        ...meta(canary.service.apex),
        spec: {
          host: canary.names.apex,
          ...policy,
          subsets: [
            { name: SUBSET_PRIMARY, labels: { ...targets.primaryLabels } },
            { name: SUBSET_CANARY, labels: { ...targets.canaryLabels } },
          ],
        },
        ownedSpecFields: DESTINATION_RULE_OWNED_FIELDS,
      },
    ];
  }
  return (
    [
      [canary.names.primaryService, canary.service.primary],
      [canary.names.canaryService, canary.service.canary],
    ] as const
  ).map(([name, m]) => ({
    key: objectKey(API.destinationRule, canary.namespace, name),
    ...meta(m),
    spec: { host: name, ...policy },
    ownedSpecFields: DESTINATION_RULE_OWNED_FIELDS,
  }));
}

/** Whether an Istio host names the service `name` in `namespace` (short or qualified form). */
function sameHost(host: string, name: string, namespace: string): boolean {
  const qualified = `${name}.${namespace}`;
  return (
    host === name ||
    host === qualified ||
    host === `${qualified}.svc` ||
    host === `${qualified}.svc.cluster.local`
  );
}

/** Which version a destination points at, in either mode, so a change of mode still reads. */
function versionOf(canary: ResolvedCanary, d: IstioDestination | undefined): Version | undefined {
  if (!d) return undefined;
  const ns = canary.namespace;
  if (sameHost(d.host, canary.names.primaryService, ns)) return 'primary';
  if (sameHost(d.host, canary.names.canaryService, ns)) return 'canary';
  if (sameHost(d.host, canary.names.apex, ns)) {
    if (d.subset === SUBSET_PRIMARY) return 'primary';
    if (d.subset === SUBSET_CANARY) return 'canary';
  }
  return undefined;
}

/**
 * The split a VirtualService says, read from the route Fledge owns: the first http route (tcp route
 * for a TCP service) with a canary destination (for A/B, the matched route), leaving out the
 * session affinity routes, with the cookies those carry. Undefined when no route sends to the
 * canary, e.g. a user's VirtualService not taken over yet.
 */
export function readRoutes(canary: ResolvedCanary, vs: VirtualService): Routes | undefined {
  const owned: IstioHttpRoute[] = (isTcp(canary) ? vs.spec?.tcp : vs.spec?.http) ?? [];
  const weighted = owned.find(
    (r) => !isStickyRoute(r) && (r.route ?? []).some((d) => versionOf(canary, d.destination) === 'canary'),
  );
  const routes = weighted && readSplit(canary, weighted);
  if (!routes || !canary.analysis.sessionAffinity) return routes;
  const isCanary = (d: IstioDestination): boolean => versionOf(canary, d) === 'canary';
  return { ...routes, cookies: readSessionCookies(owned, weighted, isCanary) };
}

/** The split of the route that carries it (one with a canary destination). */
function readSplit(canary: ResolvedCanary, route: IstioHttpRoute): Routes {
  const destinations = route.route ?? [];
  // Istio sends everything to a sole destination whatever its weight says.
  const weightOf = (d: IstioRouteDestination): number => (destinations.length === 1 ? 100 : (d.weight ?? 0));
  const sum = (version: Version): number =>
    destinations
      .filter((d) => versionOf(canary, d.destination) === version)
      .reduce((total, d) => total + weightOf(d), 0);
  return {
    primary: sum('primary'),
    canary: sum('canary'),
    mirrored: versionOf(canary, route.mirror) === 'canary',
  };
}
