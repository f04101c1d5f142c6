/**
 * Rules for the Istio routing options Flagger has beyond the split itself: session affinity
 * (`analysis.sessionAffinity`) and delegate VirtualServices (`service.delegation`).
 */
import { quote, type FieldError } from './field-error.js';
import type { Canary } from './schema/canary.js';

/** A cookie name as RFC 6265 allows it (an HTTP token): it is written into `Set-Cookie` as is. */
const COOKIE_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

function cookieNameProblem(name: string): string | undefined {
  if (COOKIE_NAME.test(name)) return undefined;
  return `must be a cookie name: letters, digits and !#$%&'*+-.^_\`|~ only (got ${quote(name)})`;
}

/** Errors in `analysis.sessionAffinity`. */
export function sessionAffinityErrors(canary: Canary): FieldError[] {
  const { analysis } = canary.spec;
  const sa = analysis.sessionAffinity;
  if (sa === undefined) return [];
  const path = 'spec.analysis.sessionAffinity';
  const errors: FieldError[] = [];
  if (!sa.cookieName) {
    // Flagger would issue a cookie named "" (`=<value>`), which no browser sends back.
    errors.push({ path: `${path}.cookieName`, message: 'is required with sessionAffinity' });
  } else {
    const problem = cookieNameProblem(sa.cookieName);
    if (problem) errors.push({ path: `${path}.cookieName`, message: problem });
  }
  if (sa.primaryCookieName !== undefined && sa.primaryCookieName !== '') {
    const problem = cookieNameProblem(sa.primaryCookieName);
    if (problem) errors.push({ path: `${path}.primaryCookieName`, message: problem });
    else if (sa.primaryCookieName === sa.cookieName) {
      errors.push({
        path: `${path}.primaryCookieName`,
        message: 'must differ from cookieName: one cookie cannot keep users on both versions',
      });
    }
  }
  if (analysis.match && analysis.match.length > 0 && analysis.iterations !== undefined) {
    errors.push({
      path,
      message:
        'cannot be combined with analysis.match (A/B testing sends the matched requests to the canary; Flagger drops the cookie routes there)',
    });
  }
  return errors;
}

/** Errors in `service.delegation`: a delegate VirtualService has neither hosts nor gateways. */
export function delegationErrors(canary: Canary): FieldError[] {
  const { service } = canary.spec;
  if (!service.delegation) return [];
  const why = (field: string): string =>
    `must be empty with service.delegation: true (a delegate VirtualService has no ${field}; the root VirtualService that delegates to it has them)`;
  const errors: FieldError[] = [];
  if (service.hosts && service.hosts.length > 0) {
    errors.push({ path: 'spec.service.hosts', message: why('hosts') });
  }
  if (service.gateways && service.gateways.length > 0) {
    errors.push({ path: 'spec.service.gateways', message: why('gateways') });
  }
  return errors;
}
