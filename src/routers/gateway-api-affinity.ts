/**
 * Session affinity with the Gateway API (`analysis.sessionAffinity`), as Flagger does it: while the
 * canary has weight, responses from the canary carry a `Set-Cookie` of the run's affinity cookie,
 * and a rule before the weighted one sends requests carrying that cookie to the canary, so a user
 * who reached the new version stays on it. Once the canary's weight is back to 0 (promoted or
 * rolled back), that rule sends the cookie's holders to the primary and expires the cookie
 * (`Max-Age=-1`).
 *
 * Flagger keeps the cookie in the Canary status; Fledge reads it back from the HTTPRoute it wrote
 * (the `Set-Cookie` values), so every tick and every controller replica agrees on it with no extra
 * write, and a new cookie is drawn only when a run starts giving the canary weight.
 */
import type { ResolvedCanary } from '../api/defaults.js';
import type { HttpHeaderFilter, HttpRouteFilter } from '../api/gateway-api-filters.js';
import type { HttpRouteMatch } from '../api/gateway-api-matches.js';
import { isCanaryMirror } from '../api/gateway-api-mirrors.js';
import type { HttpRoute, HttpRouteRule } from './gateway-api-objects.js';

/** Default `maxAge` of the affinity cookie, in seconds (Flagger's). */
export const DEFAULT_AFFINITY_MAX_AGE_SECONDS = 86_400;

const COOKIE = 'Cookie';
const SET_COOKIE = 'Set-Cookie';

/** The affinity cookies an HTTPRoute carries: the current run's, and the one being expired. */
export interface AffinityState {
  /** `name=value` set on the canary's responses (the canary has weight). */
  active?: string;
  /** `name=value` being expired (the canary is back to 0). */
  previous?: string;
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The cookie part (`name=value`) of a Set-Cookie value of the affinity cookie, or undefined. */
function cookieOf(canary: ResolvedCanary, filters: HttpRouteFilter[] | undefined): string | undefined {
  const name = canary.spec.analysis.sessionAffinity?.cookieName;
  if (!name) return undefined;
  for (const f of filters ?? []) {
    for (const h of f.type === 'ResponseHeaderModifier' ? (f.responseHeaderModifier?.add ?? []) : []) {
      if (h.name === SET_COOKIE && h.value.startsWith(`${name}=`)) return h.value.split(';')[0];
    }
  }
  return undefined;
}

/** The affinity cookies the stored HTTPRoute carries. */
export function readAffinity(canary: ResolvedCanary, route: HttpRoute | undefined): AffinityState {
  const state: AffinityState = {};
  for (const rule of route?.spec?.rules ?? []) {
    const canaryRef = (rule.backendRefs ?? []).find((b) => b.name === canary.names.canaryService);
    const active = cookieOf(canary, canaryRef?.filters);
    if (active) state.active = active;
    const previous = cookieOf(canary, rule.filters);
    if (previous) state.previous = previous;
  }
  return state;
}

/** Whether a rule is the affinity rule (it matches on the affinity cookie), not the weighted one. */
export function isAffinityRule(canary: ResolvedCanary, rule: HttpRouteRule): boolean {
  const name = canary.spec.analysis.sessionAffinity?.cookieName;
  if (!name) return false;
  return (rule.matches ?? []).some((m) =>
    (m.headers ?? []).some(
      (h) => h.name === COOKIE && h.type === 'RegularExpression' && h.value.includes(escapeRegex(`${name}=`)),
    ),
  );
}

/** `matches` with a regex on the Cookie header for `cookie` added to each. */
function withCookie(matches: HttpRouteMatch[], cookie: string): HttpRouteMatch[] {
  const header = { name: COOKIE, type: 'RegularExpression' as const, value: `.*${escapeRegex(cookie)}.*` };
  return matches.map((m) => ({
    ...structuredClone(m),
    headers: [...(m.headers ?? []).filter((h) => h.name !== COOKIE), header],
  }));
}

/**
 * `filters` with a Set-Cookie header added, merged into their ResponseHeaderModifier when they have
 * one: the CRD refuses a second one on the same rule.
 */
function withSetCookie(filters: HttpRouteFilter[] | undefined, value: string): HttpRouteFilter[] {
  const out = structuredClone(filters ?? []);
  const add = { name: SET_COOKIE, value };
  const existing = out.find((f) => f.type === 'ResponseHeaderModifier');
  if (existing) {
    const modifier: HttpHeaderFilter = existing.responseHeaderModifier ?? {};
    modifier.add = [...(modifier.add ?? []), add];
    existing.responseHeaderModifier = modifier;
  } else {
    out.push({ type: 'ResponseHeaderModifier', responseHeaderModifier: { add: [add] } });
  }
  return out;
}

/**
 * The rules with session affinity: with canary weight, the sticky rule (the cookie's holders to the
 * canary) then the weighted rule whose canary responses set `cookie`; at weight 0, the rule
 * expiring `previous` (when there is one) then the weighted rule.
 */
export function affinityRules(
  canary: ResolvedCanary,
  weighted: HttpRouteRule,
  cookie: { active?: string; previous?: string },
): HttpRouteRule[] {
  const maxAge = canary.spec.analysis.sessionAffinity?.maxAge ?? DEFAULT_AFFINITY_MAX_AGE_SECONDS;
  const matches = weighted.matches ?? [];
  const { filters: _filters, ...base } = weighted;
  // The service's filters (its own mirrors included), without the copy to the canary: mirroring
  // the canary belongs to the weighted rule.
  const serviceFilters = (weighted.filters ?? []).filter(
    (f) => !isCanaryMirror(f, canary.names.canaryService),
  );
  const withFilters = (rule: HttpRouteRule, filters: HttpRouteFilter[]): HttpRouteRule =>
    filters.length > 0 ? { ...rule, filters } : rule;
  if (cookie.active) {
    const refs = (weighted.backendRefs ?? []).map((ref) =>
      ref.name === canary.names.canaryService
        ? { ...ref, filters: withSetCookie(ref.filters, `${cookie.active}; Max-Age=${maxAge}`) }
        : ref,
    );
    const sticky = withFilters(
      {
        ...base,
        matches: withCookie(matches, cookie.active),
        backendRefs: (weighted.backendRefs ?? []).map((ref) => ({
          ...ref,
          weight: ref.name === canary.names.canaryService ? 100 : 0,
        })),
      },
      serviceFilters,
    );
    return [sticky, { ...weighted, backendRefs: refs }];
  }
  if (!cookie.previous) return [weighted];
  const expiring = withFilters(
    { ...base, matches: withCookie(matches, cookie.previous) },
    withSetCookie(serviceFilters, `${cookie.previous}; Max-Age=-1`),
  );
  return [expiring, weighted];
}
