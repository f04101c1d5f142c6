/**
 * The Gateway API HTTPRoute of one canary, as pure functions: what it should say for a given split,
 * and what split a stored HTTPRoute says. No I/O here; `gateway-api.ts` reads and writes.
 *
 * The HTTPRoute `<apex>` attaches to `service.gatewayRefs`, answers for `service.hosts`, and has one
 * weighted rule to the services `<apex>-primary` and `<apex>-canary`. A/B testing adds a first rule
 * with the analysis matches (the weighted one) and keeps a second rule with the service matches on
 * the primary. Every field is written with the value the API server would default it to, so a
 * stored route equals the built one and an unchanged tick writes nothing.
 */
import type { ResolvedCanary } from '../api/defaults.js';
import { translateFilters, translateTimeouts, type HttpRouteFilter } from '../api/gateway-api-filters.js';
import { isCanaryMirror, translateMirrors } from '../api/gateway-api-mirrors.js';
import { mergeHttpRouteMatches, translateMatches, type HttpRouteMatch } from '../api/gateway-api-matches.js';
import { formatFieldError } from '../api/field-error.js';
import { gatewayApiErrors } from '../api/gateway-api-rules.js';
import type { KubeObject } from '../kube/cluster.js';
import { API, objectKey } from '../kube/resources.js';
import { affinityRules, isAffinityRule, type AffinityState } from './gateway-api-affinity.js';
import type { DesiredObject } from './owned-object.js';
import { RouterError, type Routes } from './router.js';

/** Spec fields of an HTTPRoute that Fledge owns (every field of the standard channel's spec). */
export const HTTP_ROUTE_OWNED_FIELDS = ['parentRefs', 'hostnames', 'rules'] as const;

/** The Gateway API versions Fledge writes, by provider. */
export const HTTP_ROUTE_API = {
  'gatewayapi:v1': API.httpRoute,
  'gatewayapi:v1beta1': API.httpRouteV1beta1,
} as const;
export type GatewayApiProvider = keyof typeof HTTP_ROUTE_API;

/** A Gateway API ParentReference with its defaults. */
export interface ParentRef {
  group: string;
  kind: string;
  name: string;
  namespace?: string;
  sectionName?: string;
  port?: number;
}

/** A Gateway API HTTPBackendRef to a Service. */
export interface HttpBackendRef {
  group?: string;
  kind?: string;
  name: string;
  port?: number;
  weight?: number;
  filters?: HttpRouteFilter[];
  [key: string]: unknown;
}

/** A Gateway API HTTPRouteRule; only the fields Fledge reads and writes are typed. */
export interface HttpRouteRule {
  matches?: HttpRouteMatch[];
  filters?: HttpRouteFilter[];
  backendRefs?: HttpBackendRef[];
  timeouts?: { request?: string };
  [key: string]: unknown;
}

/** A `gateway.networking.k8s.io` HTTPRoute. */
export interface HttpRoute extends KubeObject {
  spec?: {
    parentRefs?: ParentRef[];
    hostnames?: string[];
    rules?: HttpRouteRule[];
    [key: string]: unknown;
  };
}

const GATEWAY_GROUP = 'gateway.networking.k8s.io';

/** The HTTPRoute's apiVersion and kind for the canary's provider. */
export function httpRouteApiOf(canary: ResolvedCanary): { apiVersion: string; kind: string } {
  const api = (HTTP_ROUTE_API as Record<string, { apiVersion: string; kind: string }>)[canary.provider];
  if (!api) {
    throw new RouterError(
      `Canary ${canary.namespace}/${canary.name}: provider "${canary.provider}" is not a Gateway API provider (${Object.keys(HTTP_ROUTE_API).join(', ')})`,
    );
  }
  return api;
}

/** The parent references of `service.gatewayRefs`, with the API server's defaults. */
function parentRefs(canary: ResolvedCanary): ParentRef[] {
  return (canary.service.gatewayRefs ?? []).map((ref) => ({
    group: ref.group ?? GATEWAY_GROUP,
    kind: ref.kind ?? 'Gateway',
    name: ref.name,
    ...(ref.namespace !== undefined ? { namespace: ref.namespace } : {}),
    ...(ref.sectionName !== undefined ? { sectionName: ref.sectionName } : {}),
    ...(ref.port !== undefined ? { port: ref.port } : {}),
  }));
}

function backendRef(name: string, port: number, weight: number): HttpBackendRef {
  return { group: '', kind: 'Service', name, port, weight };
}

/** What the Canary spec translates to. */
interface Translated {
  serviceMatches: HttpRouteMatch[];
  abMatches: HttpRouteMatch[];
  filters: HttpRouteFilter[];
  timeouts: { request: string } | undefined;
}

