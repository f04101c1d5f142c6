/**
 * Session affinity on the Istio VirtualService (`analysis.sessionAffinity`), with Flagger's routes:
 *
 * - while the canary gets traffic, the weighted route's canary destination answers with
 *   `Set-Cookie: <canary cookie>; Max-Age=<maxAge>`, and a first route named `sticky-route` sends
 *   every request carrying that cookie to the canary (primary 0, canary 100), so a user who reached
 *   the new version stays on it;
 * - with `primaryCookieName`, the primary destination answers with its own cookie for one analysis
 *   interval (`Max-Age` = the interval in seconds) and a route after the sticky one keeps requests
 *   carrying it on the primary, so users are re-drawn by the weights once per step rather than
 *   drifting to the canary;
 * - once the canary has no traffic (promotion, rollback), `sticky-route` matches the previous
 *   rollout's cookie instead, routes like the weighted route and answers with that cookie and
 *   `Max-Age=-1`, which tells the browser to drop it.
 *
 * Pure functions: what the routes say for a split and its cookies, and which cookies a stored
 * VirtualService carries (so `reconcile` keeps them when it rewrites the routes).
 */
import type { ResolvedCanary } from '../api/defaults.js';
import type { SessionCookies, Routes } from './router.js';

/** Flagger's name of the route matching the canary (or previous) cookie. */
export const STICKY_ROUTE = 'sticky-route';
/** The route matching the primary cookie. */
export const STICKY_PRIMARY_ROUTE = 'sticky-route-primary';

const SET_COOKIE = 'Set-Cookie';
/** Request header the cookies arrive in; Istio matches header names case-insensitively. */
const COOKIE = 'Cookie';
/** `Max-Age` that tells the browser to drop the cookie at once. */
const EXPIRE_NOW = -1;

type Route = Record<string, unknown> & { route?: Destination[] };
type Destination = Record<string, unknown> & { destination: { host: string; subset?: string } };

/** What the session routes are built from, given by `istio-objects.ts`. */
export interface SessionRouteParts {
  /** The weighted route Fledge writes without session affinity (split, settings, mirror). */
  weighted: Route;
  /** The service's own match conditions, combined with each cookie condition. */
  serviceMatch: Record<string, unknown>[];
  /** Combines cookie conditions with the service's own (`mergeMatches`). */
  merge: (
    conditions: Record<string, unknown>[],
    service: Record<string, unknown>[],
  ) => Record<string, unknown>[];
  /** Whether a destination points at the canary (else at the primary). */
  isCanary: (d: Destination['destination']) => boolean;
}

/** Whether an http route is one of the session affinity routes (not the weighted one). */
export function isStickyRoute(route: Record<string, unknown>): boolean {
  return route.name === STICKY_ROUTE || route.name === STICKY_PRIMARY_ROUTE;
}

function splitCookie(cookie: string): [string, string] {
  const at = cookie.indexOf('=');
  return at < 0 ? [cookie, ''] : [cookie.slice(0, at), cookie.slice(at + 1)];
}

/** RE2 metacharacters in a cookie name are escaped, so the match means the name itself. */
function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The condition Flagger writes for a cookie: the Cookie header holds its name and then its value. */
function cookieCondition(cookie: string): Record<string, unknown> {
  const [name, value] = splitCookie(cookie);
  return { headers: { [COOKIE]: { regex: `.*${escapeRegex(name)}.*${escapeRegex(value)}.*` } } };
}

function withSetCookie(headers: unknown, value: string): Record<string, unknown> {
  const h = isRecord(headers) ? headers : {};
  const response = isRecord(h.response) ? h.response : {};
  const add = isRecord(response.add) ? response.add : {};
  return { ...h, response: { ...response, add: { ...add, [SET_COOKIE]: value } } };
}

function weightsOnly(parts: SessionRouteParts, canaryWeight: number): Destination[] {
  return (parts.weighted.route ?? []).map((d) => ({
    destination: d.destination,
    weight: parts.isCanary(d.destination) ? canaryWeight : 100 - canaryWeight,
  }));
}

/**
 * The http routes of a canary or blue/green split with session affinity: see the module comment.
 * Without a cookie to match (the canary has no traffic and no rollout came before), the weighted
 * route alone (Flagger also writes a copy of it named `sticky-route`, which changes nothing).
 */
