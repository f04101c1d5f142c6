/**
 * The warnings for Flagger fields the Canary's provider ignores: each names that provider, and a
 * field the provider uses (Gateway API's `gatewayRefs` and `service.mirror`) is not reported.
 */
import { checkDocument, formatFieldError, validateDocument } from '../../../src/api/validate.js';
import { API_VERSION } from '../../../src/api/schema/common.js';

type Doc = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** A blue/green Canary (every provider runs it) with what `provider` requires. */
function canary(provider: string | undefined): Doc {
  const service: Doc = { port: 9898 };
  const doc: Doc = {
    apiVersion: API_VERSION,
    kind: 'Canary',
    metadata: { name: 'podinfo', namespace: 'test' },
    spec: {
      ...(provider ? { provider } : {}),
      targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'podinfo' },
      service,
      analysis: { interval: '1m', threshold: 5, iterations: 5 },
    },
  };
  if (provider === 'nginx') {
    doc.spec.ingressRef = { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', name: 'podinfo' };
  }
  return doc;
}

/** `doc` with every field some provider ignores. */
function withOtherProvidersFields(doc: Doc): Doc {
  Object.assign(doc.spec.service, {
    gatewayRefs: [{ name: 'public-gateway', namespace: 'gateway-system' }],
    gateways: ['istio-ingress/public-gateway'],
    mirror: [{ backendRef: { name: 'shadow', port: 9898 } }],
  });
  doc.spec.upstreamRef = { apiVersion: 'gloo.solo.io/v1', kind: 'Upstream', name: 'podinfo' };
  return doc;
}

const FIELDS = [
  'spec.service.gatewayRefs',
  'spec.service.gateways',
  'spec.service.mirror',
  'spec.upstreamRef',
];

/** The warnings about {@link FIELDS}, formatted, after checking that the Canary is valid. */
function fieldWarnings(doc: Doc): string[] {
  expect(validateDocument(doc).map(formatFieldError)).toEqual([]);
  return checkDocument(doc)
    .warnings.filter((w) => FIELDS.includes(w.path))
    .map(formatFieldError);
}

describe('fields the provider ignores', () => {
  it('istio (spec.provider unset): gatewayRefs, service.mirror and upstreamRef, with what to use', () => {
    expect(fieldWarnings(withOtherProvidersFields(canary(undefined)))).toEqual([
      'spec.service.gatewayRefs: is ignored with provider istio (spec.provider unset) (Gateway API only), as in Flagger; use service.gateways',
      'spec.service.mirror: is ignored with provider istio (spec.provider unset) (Gateway API only), as in Flagger; use analysis.mirror to mirror to the canary',
      'spec.upstreamRef: is ignored with provider istio (spec.provider unset) (Gloo only), as in Flagger',
    ]);
  });

  it('istio (named): the same, naming it', () => {
    expect(fieldWarnings(withOtherProvidersFields(canary('istio')))).toEqual([
      'spec.service.gatewayRefs: is ignored with provider istio (Gateway API only), as in Flagger; use service.gateways',
      'spec.service.mirror: is ignored with provider istio (Gateway API only), as in Flagger; use analysis.mirror to mirror to the canary',
      'spec.upstreamRef: is ignored with provider istio (Gloo only), as in Flagger',
    ]);
  });

  it.each(['gatewayapi:v1', 'gatewayapi:v1beta1'])(
    '%s: gateways and upstreamRef; gatewayRefs and service.mirror are its own',
    (provider) => {
      expect(fieldWarnings(withOtherProvidersFields(canary(provider)))).toEqual([
        'spec.service.gateways: is ignored with a Gateway API provider, as in Flagger (use service.gatewayRefs)',
        `spec.upstreamRef: is ignored with provider ${provider} (Gloo only), as in Flagger`,
      ]);
    },
  );

  it.each(['linkerd', 'smi:v1alpha2', 'nginx', 'kubernetes'])(
    '%s: gatewayRefs, service.mirror (no analysis.mirror hint: it cannot mirror), gateways and upstreamRef',
    (provider) => {
      const routeSetting =
        provider === 'nginx'
          ? 'is ignored with provider nginx (Istio routes only), as in Flagger: the canary Ingress is a copy of spec.ingressRef, routed by NGINX; set routing there'
          : provider === 'kubernetes'
            ? 'is ignored with provider kubernetes (Istio routes only), as in Flagger: Services carry no route settings'
            : `is ignored with provider ${provider}: an SMI TrafficSplit carries weights only`;
      expect(fieldWarnings(withOtherProvidersFields(canary(provider))).sort()).toEqual(
        [
          `spec.service.gatewayRefs: is ignored with provider ${provider} (Gateway API only), as in Flagger`,
          `spec.service.mirror: is ignored with provider ${provider} (Gateway API only), as in Flagger`,
          `spec.upstreamRef: is ignored with provider ${provider} (Gloo only), as in Flagger`,
          `spec.service.gateways: ${routeSetting}`,
        ].sort(),
      );
    },
  );

  it('no warning for a provider without these fields', () => {
    for (const provider of [undefined, 'istio', 'gatewayapi:v1', 'linkerd', 'nginx', 'kubernetes']) {
      const doc = canary(provider);
      if (provider === 'gatewayapi:v1') doc.spec.service.gatewayRefs = [{ name: 'gw' }];
      expect(fieldWarnings(doc)).toEqual([]);
    }
  });

  it('the HTTP route settings of a tcp service are an Istio warning only; nginx ignores them anyway', () => {
    const istio = canary('istio');
    Object.assign(istio.spec.service, { appProtocol: 'tcp', timeout: '10s' });
    expect(checkDocument(istio).warnings.map(formatFieldError)).toEqual([
      'spec.service.timeout: is ignored with service.appProtocol: tcp (tcp routes carry weights only), as in Flagger',
    ]);
    const nginx = canary('nginx');
    Object.assign(nginx.spec.service, { appProtocol: 'tcp', timeout: '10s' });
    expect(checkDocument(nginx).warnings.map(formatFieldError)).toEqual([
      'spec.service.timeout: is ignored with provider nginx (Istio routes only), as in Flagger: the canary Ingress is a copy of spec.ingressRef, routed by NGINX; set routing there',
    ]);
  });
});