/** The spec translated, or a RouterError naming every field Gateway API cannot say. */
function translated(canary: ResolvedCanary): Translated {
  const errors = gatewayApiErrors(canary.spec);
  if (errors.length > 0) {
    throw new RouterError(
      `Canary ${canary.namespace}/${canary.name}: cannot write an HTTPRoute: ${errors.map(formatFieldError).join('; ')}`,
    );
  }
  return {
    serviceMatches: translateMatches(canary.service.match, 'spec.service.match').matches,
    abMatches: translateMatches(canary.analysis.match, 'spec.analysis.match').matches,
    // Flagger's order: header modifiers, the rewrite, then the service's mirrors.
    filters: [
      ...translateFilters(canary.service).filters,
      ...translateMirrors(canary.service, canary.names.canaryService).mirrors.map(
        (requestMirror): HttpRouteFilter => ({ type: 'RequestMirror', requestMirror }),
      ),
    ],
    timeouts: translateTimeouts(canary.service).timeouts,
  };
}

/**
 * A rule with the service's filters (`service.mirror` included: every rule the service's traffic
 * takes copies it there) and timeouts; `extraFilters` come after them.
 */
function rule(
  t: Translated,
  matches: HttpRouteMatch[],
  backendRefs: HttpBackendRef[],
  extraFilters: HttpRouteFilter[] = [],
): HttpRouteRule {
  const filters = [...structuredClone(t.filters), ...extraFilters];
  return {
    matches: structuredClone(matches),
    ...(filters.length > 0 ? { filters } : {}),
    backendRefs,
    ...(t.timeouts ? { timeouts: { ...t.timeouts } } : {}),
  };
}

/** The mirror filter to the canary service, with `analysis.mirrorWeight` when below 100. */
function mirrorFilter(canary: ResolvedCanary): HttpRouteFilter {
  const weight = canary.analysis.mirrorWeight;
  return {
    type: 'RequestMirror',
    requestMirror: {
      backendRef: { group: '', kind: 'Service', name: canary.names.canaryService, port: canary.service.port },
      ...(weight < 100 ? { percent: weight } : {}),
    },
  };
}

/**
 * The rules for a split: the weighted rule (mirroring to the canary when asked) and, for A/B
 * testing, the rule keeping the rest on the primary; with session affinity, the affinity rule
 * before the weighted one (`cookies`, see `gateway-api-affinity.ts`).
 */
export function buildRules(
  canary: ResolvedCanary,
  routes: Routes,
  cookies: AffinityState = {},
): HttpRouteRule[] {
  const t = translated(canary);
  const { port } = canary.service;
  const weighted = [
    backendRef(canary.names.primaryService, port, routes.primary),
    backendRef(canary.names.canaryService, port, routes.canary),
  ];
  const mirror = routes.mirrored ? [mirrorFilter(canary)] : [];
  if (canary.analysis.strategy !== 'ab-testing') {
    const rule0 = rule(t, t.serviceMatches, weighted, mirror);
    return canary.spec.analysis.sessionAffinity ? affinityRules(canary, rule0, cookies) : [rule0];
  }
  return [
    rule(t, mergeHttpRouteMatches(t.abMatches, t.serviceMatches), weighted, mirror),
    rule(t, t.serviceMatches, [backendRef(canary.names.primaryService, port, 100)]),
  ];
}

/** The HTTPRoute `<apex>` for a split (labelled and annotated with `service.apex`). */
export function buildHttpRoute(
  canary: ResolvedCanary,
  routes: Routes,
  cookies: AffinityState = {},
): DesiredObject {
  const apex = canary.service.apex;
  const hostnames = canary.service.hosts;
  return {
    key: objectKey(httpRouteApiOf(canary), canary.namespace, canary.names.apex),
    labels: apex?.labels ?? {},
    annotations: apex?.annotations ?? {},
    spec: {
      parentRefs: parentRefs(canary),
      ...(hostnames.length > 0 ? { hostnames: [...hostnames] } : {}),
      rules: buildRules(canary, routes, cookies),
    },
    ownedSpecFields: HTTP_ROUTE_OWNED_FIELDS,
  };
}

/** Whether a backendRef names the Service `name` (of the route's namespace). */
function isService(ref: HttpBackendRef, name: string): boolean {
  return ref.name === name && (ref.kind ?? 'Service') === 'Service' && (ref.group ?? '') === '';
}

/**
 * The split an HTTPRoute says, read from the first rule with a backendRef to the canary (for A/B,
 * the matched rule). Undefined when no rule sends to the canary, e.g. a user's HTTPRoute not taken
 * over yet. A sole backend receives everything whatever its weight; a missing weight is 1.
 */
export function readRoutes(canary: ResolvedCanary, route: HttpRoute): Routes | undefined {
  const { primaryService, canaryService } = canary.names;
  for (const r of route.spec?.rules ?? []) {
    // The affinity rule sends its cookie's holders to the canary whatever the split.
    if (isAffinityRule(canary, r)) continue;
    const refs = r.backendRefs ?? [];
    if (!refs.some((ref) => isService(ref, canaryService))) continue;
    const weightOf = (ref: HttpBackendRef): number => (refs.length === 1 ? 100 : (ref.weight ?? 1));
    const sum = (name: string): number =>
      refs.filter((ref) => isService(ref, name)).reduce((total, ref) => total + weightOf(ref), 0);
    const mirrored = (r.filters ?? []).some((f) => isCanaryMirror(f, canaryService));
    return { primary: sum(primaryService), canary: sum(canaryService), mirrored };
  }
  return undefined;
}