export function buildSessionRoutes(
  canary: ResolvedCanary,
  routes: Routes,
  parts: SessionRouteParts,
): Route[] {
  const affinity = canary.analysis.sessionAffinity;
  const cookies = routes.cookies ?? {};
  const { weighted } = parts;
  if (!affinity) return [weighted];
  const sticky = (cookie: string): Route => ({
    name: STICKY_ROUTE,
    ...withoutName(weighted),
    match: parts.merge([cookieCondition(cookie)], parts.serviceMatch),
  });
  if (routes.canary > 0 && cookies.canary) {
    const primaryCookie = affinity.primaryCookieName ? cookies.primary : undefined;
    const intervalSeconds = Math.floor(canary.analysis.intervalMs / 1000);
    const cookieFor = (d: Destination): string | undefined =>
      parts.isCanary(d.destination)
        ? `${cookies.canary}; Max-Age=${affinity.maxAgeSeconds}`
        : primaryCookie && `${primaryCookie}; Max-Age=${intervalSeconds}`;
    const issuing: Route = {
      ...weighted,
      route: (weighted.route ?? []).map((d) => {
        const value = cookieFor(d);
        return value ? { ...d, headers: withSetCookie(d.headers, value) } : d;
      }),
    };
    // The cookie routes carry no Set-Cookie: a cookie lives its Max-Age from the response that
    // issued it, so the primary's ends after one interval and its holder is drawn again.
    const { mirror: _m, mirrorPercentage: _p, ...plain } = sticky(cookies.canary);
    const toCanary: Route = { ...plain, route: weightsOnly(parts, 100) };
    if (!primaryCookie) return [toCanary, issuing];
    const { mirror: _pm, mirrorPercentage: _pp, ...plainPrimary } = sticky(primaryCookie);
    const toPrimary: Route = { ...plainPrimary, name: STICKY_PRIMARY_ROUTE, route: weightsOnly(parts, 0) };
    return [toCanary, toPrimary, issuing];
  }
  if (!cookies.previous) return [weighted];
  // Routed like the weighted route (mirror included), but telling the browser to drop the cookie.
  const expiring = sticky(cookies.previous);
  return [
    { ...expiring, headers: withSetCookie(expiring.headers, `${cookies.previous}; Max-Age=${EXPIRE_NOW}`) },
    weighted,
  ];
}

function withoutName(route: Route): Route {
  const { name: _name, ...rest } = route;
  return rest;
}

/** The cookie (`name=value`) a `Set-Cookie` value carries, and whether it tells the browser to drop it. */
function parseSetCookie(value: unknown): { cookie: string; expired: boolean } | undefined {
  if (typeof value !== 'string') return undefined;
  const [cookie, ...attributes] = value.split(';').map((part) => part.trim());
  if (!cookie) return undefined;
  const expired = attributes.some((a) => a.toLowerCase() === `max-age=${EXPIRE_NOW}`);
  return { cookie, expired };
}

function setCookieOf(holder: unknown): string | undefined {
  if (!isRecord(holder) || !isRecord(holder.headers)) return undefined;
  const response = holder.headers.response;
  if (!isRecord(response) || !isRecord(response.add)) return undefined;
  const entry = Object.entries(response.add).find(([k]) => k.toLowerCase() === SET_COOKIE.toLowerCase());
  return typeof entry?.[1] === 'string' ? entry[1] : undefined;
}

/**
 * The cookies a stored VirtualService's routes match and set: the canary and primary cookies from
 * the Set-Cookie answers of the weighted route, the previous one from `sticky-route` when it
 * expires a cookie. Lets `reconcile` rewrite the routes without dropping them.
 */
export function readSessionCookies(
  http: readonly Route[],
  weighted: Route | undefined,
  isCanary: SessionRouteParts['isCanary'],
): SessionCookies {
  const cookies: SessionCookies = {};
  for (const d of weighted?.route ?? []) {
    const parsed = parseSetCookie(setCookieOf(d));
    if (!parsed || parsed.expired) continue;
    if (isCanary(d.destination)) cookies.canary = parsed.cookie;
    else cookies.primary = parsed.cookie;
  }
  const sticky = http.find((r) => r.name === STICKY_ROUTE);
  const expiring = parseSetCookie(setCookieOf(sticky));
  if (expiring?.expired) cookies.previous = expiring.cookie;
  return cookies;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
