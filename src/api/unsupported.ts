/**
 * Fields the schema accepts (they are Flagger's) but this version of Fledge does not act on. Each
 * is reported, by `fledge validate` and by the controller (the `Reconciled` condition names the
 * field), rather than silently ignored: a user who sets one expects its effect.
 */
import type { FieldError } from './field-error.js';
import type { Canary } from './schema/canary.js';

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
  if (service.appProtocol?.toLowerCase() === 'tcp') {
    errors.push({
      path: 'spec.service.appProtocol',
      message: `"tcp" ${NOT_YET}: Fledge writes HTTP routes only, so TCP traffic would not be shifted`,
    });
  }
  if (analysis.sessionAffinity !== undefined) {
    errors.push({ path: 'spec.analysis.sessionAffinity', message: `${NOT_YET}; remove it` });
  }
  return errors;
}

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
  if (spec.upstreamRef) {
    warnings.push({
      path: 'spec.upstreamRef',
      message: 'is ignored with the istio provider (Gloo only), as in Flagger',
    });
  }
  return warnings;
}
