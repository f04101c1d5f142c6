/**
 * Rules for the providers that route through an SMI TrafficSplit (`linkerd`, `smi:v1alpha1|2|3`):
 * a TrafficSplit carries weights between services and nothing else, so what needs header routing
 * or mirroring is an error, and the Istio route settings are reported as ignored (Flagger ignores
 * them silently).
 */
import type { FieldError } from './field-error.js';
import { isTrafficSplitProvider } from './providers.js';
import type { Canary } from './schema/canary.js';

/**
 * The `spec.service` settings only Istio routes carry; a TrafficSplit, a canary Ingress and plain
 * Services have no place for them.
 */
export const ISTIO_ROUTE_SETTINGS = [
  'hosts',
  'gateways',
  'trafficPolicy',
  'match',
  'rewrite',
  'retries',
  'timeout',
  'headers',
  'corsPolicy',
] as const;

/** Errors for what a TrafficSplit cannot do, when `spec.provider` routes through one. */
export function trafficSplitErrors(canary: Canary): FieldError[] {
  const { provider, analysis } = canary.spec;
  if (provider === undefined || !isTrafficSplitProvider(provider)) return [];
  const errors: FieldError[] = [];
  if (analysis.match && analysis.match.length > 0) {
    errors.push({
      path: 'spec.analysis.match',
      message: `A/B testing needs header and cookie routing, which an SMI TrafficSplit (provider ${provider}) does not have; use provider gatewayapi:v1 (Linkerd 2.12+ routes Gateway API HTTPRoutes)`,
    });
  }
  if (analysis.mirror) {
    errors.push({
      path: 'spec.analysis.mirror',
      message: `an SMI TrafficSplit (provider ${provider}) cannot mirror traffic; remove it`,
    });
  }
  return errors;
}

/** Warnings for the Istio route settings a TrafficSplit ignores. */
export function trafficSplitWarnings(canary: Canary): FieldError[] {
  const { provider, service } = canary.spec;
  if (provider === undefined || !isTrafficSplitProvider(provider)) return [];
  return ISTIO_ROUTE_SETTINGS.filter((field) => service[field] !== undefined).map((field) => ({
    path: `spec.service.${field}`,
    message: `is ignored with provider ${provider}: an SMI TrafficSplit carries weights only`,
  }));
}
