/**
 * Where the objects of the routers other than Istio and Linkerd send a request, for the sandbox:
 * each translated into the weighted, header-matched routes it amounts to (the model of
 * `virtual-service-routing.ts`), so the simulated traffic follows an HTTPRoute, a canary Ingress or
 * a Service selector Fledge wrote exactly as it follows a VirtualService. The sandbox's requests
 * carry headers only (no path, method or query), so only header matches are translated.
 */
import type { HttpRoute, VirtualServiceSpec } from './virtual-service-routing.js';

/** The part of an HTTPRoute spec the sandbox routes by. */
export interface HttpRouteSpec {
  rules?: {
    matches?: { headers?: { name?: string; type?: string; value?: string }[] }[];
    backendRefs?: { name?: string; weight?: number }[];
  }[];
}

/**
 * An HTTPRoute's rules in order (Fledge writes the more specific A/B rule first, which is also the
 * one Gateway API's precedence picks), each rule's header matches as Istio header conditions.
 */
export function httpRouteRoutes(spec: HttpRouteSpec | undefined): VirtualServiceSpec {
  return {
    http: (spec?.rules ?? []).map((rule) => {
      const match = (rule.matches ?? []).map((m) => ({
        headers: Object.fromEntries(
          (m.headers ?? []).map((h) => [
            (h.name ?? '').toLowerCase(),
            h.type === 'RegularExpression' ? { regex: `.*(?:${h.value ?? ''}).*` } : { exact: h.value ?? '' },
          ]),
        ),
      }));
      const backends = (rule.backendRefs ?? []).filter((b) => typeof b.name === 'string');
      return {
        ...(match.length > 0 ? { match } : {}),
        // A sole backend gets everything; a weight left out is 1, as Gateway API says.
        route: backends.map((b) => ({ destination: { host: b.name as string }, weight: b.weight ?? 1 })),
      };
    }),
  };
}

/** What routes by a canary Ingress: its annotations, and the services of the two Ingresses. */
export interface CanaryIngressRouting {
  annotations: Record<string, string>;
  /** The annotations' prefix (`nginx.ingress.kubernetes.io` unless the controller was told otherwise). */
  prefix: string;
  /** The backend of the user's Ingress (the apex Service, which selects the primary's pods). */
  primaryService: string;
  /** The backend of the canary Ingress. */
  canaryService: string;
}

/**
 * The routes ingress-nginx applies with a canary Ingress, in its order: `canary-by-header` (the
 * value, the pattern, or `always`/`never`), then `canary-by-cookie` (`always`/`never`), then
 * `canary-weight` out of `canary-weight-total` (default 100). Nothing reaches the canary while the
 * `canary` annotation is not "true".
 */
export function canaryIngressRoutes(r: CanaryIngressRouting): VirtualServiceSpec {
  const a = (name: string): string | undefined => r.annotations[`${r.prefix}/${name}`];
  const primary = { destination: { host: r.primaryService } };
  const canary = { destination: { host: r.canaryService } };
  if (a('canary') !== 'true') return { http: [{ route: [primary] }] };
  const routes: HttpRoute[] = [];
  const header = a('canary-by-header')?.toLowerCase();
  if (header) {
    const value = a('canary-by-header-value');
    const pattern = a('canary-by-header-pattern');
    if (value) routes.push({ match: [{ headers: { [header]: { exact: value } } }], route: [canary] });
    else if (pattern)
      routes.push({ match: [{ headers: { [header]: { regex: `.*(?:${pattern}).*` } } }], route: [canary] });
    else {
      routes.push({ match: [{ headers: { [header]: { exact: 'always' } } }], route: [canary] });
      routes.push({ match: [{ headers: { [header]: { exact: 'never' } } }], route: [primary] });
    }
  }
  const cookie = a('canary-by-cookie');
  if (cookie) {
    const holding = (value: string) => ({ cookie: { regex: `(.*;\\s*)?${cookie}=${value}(;.*)?` } });
    routes.push({ match: [{ headers: holding('always') }], route: [canary] });
    routes.push({ match: [{ headers: holding('never') }], route: [primary] });
  }
  const weight = Number(a('canary-weight') ?? 0);
  const total = Number(a('canary-weight-total') ?? 100);
  const share = Number.isFinite(weight) && Number.isFinite(total) && total > 0 ? Math.min(weight, total) : 0;
  routes.push({
    route: [
      { ...primary, weight: total - share },
      { ...canary, weight: share },
    ],
  });
  return { http: routes };
}

/**
 * The route of a Service for the `kubernetes` provider: every request goes to the pods its `app`
 * selector picks, the primary's (`<apex>-primary`) or the target's (`<apex>`, the canary's pods).
 */
export function serviceSelectorRoutes(
  selector: Record<string, string> | undefined,
  names: { apex: string; primaryService: string; canaryService: string },
): VirtualServiceSpec {
  const app = selector?.['app'];
  if (app === names.apex) return { http: [{ route: [{ destination: { host: names.canaryService } }] }] };
  if (app === names.primaryService)
    return { http: [{ route: [{ destination: { host: names.primaryService } }] }] };
  return { http: [] };
}
