/**
 * How `analysis.match` (Istio-style HTTP match conditions) maps onto NGINX's canary annotations, as
 * Flagger's `pkg/router/ingress.go` maps it: a `cookie` header with `exact: NAME` routes by the
 * cookie NAME (`canary-by-cookie`; NGINX sends requests whose cookie NAME is `always` to the canary);
 * any other header routes by that header (`canary-by-header`) with its `exact` value
 * (`canary-by-header-value`) or its `regex` (`canary-by-header-pattern`); a header with neither
 * uses NGINX's own `always`/`never` values.
 *
 * NGINX has one header and one cookie per canary Ingress. Flagger keeps the last of each silently;
 * Fledge refuses more than one, and any condition NGINX cannot express (uri, method, prefix,
 * sourceLabels), so that the match the user wrote is the one that runs.
 */
import type { FieldError } from './field-error.js';

/** The NGINX routing a list of matches gives. */
export interface NginxMatch {
  header?: string;
  headerValue?: string;
  headerPattern?: string;
  cookie?: string;
}

/** What {@link nginxMatchOf} returns: the routing, or why the matches cannot be expressed. */
export interface NginxMatchResult {
  match: NginxMatch;
  errors: FieldError[];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Maps `analysis.match` onto NGINX's canary annotations.
 *
 * @param path the field path of the list, for the errors (e.g. `spec.analysis.match`)
 */
export function nginxMatchOf(matches: readonly Record<string, unknown>[], path: string): NginxMatchResult {
  const match: NginxMatch = {};
  const errors: FieldError[] = [];
  let headerAt: string | undefined;
  let cookieAt: string | undefined;
  matches.forEach((m, i) => {
    for (const key of Object.keys(m)) {
      if (key !== 'headers') {
        errors.push({
          path: `${path}[${i}].${key}`,
          message:
            'is not supported with provider nginx: NGINX canary Ingresses match one header and one cookie only',
        });
      }
    }
    const headers = m.headers;
    if (headers === undefined) return;
    if (!isRecord(headers)) {
      errors.push({
        path: `${path}[${i}].headers`,
        message: 'must be an object of header name to condition',
      });
      return;
    }
    for (const [name, condition] of Object.entries(headers)) {
      const at = `${path}[${i}].headers.${name}`;
      const c = isRecord(condition) ? condition : {};
      const unsupported = Object.keys(c).filter((k) => k !== 'exact' && k !== 'regex');
      if (!isRecord(condition) || unsupported.length > 0) {
        errors.push({
          path: at,
          message: `supports only exact or regex with provider nginx${unsupported.length > 0 ? ` (got ${unsupported.join(', ')})` : ''}`,
        });
        continue;
      }
      if (name.toLowerCase() === 'cookie') {
        if (cookieAt !== undefined) {
          errors.push({ path: at, message: `NGINX routes by one cookie only (also ${cookieAt})` });
        } else if (typeof c.exact !== 'string' || c.exact === '' || c.regex !== undefined) {
          errors.push({
            path: at,
            message:
              'with provider nginx, the cookie condition is exact: NAME (the cookie NGINX routes by; its value "always" selects the canary)',
          });
        } else {
          cookieAt = at;
          match.cookie = c.exact;
        }
        continue;
      }
      if (headerAt !== undefined) {
        errors.push({ path: at, message: `NGINX routes by one header only (also ${headerAt})` });
        continue;
      }
      if (c.exact !== undefined && c.regex !== undefined) {
        errors.push({ path: at, message: 'set either exact or regex, not both' });
        continue;
      }
      if (
        (c.exact !== undefined && typeof c.exact !== 'string') ||
        (c.regex !== undefined && typeof c.regex !== 'string')
      ) {
        errors.push({ path: at, message: 'exact and regex must be strings' });
        continue;
      }
      headerAt = at;
      match.header = name;
      if (typeof c.exact === 'string') match.headerValue = c.exact;
      if (typeof c.regex === 'string') match.headerPattern = c.regex;
    }
  });
  if (errors.length === 0 && match.header === undefined && match.cookie === undefined) {
    errors.push({ path, message: 'has no header or cookie condition: NGINX cannot route such a match' });
  }
  return { match, errors };
}
