/**
 * What `fledge validate` and the controller refuse or warn about with a Gateway API provider
 * (`gatewayapi:v1`, `gatewayapi:v1beta1`): the errors are the ones the router would throw, so a
 * Canary that validates can be written as an HTTPRoute.
 */
import { generatedNames } from './defaults.js';
import { translateFilters, translateTimeouts } from './gateway-api-filters.js';
import { MAX_RULE_FILTERS, translateMirrors } from './gateway-api-mirrors.js';
import { mergeHttpRouteMatches, translateMatches, type HttpRouteMatch } from './gateway-api-matches.js';
import type { FieldError } from './field-error.js';
import type { CanarySpec } from './schema/canary.js';

/** Whether `provider` routes through the Gateway API. */
export function isGatewayApiProvider(provider: string | undefined): boolean {
  return provider === 'gatewayapi' || (provider?.startsWith('gatewayapi:') ?? false);
}

/** Errors of a Canary spec the Gateway API router cannot write. */
export function gatewayApiErrors(spec: CanarySpec): FieldError[] {
  const { service, analysis } = spec;
  const errors: FieldError[] = [
    ...translateMatches(service.match, 'spec.service.match').errors,
    ...translateMatches(analysis.match, 'spec.analysis.match').errors,
    ...translateFilters(service).errors,
    ...translateTimeouts(service).errors,
  ];
  errors.push(...prefixRewriteErrors(spec), ...sessionAffinityErrors(spec), ...mirrorErrors(spec));
  if ((service.gatewayRefs ?? []).length === 0) {
    errors.push({
      path: 'spec.service.gatewayRefs',
      message: 'is required with a Gateway API provider: the Gateways the HTTPRoute attaches to',
    });
  }
  if (service.subsetRouting) {
    errors.push({
      path: 'spec.service.subsetRouting',
      message:
        'is Istio only (DestinationRule subsets); Gateway API routes to the -primary and -canary services',
    });
  }
  if (service.appProtocol?.toLowerCase() === 'tcp') {
    errors.push({
      path: 'spec.service.appProtocol',
      message: 'tcp is not supported with a Gateway API provider: Fledge writes an HTTPRoute',
    });
  }
  return errors;
}

/**
 * The CRD's rule: a rule with a prefix rewrite (`URLRewrite` with `ReplacePrefixMatch`) must have
 * exactly one match, on a path prefix. Each rule has the service matches (with A/B testing, the
 * first has them merged with the analysis matches), so this is checked before anything is written.
 */
function prefixRewriteErrors(spec: CanarySpec): FieldError[] {
  const rewrite = spec.service.rewrite;
  if (rewrite?.uri === undefined || (rewrite.type ?? 'ReplacePrefixMatch') !== 'ReplacePrefixMatch')
    return [];
  const service = translateMatches(spec.service.match, 'spec.service.match').matches;
  const { iterations, match } = spec.analysis;
  const rules: HttpRouteMatch[][] = [service];
  if (iterations && match && match.length > 0) {
    rules.push(mergeHttpRouteMatches(translateMatches(match, 'spec.analysis.match').matches, service));
  }
  const fits = (m: HttpRouteMatch[]): boolean => m.length === 1 && m[0]?.path.type === 'PathPrefix';
  if (rules.every(fits)) return [];
  return [
    {
      path: 'spec.service.rewrite',
      message:
        'a prefix rewrite needs exactly one uri prefix match per HTTPRoute rule (a Gateway API rule), and the service and A/B matches give more or another kind; use type: ReplaceFullPath or a single prefix match',
    },
  ];
}

/**
 * The entries of `service.mirror`, and their number: each rule gets the service's filters and every
 * mirror, within the CRD's limit of filters per rule, keeping one for the filter Fledge adds to the
 * weighted rule (the `analysis.mirror` copy to the canary, or the session affinity cookie).
 */
function mirrorErrors(spec: CanarySpec): FieldError[] {
  const { errors } = translateMirrors(spec.service, generatedNames(spec).canaryService);
  const count = (spec.service.mirror ?? []).length;
  const room = MAX_RULE_FILTERS - 1 - translateFilters(spec.service).filters.length;
  if (count > room) {
    errors.push({
      path: 'spec.service.mirror',
      message: `has ${count} entries; at most ${room} fit in a Gateway API rule (${MAX_RULE_FILTERS} filters, of which the header and rewrite filters and the one Fledge adds take the rest)`,
    });
  }
  return errors;
}

/**
 * Session affinity needs weights: with blue/green (`iterations` without `match`) there is no weighted
 * rule to set the cookie on. The cookie name and A/B testing are checked for every provider
 * (`routing-rules.ts`).
 */
function sessionAffinityErrors(spec: CanarySpec): FieldError[] {
  const { analysis } = spec;
  if (analysis.sessionAffinity === undefined) return [];
  if (analysis.iterations === undefined || (analysis.match && analysis.match.length > 0)) return [];
  return [
    {
      path: 'spec.analysis.sessionAffinity',
      message: 'works with the canary strategy (stepWeight or stepWeights), not with blue/green (iterations)',
    },
  ];
}

/** Service fields Flagger's Gateway API router ignores, and what to use instead. */
const IGNORED = {
  gateways: 'use service.gatewayRefs',
  retries: 'HTTPRoute retries are not in the standard channel',
  corsPolicy: 'HTTPRoute has no standard CORS filter in the version Fledge writes',
  trafficPolicy: 'DestinationRules are Istio only',
} as const;

/** Warnings for fields a Gateway API provider ignores, as Flagger does. */
export function gatewayApiWarnings(spec: CanarySpec): FieldError[] {
  const warnings: FieldError[] = [];
  for (const [field, instead] of Object.entries(IGNORED)) {
    if (spec.service[field as keyof typeof IGNORED] === undefined) continue;
    warnings.push({
      path: `spec.service.${field}`,
      message: `is ignored with a Gateway API provider, as in Flagger (${instead})`,
    });
  }
  if (spec.analysis.sessionAffinity?.primaryCookieName !== undefined) {
    warnings.push({
      path: 'spec.analysis.sessionAffinity.primaryCookieName',
      message: 'is ignored with a Gateway API provider, as in Flagger',
    });
  }
  return warnings;
}
