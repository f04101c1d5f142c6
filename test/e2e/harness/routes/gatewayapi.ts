/**
 * Gateway API: the HTTPRoute named after the apex service, as a conformant implementation routes it.
 * Of all rules' matches that a request meets, the most specific wins (exact path, then the longest
 * path prefix, then a method, then the most header matches, then the most query matches), ties going
 * to the earlier rule; a rule without matches matches every path. Header and query matches are
 * `Exact` (the default) or `RegularExpression` (whole value); header names are case-insensitive.
 * Backends get traffic in proportion to `weight` (default 1); a `RequestMirror` filter on the rule
 * sends a copy (all requests, or `percent` / `fraction` of them).
 */
import type { Cluster, KubeObject } from '../../../../src/kube/cluster.js';
import {
  fullMatch,
  pickWeighted,
  SingleObjectFollower,
  type RouteDecision,
  type RouteRequest,
} from './follower.js';

/** HTTPRoute API versions Flagger writes. */
export const HTTP_ROUTE_API_VERSIONS = [
  'gateway.networking.k8s.io/v1',
  'gateway.networking.k8s.io/v1beta1',
] as const;

/** One of {@link HTTP_ROUTE_API_VERSIONS}. */
export type HttpRouteApiVersion = (typeof HTTP_ROUTE_API_VERSIONS)[number];

interface ValueMatch {
  type?: 'Exact' | 'RegularExpression';
  name: string;
  value: string;
}

/** One `matches[]` entry of an HTTPRoute rule. */
export interface HttpRouteMatch {
  path?: { type?: 'Exact' | 'PathPrefix' | 'RegularExpression'; value?: string };
  headers?: ValueMatch[];
  queryParams?: ValueMatch[];
  method?: string;
}

interface BackendRef {
  name: string;
  port?: number;
  weight?: number;
}

/** One `rules[]` entry of an HTTPRoute. */
export interface HttpRouteRule {
  matches?: HttpRouteMatch[];
  backendRefs?: BackendRef[];
  filters?: {
    type: string;
    requestMirror?: {
      backendRef: BackendRef;
      percent?: number;
      fraction?: { numerator: number; denominator?: number };
    };
  }[];
}

/** An HTTPRoute as the harness reads it. */
export interface HttpRouteSpec {
  parentRefs?: unknown[];
  hostnames?: string[];
  rules?: HttpRouteRule[];
}

interface HttpRouteObject extends KubeObject {
  spec?: HttpRouteSpec;
}

function valueMatches(m: ValueMatch, value: string | undefined): boolean {
  if (value === undefined) return false;
  return m.type === 'RegularExpression' ? fullMatch(m.value).test(value) : value === m.value;
}

function pathMatches(path: HttpRouteMatch['path'], requestPath: string): boolean {
  const value = path?.value ?? '/';
  switch (path?.type ?? 'PathPrefix') {
    case 'Exact':
      return requestPath === value;
    case 'RegularExpression':
      return fullMatch(value).test(requestPath);
    default: {
      // A prefix matches whole path segments: `/foo` matches `/foo` and `/foo/bar`, not `/foobar`.
      const prefix = value.endsWith('/') ? value.slice(0, -1) : value;
      return requestPath === prefix || requestPath.startsWith(`${prefix}/`) || prefix === '';
    }
  }
}

function matches(m: HttpRouteMatch, request: RouteRequest): boolean {
  return (
    pathMatches(m.path, request.path) &&
    (m.method === undefined || m.method.toUpperCase() === request.method.toUpperCase()) &&
    (m.headers ?? []).every((h) => valueMatches(h, request.headers[h.name.toLowerCase()])) &&
    (m.queryParams ?? []).every((q) => valueMatches(q, request.query[q.name]))
  );
}

/** Gateway API's precedence among matches that a request meets: larger is more specific. */
function specificity(m: HttpRouteMatch): number[] {
  const type = m.path?.type ?? 'PathPrefix';
  return [
    type === 'Exact' ? 1 : 0,
    type === 'PathPrefix' ? (m.path?.value ?? '/').length : 0,
    m.method ? 1 : 0,
    m.headers?.length ?? 0,
    m.queryParams?.length ?? 0,
  ];
}

function moreSpecific(a: number[], b: number[]): boolean {
  for (let i = 0; i < a.length; i++) {
    if ((a[i] as number) !== (b[i] as number)) return (a[i] as number) > (b[i] as number);
  }
  return false;
}

/** The rule an HTTPRoute applies to `request`, or undefined when no match takes it. */
export function selectRule(spec: HttpRouteSpec, request: RouteRequest): HttpRouteRule | undefined {
  let best: { rule: HttpRouteRule; rank: number[] } | undefined;
  for (const rule of spec.rules ?? []) {
    const ruleMatches = rule.matches && rule.matches.length > 0 ? rule.matches : [{}];
    for (const m of ruleMatches) {
      if (!matches(m, request)) continue;
      const rank = specificity(m);
      if (!best || moreSpecific(rank, best.rank)) best = { rule, rank };
    }
  }
  return best?.rule;
}

function mirrorOf(rule: HttpRouteRule, random: number): string | undefined {
  const filter = rule.filters?.find((f) => f.type === 'RequestMirror' && f.requestMirror);
  const mirror = filter?.requestMirror;
  if (!mirror) return undefined;
  const share = mirror.fraction
    ? mirror.fraction.numerator / (mirror.fraction.denominator ?? 100)
    : (mirror.percent ?? 100) / 100;
  return random < share ? mirror.backendRef.name : undefined;
}

/** Follows one HTTPRoute; its state is the HTTPRoute's spec. */
export class GatewayApiFollower extends SingleObjectFollower<HttpRouteObject, HttpRouteSpec> {
  constructor(
    cluster: Cluster,
    namespace: string,
    name: string,
    apiVersion: HttpRouteApiVersion = 'gateway.networking.k8s.io/v1',
  ) {
    super(cluster, { apiVersion, kind: 'HTTPRoute' }, namespace, name);
  }

  route(request: RouteRequest, random: () => number): RouteDecision | undefined {
    const spec = this.state;
    const rule = spec ? selectRule(spec, request) : undefined;
    if (!rule) return undefined;
    const destination = pickWeighted(
      (rule.backendRefs ?? []).map((b) => ({ weight: b.weight ?? 1, value: b.name })),
      random(),
    );
    if (!destination) return undefined;
    const mirror = mirrorOf(rule, random());
    return { destination, ...(mirror ? { mirror } : {}) };
  }
}
