/**
 * The per-route settings of `spec.service` translated into Gateway API rule filters and timeouts,
 * as Flagger's Gateway API router writes them: `headers` become RequestHeaderModifier and
 * ResponseHeaderModifier filters, `rewrite` a URLRewrite filter, `timeout` the rule's request
 * timeout. What Gateway API cannot express is a {@link FieldError} naming the field.
 */
import type { FieldError } from './field-error.js';
import type { RequestMirror } from './gateway-api-mirrors.js';
import type { CanaryService } from './schema/canary.js';

/** A Gateway API HTTPHeader. */
export interface HttpHeader {
  name: string;
  value: string;
}

/** A Gateway API HTTPHeaderFilter. */
export interface HttpHeaderFilter {
  add?: HttpHeader[];
  set?: HttpHeader[];
  remove?: string[];
}

/** A Gateway API HTTPRouteFilter (only the types Fledge writes are typed). */
export interface HttpRouteFilter {
  type: 'RequestHeaderModifier' | 'ResponseHeaderModifier' | 'URLRewrite' | 'RequestMirror';
  requestHeaderModifier?: HttpHeaderFilter;
  responseHeaderModifier?: HttpHeaderFilter;
  urlRewrite?: {
    hostname?: string;
    path?: {
      type: 'ReplaceFullPath' | 'ReplacePrefixMatch';
      replaceFullPath?: string;
      replacePrefixMatch?: string;
    };
  };
  requestMirror?: RequestMirror;
}

/** Gateway API's Duration: 1 to 4 groups of up to 5 digits and a unit (h, m, s, ms). */
export const GATEWAY_DURATION = /^([0-9]{1,5}(h|m|s|ms)){1,4}$/;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A header map (`{name: value}`) as a list sorted by name, so the order never causes a write. */
function headerList(value: unknown, path: string, errors: FieldError[]): HttpHeader[] {
  if (value === undefined) return [];
  if (!isRecord(value)) {
    errors.push({ path, message: 'must be a map of header names to values' });
    return [];
  }
  const out: HttpHeader[] = [];
  for (const [name, v] of Object.entries(value)) {
    if (typeof v === 'string') out.push({ name, value: v });
    else errors.push({ path: `${path}.${name}`, message: 'must be a string' });
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function headerFilter(value: unknown, path: string, errors: FieldError[]): HttpHeaderFilter | undefined {
  if (value === undefined) return undefined;
  if (!isRecord(value)) {
    errors.push({ path, message: 'must be an object with add, set or remove' });
    return undefined;
  }
  const add = headerList(value.add, `${path}.add`, errors);
  const set = headerList(value.set, `${path}.set`, errors);
  const remove = value.remove ?? [];
  if (!Array.isArray(remove) || !remove.every((r) => typeof r === 'string')) {
    errors.push({ path: `${path}.remove`, message: 'must be a list of header names' });
    return undefined;
  }
  const filter: HttpHeaderFilter = {
    ...(add.length > 0 ? { add } : {}),
    ...(set.length > 0 ? { set } : {}),
    ...(remove.length > 0 ? { remove: [...(remove as string[])] } : {}),
  };
  return Object.keys(filter).length > 0 ? filter : undefined;
}

function rewriteFilter(value: unknown, path: string, errors: FieldError[]): HttpRouteFilter | undefined {
  if (value === undefined) return undefined;
  if (!isRecord(value)) {
    errors.push({ path, message: 'must be an object with uri, authority or type' });
    return undefined;
  }
  const { uri, authority, type = 'ReplacePrefixMatch' } = value;
  if (type !== 'ReplacePrefixMatch' && type !== 'ReplaceFullPath') {
    errors.push({ path: `${path}.type`, message: 'must be ReplacePrefixMatch or ReplaceFullPath' });
    return undefined;
  }
  if (uri !== undefined && (typeof uri !== 'string' || !uri.startsWith('/'))) {
    errors.push({ path: `${path}.uri`, message: 'must be an absolute path starting with "/"' });
    return undefined;
  }
  if (authority !== undefined && (typeof authority !== 'string' || authority === '')) {
    errors.push({ path: `${path}.authority`, message: 'must be a non-empty hostname' });
    return undefined;
  }
  if (uri === undefined && authority === undefined) return undefined;
  return {
    type: 'URLRewrite',
    urlRewrite: {
      ...(authority !== undefined ? { hostname: authority } : {}),
      ...(uri !== undefined
        ? {
            path:
              type === 'ReplaceFullPath' ? { type, replaceFullPath: uri } : { type, replacePrefixMatch: uri },
          }
        : {}),
    },
  };
}

/** The rule filters of `spec.service` (header modifiers, then the rewrite), with their errors. */
export function translateFilters(service: Partial<CanaryService>): {
  filters: HttpRouteFilter[];
  errors: FieldError[];
} {
  const errors: FieldError[] = [];
  const filters: HttpRouteFilter[] = [];
  const headers = service.headers;
  const request = headerFilter(headers?.request, 'spec.service.headers.request', errors);
  const response = headerFilter(headers?.response, 'spec.service.headers.response', errors);
  if (request) filters.push({ type: 'RequestHeaderModifier', requestHeaderModifier: request });
  if (response) filters.push({ type: 'ResponseHeaderModifier', responseHeaderModifier: response });
  const rewrite = rewriteFilter(service.rewrite, 'spec.service.rewrite', errors);
  if (rewrite) filters.push(rewrite);
  return { filters, errors };
}

/** The rule timeouts of `spec.service.timeout`, with an error when Gateway API cannot say it. */
export function translateTimeouts(service: Partial<CanaryService>): {
  timeouts: { request: string } | undefined;
  errors: FieldError[];
} {
  const timeout = service.timeout;
  if (timeout === undefined) return { timeouts: undefined, errors: [] };
  if (!GATEWAY_DURATION.test(timeout)) {
    return {
      timeouts: undefined,
      errors: [
        {
          path: 'spec.service.timeout',
          message: `Gateway API durations are whole numbers with units h, m, s or ms (e.g. 1m30s, 500ms), got "${timeout}"`,
        },
      ],
    };
  }
  return { timeouts: { request: timeout }, errors: [] };
}
