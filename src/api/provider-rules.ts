/**
 * Rules of the providers that cannot carry every strategy: `kubernetes` (no traffic split, blue/green
 * only) and `nginx` (an Ingress to copy, matches NGINX can express, no mirroring). They apply to
 * `spec.provider`; the routers check the same for a Canary whose provider comes from the
 * controller's `--mesh-provider` flag.
 */
import type { FieldError } from './field-error.js';
import { nginxMatchOf } from './nginx-match.js';
import type { Canary } from './schema/canary.js';
import { ISTIO_ROUTE_SETTINGS } from './traffic-split-rules.js';

/** Errors for a strategy or reference the Canary's provider cannot run. */
export function providerStrategyErrors(canary: Canary): FieldError[] {
  const { provider, analysis } = canary.spec;
  const errors: FieldError[] = [];
  const abTesting = analysis.match !== undefined && analysis.match.length > 0;
  if (provider === 'kubernetes') {
    if (abTesting) {
      errors.push({
        path: 'spec.analysis.match',
        message:
          'A/B testing is not supported with provider kubernetes (Services cannot route by header or cookie); remove it to run blue/green',
      });
    } else if (analysis.iterations === undefined) {
      errors.push({
        path: 'spec.analysis.iterations',
        message:
          'is required with provider kubernetes: progressive traffic (stepWeight, stepWeights) is not supported without a traffic split; set iterations for blue/green',
      });
    }
  }
  if (provider === 'nginx') {
    if (!canary.spec.ingressRef) {
      errors.push({
        path: 'spec.ingressRef',
        message:
          'is required with provider nginx: the Ingress (networking.k8s.io/v1) whose canary copy Fledge writes',
      });
    } else if (canary.spec.ingressRef.kind !== 'Ingress') {
      errors.push({
        path: 'spec.ingressRef.kind',
        message: `must be Ingress with provider nginx (got ${canary.spec.ingressRef.kind})`,
      });
    }
    if (abTesting && analysis.iterations !== undefined) {
      errors.push(...nginxMatchOf(analysis.match ?? [], 'spec.analysis.match').errors);
    }
  }
  return errors;
}

/** Warnings for fields Flagger ignores with these providers (Fledge ignores them too). */
export function providerIgnoredWarnings(canary: Canary): FieldError[] {
  const { provider, analysis } = canary.spec;
  const warnings: FieldError[] = [];
  if ((provider === 'kubernetes' || provider === 'nginx') && analysis.mirror) {
    warnings.push({
      path: 'spec.analysis.mirror',
      message: `is ignored with provider ${provider}, which cannot mirror traffic, as in Flagger`,
    });
  }
  if (provider === 'kubernetes' || provider === 'nginx') {
    const where =
      provider === 'nginx'
        ? 'the canary Ingress is a copy of spec.ingressRef, routed by NGINX; set routing there'
        : 'Services carry no route settings';
    for (const field of ISTIO_ROUTE_SETTINGS) {
      if (canary.spec.service[field] === undefined) continue;
      warnings.push({
        path: `spec.service.${field}`,
        message: `is ignored with provider ${provider} (Istio routes only), as in Flagger: ${where}`,
      });
    }
  }
  if (provider === 'kubernetes' && analysis.stepWeightPromotion !== undefined) {
    warnings.push({
      path: 'spec.analysis.stepWeightPromotion',
      message:
        'is ignored with provider kubernetes (no traffic split): promotion switches at once, as in Flagger',
    });
  }
  return warnings;
}
