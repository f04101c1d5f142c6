/**
 * Fields the schema accepts (they are Flagger's) whose effect this version of Fledge cannot give in
 * the combination set. Each is reported, by `fledge validate` and by the controller (the
 * `Reconciled` condition names the field), rather than silently ignored: a user who sets one
 * expects its effect. Fields Flagger itself ignores with the Canary's provider are warnings instead.
 */
import type { FieldError } from './field-error.js';
import type { Canary } from './schema/canary.js';
import { isGatewayApiProvider } from './gateway-api-rules.js';

/** Errors for fields set to a value whose effect Fledge does not implement. */
export function unsupportedFieldErrors(canary: Canary): FieldError[] {
  const errors = isTcpService(canary) ? tcpConflicts(canary) : [];
  const provider = canary.spec.provider;
  // Session affinity needs cookie matches and Set-Cookie headers: Istio and Gateway API routes
  // have both; a TrafficSplit, a canary Ingress and plain Services have neither.
  if (
    canary.spec.analysis.sessionAffinity !== undefined &&
    provider !== undefined &&
    provider !== 'istio' &&
    !isGatewayApiProvider(provider)
  ) {
    errors.push({
      path: 'spec.analysis.sessionAffinity',
      message: `not supported with provider "${provider}" (supported with istio and gatewayapi:v1/v1beta1)`,
    });
  }
  return errors;
}

function isTcpService(canary: Canary): boolean {
  return canary.spec.service.appProtocol?.toLowerCase() === 'tcp';
}

/** Analysis fields that need HTTP routes, which a TCP service does not get (Flagger ignores them). */
function tcpConflicts(canary: Canary): FieldError[] {
  const { analysis } = canary.spec;
  const why =
    'needs HTTP routes: it cannot be combined with service.appProtocol: tcp (tcp routes shift weights only)';
  const errors: FieldError[] = [];
  if (analysis.match && analysis.match.length > 0) errors.push({ path: 'spec.analysis.match', message: why });
  if (analysis.mirror) errors.push({ path: 'spec.analysis.mirror', message: why });
  if (analysis.sessionAffinity) errors.push({ path: 'spec.analysis.sessionAffinity', message: why });
  return errors;
}

/** The HTTP route settings of `spec.service`, which tcp routes do not carry. */
const HTTP_ROUTE_SETTINGS = ['rewrite', 'timeout', 'retries', 'headers', 'corsPolicy'] as const;

/** How a warning names the provider: `spec.provider`, or Istio when it is unset (the default). */
function providerLabel(provider: string | undefined): string {
  return provider === undefined ? 'provider istio (spec.provider unset)' : `provider ${provider}`;
}

/**
 * Warnings for Flagger fields of one provider that the Canary's provider ignores, as Flagger does:
 * `gatewayRefs` and `service.mirror` (Gateway API), `upstreamRef` (Gloo, which Fledge does not have),
 * and with Istio the HTTP route settings of a tcp service. Each names the Canary's provider. The
 * other providers' own warnings are in `gateway-api-rules.ts`, `traffic-split-rules.ts` and
 * `provider-rules.ts`.
 */
export function ignoredFieldWarnings(canary: Canary): FieldError[] {
  const { spec } = canary;
  const provider = spec.provider;
  const label = providerLabel(provider);
  const istio = provider === undefined || provider === 'istio';
  const gatewayApi = isGatewayApiProvider(provider);
  const warnings: FieldError[] = [];
  if (!gatewayApi && spec.service.gatewayRefs && spec.service.gatewayRefs.length > 0) {
    warnings.push({
      path: 'spec.service.gatewayRefs',
      message: `is ignored with ${label} (Gateway API only), as in Flagger${istio ? '; use service.gateways' : ''}`,
    });
  }
  if (istio && isTcpService(canary)) {
    for (const field of HTTP_ROUTE_SETTINGS) {
      if (spec.service[field] === undefined) continue;
      warnings.push({
        path: `spec.service.${field}`,
        message: 'is ignored with service.appProtocol: tcp (tcp routes carry weights only), as in Flagger',
      });
    }
  }
  if (!gatewayApi && spec.service.mirror && spec.service.mirror.length > 0) {
    warnings.push({
      path: 'spec.service.mirror',
      message: `is ignored with ${label} (Gateway API only), as in Flagger${istio ? '; use analysis.mirror to mirror to the canary' : ''}`,
    });
  }
  if (spec.upstreamRef) {
    warnings.push({
      path: 'spec.upstreamRef',
      message: `is ignored with ${label} (Gloo only), as in Flagger`,
    });
  }
  return warnings;
}
