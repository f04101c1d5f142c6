/**
 * Fields the schema accepts (they are Flagger's) but this version of Fledge does not act on. Each
 * is reported, by `fledge validate` and by the controller (the `Reconciled` condition names the
 * field), rather than silently ignored: a user who sets one expects its effect.
 */
import type { FieldError } from './field-error.js';
import type { Canary } from './schema/canary.js';
import { isGatewayApiProvider } from './gateway-api-rules.js';

const NOT_YET = 'is not supported by this version of Fledge';

/** Errors for fields set to a value whose effect Fledge does not implement. */
export function unsupportedFieldErrors(canary: Canary): FieldError[] {
  const { service, analysis } = canary.spec;
  const errors: FieldError[] = [];
  if (service.delegation) {
    errors.push({
      path: 'spec.service.delegation',
      message: `${NOT_YET} (Istio delegate VirtualServices); remove it`,
    });
  }
  if (service.mirror && service.mirror.length > 0) {
    errors.push({
      path: 'spec.service.mirror',
      message: `${NOT_YET} (extra mirror destinations); remove it, or use analysis.mirror to mirror to the canary`,
    });
  }
  if (isTcpService(canary)) errors.push(...tcpConflicts(canary));
  // The Gateway API router has it (gateway-api-rules.ts checks it there).
  if (analysis.sessionAffinity !== undefined && !isGatewayApiProvider(canary.spec.provider)) {
    errors.push({ path: 'spec.analysis.sessionAffinity', message: `${NOT_YET}; remove it` });
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
  return errors;
}

/** The HTTP route settings of `spec.service`, which tcp routes do not carry. */
const HTTP_ROUTE_SETTINGS = ['rewrite', 'timeout', 'retries', 'headers', 'corsPolicy'] as const;

/** Warnings for fields Flagger itself ignores with the Istio provider, the only one Fledge has. */
export function ignoredFieldWarnings(canary: Canary): FieldError[] {
  const { spec } = canary;
  const warnings: FieldError[] = [];
  if (spec.service.gatewayRefs && spec.service.gatewayRefs.length > 0) {
    warnings.push({
      path: 'spec.service.gatewayRefs',
      message: 'is ignored with the istio provider (Gateway API only), as in Flagger; use service.gateways',
    });
  }
  if (isTcpService(canary)) {
    for (const field of HTTP_ROUTE_SETTINGS) {
      if (spec.service[field] === undefined) continue;
      warnings.push({
        path: `spec.service.${field}`,
        message: 'is ignored with service.appProtocol: tcp (tcp routes carry weights only), as in Flagger',
      });
    }
  }
  if (spec.upstreamRef) {
    warnings.push({
      path: 'spec.upstreamRef',
      message: 'is ignored with the istio provider (Gloo only), as in Flagger',
    });
  }
  return warnings;
}
