/**
 * The Canary's Istio-style match conditions (`service.match`, `analysis.match`) translated into
 * Gateway API `HTTPRouteMatch`es, as Flagger's Gateway API router translates them: uri exact,
 * prefix or regex becomes a path match, an exact method a method match, exact or regex headers and
 * query parameters header and query matches (a cookie is matched as a regex on the `Cookie`
 * header, as in the Istio manifests). What Gateway API cannot express is a {@link FieldError}
 * naming the field: `fledge validate` reports the same errors the router refuses with.
 *
 * Every match carries a path (the API server defaults it to prefix `/`): written with its default,
 * a stored HTTPRoute equals the one Fledge builds, so an unchanged tick writes nothing.
 */
import type { FieldError } from './field-error.js';

/** A Gateway API HTTPPathMatch. */
export interface HttpPathMatch {
  type: 'Exact' | 'PathPrefix' | 'RegularExpression';
  value: string;
}

/** A Gateway API HTTPHeaderMatch or HTTPQueryParamMatch. */
export interface HttpValueMatch {
  name: string;
  type: 'Exact' | 'RegularExpression';
  value: string;
}

/** A Gateway API HTTPRouteMatch. */
export interface HttpRouteMatch {
  path: HttpPathMatch;
  method?: string;
  headers?: HttpValueMatch[];
  queryParams?: HttpValueMatch[];
}

/** The match of a route without conditions: every request (the API server's default). */
export const MATCH_ALL: HttpRouteMatch = { path: { type: 'PathPrefix', value: '/' } };

/** Istio match fields Gateway API has; the others cannot be translated. */
const TRANSLATED_FIELDS = new Set(['uri', 'method', 'headers', 'queryParams']);

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH'];

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** One Istio StringMatch (`{exact}`, `{prefix}`, `{regex}`) with the kinds `allowed`. */
function stringMatch(
  value: unknown,
  path: string,
  allowed: readonly ('exact' | 'prefix' | 'regex')[],
  errors: FieldError[],
): { kind: 'exact' | 'prefix' | 'regex'; value: string } | undefined {
  const kinds = isRecord(value) ? Object.keys(value) : [];
  if (!isRecord(value) || kinds.length !== 1) {
    errors.push({ path, message: `must have exactly one of ${allowed.join(', ')}` });
    return undefined;
  }
  const kind = kinds[0] as string;
  const text = value[kind];
  if (!(allowed as readonly string[]).includes(kind)) {
    errors.push({
      path: `${path}.${kind}`,
      message: `is not supported by Gateway API (use ${allowed.join(' or ')})`,
    });
    return undefined;
  }
  if (typeof text !== 'string' || text === '') {
    errors.push({ path: `${path}.${kind}`, message: 'must be a non-empty string' });
    return undefined;
  }
  return { kind: kind as 'exact' | 'prefix' | 'regex', value: text };
}

function valueMatches(value: unknown, path: string, errors: FieldError[]): HttpValueMatch[] {
  if (!isRecord(value)) {
    errors.push({ path, message: 'must be a map of names to {exact} or {regex}' });
    return [];
  }
  const out: HttpValueMatch[] = [];
  for (const [name, condition] of Object.entries(value)) {
    const m = stringMatch(condition, `${path}.${name}`, ['exact', 'regex'], errors);
    if (m) out.push({ name, type: m.kind === 'exact' ? 'Exact' : 'RegularExpression', value: m.value });
  }
  return out;
}

function pathMatch(value: unknown, path: string, errors: FieldError[]): HttpPathMatch | undefined {
  const m = stringMatch(value, path, ['exact', 'prefix', 'regex'], errors);
  if (!m) return undefined;
  if (m.kind !== 'regex' && !m.value.startsWith('/')) {
    errors.push({ path: `${path}.${m.kind}`, message: 'must be an absolute path starting with "/"' });
    return undefined;
  }
  const type = m.kind === 'exact' ? 'Exact' : m.kind === 'prefix' ? 'PathPrefix' : 'RegularExpression';
  return { type, value: m.value };
}

