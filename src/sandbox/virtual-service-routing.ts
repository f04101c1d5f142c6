/**
 * Where an Istio VirtualService sends one HTTP request: the route-matching rules the sandbox and the
 * end-to-end traffic harness need (header exact/prefix/regex, first matching route wins, weighted
 * destinations, mirroring), and the `Set-Cookie` answers the routes add (session affinity), so they
 * can show that traffic really follows the routes Fledge wrote.
 */

export interface StringMatch {
  exact?: string;
  prefix?: string;
  regex?: string;
}

/** Istio header operations; only the response `add` (where Set-Cookie goes) is read. */
export interface HeaderOperations {
  response?: { add?: Record<string, string>; [key: string]: unknown };
  [key: string]: unknown;
}

export interface HttpRouteDestination {
  destination: { host: string; subset?: string; port?: { number: number } };
  weight?: number;
  headers?: HeaderOperations;
}

export interface HttpRoute {
  match?: { headers?: Record<string, StringMatch>; [key: string]: unknown }[];
  route?: HttpRouteDestination[];
  /** Where a copy of each request goes (fire and forget: its answer is dropped). */
  mirror?: HttpRouteDestination['destination'];
  /** Share of requests mirrored, 0 to 100; Istio mirrors every request when it is absent. */
  mirrorPercentage?: { value: number };
  headers?: HeaderOperations;
  [key: string]: unknown;
}

export interface VirtualServiceSpec {
  hosts?: string[];
  http?: HttpRoute[];
}

/** A request as the sandbox models it: only headers matter for routing. */
export interface SimulatedRequest {
  headers: Record<string, string>;
}

function matchesString(value: string | undefined, m: StringMatch): boolean {
  if (value === undefined) return false;
  if (m.exact !== undefined) return value === m.exact;
  if (m.prefix !== undefined) return value.startsWith(m.prefix);
  // Istio regexes are RE2 and anchored to the whole value.
  if (m.regex !== undefined) return new RegExp(`^(?:${m.regex})$`).test(value);
  return true;
}

function matchesRoute(route: HttpRoute, request: SimulatedRequest): boolean {
  if (!route.match || route.match.length === 0) return true;
  return route.match.some((m) =>
    Object.entries(m.headers ?? {}).every(([name, sm]) =>
      matchesString(request.headers[name.toLowerCase()], sm),
    ),
  );
}

/** The route a request takes: the first whose conditions it meets. Undefined when none does. */
export function selectRoute(spec: VirtualServiceSpec, request: SimulatedRequest): HttpRoute | undefined {
  return (spec.http ?? []).find((r) => matchesRoute(r, request));
}

/**
 * One of a route's weighted destinations, picked with `random` in [0, 1). A sole destination gets
 * everything whatever its weight says, as in Istio. Undefined when the route has no destination.
 */
export function pickDestination(
  route: HttpRoute | undefined,
  random: number,
): HttpRouteDestination['destination'] | undefined {
  const destinations = route?.route ?? [];
  if (destinations.length === 0) return undefined;
  const total = destinations.reduce((sum, d) => sum + (d.weight ?? (destinations.length === 1 ? 100 : 0)), 0);
  let pick = random * total;
  for (const d of destinations) {
    pick -= d.weight ?? (destinations.length === 1 ? 100 : 0);
    if (pick < 0) return d.destination;
  }
  return destinations[destinations.length - 1]?.destination;
}

/**
 * Where a copy of the request goes, decided with `random` in [0, 1) against `mirrorPercentage`
 * (100 when absent). Undefined when the route mirrors nothing or this request is not picked.
 */
export function pickMirror(
  route: HttpRoute | undefined,
  random: number,
): HttpRouteDestination['destination'] | undefined {
  if (!route?.mirror) return undefined;
  const percent = route.mirrorPercentage?.value ?? 100;
  return random * 100 < percent ? route.mirror : undefined;
}

/**
 * The destination a request goes to, picking among weighted destinations with `random` in [0, 1).
 * Undefined when no route matches.
 */
export function routeRequest(
  spec: VirtualServiceSpec,
  request: SimulatedRequest,
  random: number,
): HttpRouteDestination['destination'] | undefined {
  return pickDestination(selectRoute(spec, request), random);
}

function setCookieOf(headers: HeaderOperations | undefined): string[] {
  const add = headers?.response?.add ?? {};
  return Object.entries(add)
    .filter(([name]) => name.toLowerCase() === 'set-cookie')
    .map(([, value]) => value);
}

/**
 * The `Set-Cookie` values the answer to a request carries when it took `route` to `destination`:
 * the route's own, then the destination's (Istio adds both).
 */
export function responseCookies(
  route: HttpRoute | undefined,
  destination: HttpRouteDestination['destination'] | undefined,
): string[] {
  if (!route) return [];
  const picked = (route.route ?? []).find(
    (d) => d.destination.host === destination?.host && d.destination.subset === destination?.subset,
  );
  return [...setCookieOf(route.headers), ...setCookieOf(picked?.headers)];
}
