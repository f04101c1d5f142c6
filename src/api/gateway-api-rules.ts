/**
 * What `fledge validate` and the controller refuse or warn about with a Gateway API provider
 * (`gatewayapi:v1`, `gatewayapi:v1beta1`): the errors are the ones the router would throw, so a
 * Canary that validates can be written as an HTTPRoute.
 */
import { translateFilters, translateTimeouts } from './gateway-api-filters.js';
import { translateMatches } from './gateway-api-matches.js';
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
  return warnings;
}