/** One condition; undefined when it has errors. */
function translateMatch(
  match: Record<string, unknown>,
  path: string,
  errors: FieldError[],
): HttpRouteMatch | undefined {
  const before = errors.length;
  for (const field of Object.keys(match)) {
    if (!TRANSLATED_FIELDS.has(field)) {
      errors.push({
        path: `${path}.${field}`,
        message: 'is not supported by Gateway API (uri, method, headers and queryParams are)',
      });
    }
  }
  const out: HttpRouteMatch = { path: { ...MATCH_ALL.path } };
  if (match.uri !== undefined) {
    const p = pathMatch(match.uri, `${path}.uri`, errors);
    if (p) out.path = p;
  }
  if (match.method !== undefined) {
    const m = stringMatch(match.method, `${path}.method`, ['exact'], errors);
    if (m && !METHODS.includes(m.value)) {
      errors.push({ path: `${path}.method.exact`, message: `must be one of ${METHODS.join(', ')}` });
    } else if (m) out.method = m.value;
  }
  if (match.headers !== undefined) {
    const headers = valueMatches(match.headers, `${path}.headers`, errors);
    if (headers.length > 0) out.headers = headers;
  }
  if (match.queryParams !== undefined) {
    const params = valueMatches(match.queryParams, `${path}.queryParams`, errors);
    if (params.length > 0) out.queryParams = params;
  }
  return errors.length === before ? out : undefined;
}

/**
 * The Gateway API matches of a list of Istio-style conditions at `path` (e.g.
 * `spec.service.match`), with the errors of what cannot be translated. No condition: every request.
 */
export function translateMatches(
  matches: readonly Record<string, unknown>[] | undefined,
  path: string,
): { matches: HttpRouteMatch[]; errors: FieldError[] } {
  const errors: FieldError[] = [];
  const out: HttpRouteMatch[] = [];
  (matches ?? []).forEach((match, i) => {
    if (!isRecord(match)) {
      errors.push({ path: `${path}[${i}]`, message: 'must be an object' });
      return;
    }
    const translated = translateMatch(match, `${path}[${i}]`, errors);
    if (translated) out.push(translated);
  });
  return { matches: out.length > 0 ? out : [structuredClone(MATCH_ALL)], errors };
}

/** `extra` merged into `base` by name, `extra` winning: a name appears once, as the CRD requires. */
function mergeByName(base: HttpValueMatch[] = [], extra: HttpValueMatch[] = []): HttpValueMatch[] {
  const names = new Set(extra.map((m) => m.name));
  return [...base.filter((m) => !names.has(m.name)), ...extra];
}

/** Whether a path match is the match-all default (no uri condition was given). */
function isMatchAllPath(path: HttpPathMatch): boolean {
  return path.type === MATCH_ALL.path.type && path.value === MATCH_ALL.path.value;
}

/**
 * Combines the A/B conditions with the service's, every A/B condition with every service condition
 * (A/B-major order), so a request must satisfy both. As in Fledge's Istio routes, the A/B condition
 * wins a conflict (its uri and method, when it has them) and headers and query parameters are
 * merged by name. Flagger keeps only the A/B headers and query parameters and drops an A/B uri.
 */
export function mergeHttpRouteMatches(
  abMatches: readonly HttpRouteMatch[],
  serviceMatches: readonly HttpRouteMatch[],
): HttpRouteMatch[] {
  return abMatches.flatMap((ab) =>
    serviceMatches.map((sm) => {
      const headers = mergeByName(sm.headers, ab.headers);
      const queryParams = mergeByName(sm.queryParams, ab.queryParams);
      const method = ab.method ?? sm.method;
      return {
        path: { ...(isMatchAllPath(ab.path) ? sm.path : ab.path) },
        ...(method ? { method } : {}),
        ...(headers.length > 0 ? { headers } : {}),
        ...(queryParams.length > 0 ? { queryParams } : {}),
      };
    }),
  );
}
