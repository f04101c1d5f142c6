/** `fledge validate` with the Linkerd and SMI providers: Flagger's manifests, and what SMI cannot do. */
import { checkDocument, formatFieldError } from '../../../src/api/validate.js';
import { flaggerFixture, type Doc } from '../../support/flagger-fixture.js';

/** Flagger's Linkerd tutorial Canary with only its apiVersion changed. */
const linkerdCanary = (): Doc => flaggerFixture('linkerd-podinfo.yaml');

const errorsOf = (doc: Doc): string[] => checkDocument(doc).errors.map(formatFieldError);
const warningsOf = (doc: Doc): string[] => checkDocument(doc).warnings.map(formatFieldError);

describe('validateDocument: Linkerd and SMI providers', () => {
  it("accepts Flagger's Linkerd tutorial Canary once its apiVersion is changed, without warnings", () => {
    expect(errorsOf(linkerdCanary())).toEqual([]);
    expect(warningsOf(linkerdCanary())).toEqual([]);
  });

  it.each([
    'smi:v1alpha1',
    'smi:v1alpha2',
    'smi:v1alpha3',
    'smi:v1alpha1:linkerd',
    'smi:v1alpha2:osm',
    'smi:v1alpha3:nginx-service-mesh',
  ])('accepts provider %s', (provider) => {
    const doc = linkerdCanary();
    doc.spec.provider = provider;
    expect(errorsOf(doc)).toEqual([]);
  });

  it.each(['smi:v1alpha2:', 'smi:v1alpha4', 'smi:V1ALPHA2', 'smi:v1alpha2:Linkerd', 'smi:linkerd'])(
    'names an SMI form it does not know: %s',
    (provider) => {
      const doc = linkerdCanary();
      doc.spec.provider = provider;
      expect(errorsOf(doc)).toEqual([
        `spec.provider: unknown provider "${provider}": SMI providers are smi:v1alpha1, smi:v1alpha2 or smi:v1alpha3, optionally followed by :<mesh> in lower case, e.g. smi:v1alpha2:linkerd`,
      ]);
    },
  );

  it('refuses A/B testing with linkerd, pointing at gatewayapi:v1', () => {
    const doc = linkerdCanary();
    doc.spec.analysis = {
      interval: '1m',
      threshold: 10,
      iterations: 10,
      match: [{ headers: { 'x-canary': { exact: 'always' } } }],
    };
    expect(errorsOf(doc)).toEqual([
      'spec.analysis.match: A/B testing needs header and cookie routing, which an SMI TrafficSplit (provider linkerd) does not have; use provider gatewayapi:v1 (Linkerd 2.12+ routes Gateway API HTTPRoutes)',
    ]);
  });

  it('refuses mirroring with an SMI provider', () => {
    const doc = linkerdCanary();
    doc.spec.provider = 'smi:v1alpha2';
    doc.spec.analysis = { interval: '1m', threshold: 5, iterations: 5, mirror: true };
    expect(errorsOf(doc)).toEqual([
      'spec.analysis.mirror: an SMI TrafficSplit (provider smi:v1alpha2) cannot mirror traffic; remove it',
    ]);
  });

  it('warns of the Istio route settings a TrafficSplit ignores', () => {
    const doc = linkerdCanary();
    Object.assign(doc.spec.service, { hosts: ['app.example.com'], timeout: '10s', retries: { attempts: 3 } });
    expect(errorsOf(doc)).toEqual([]);
    expect(warningsOf(doc)).toEqual([
      'spec.service.hosts: is ignored with provider linkerd: an SMI TrafficSplit carries weights only',
      'spec.service.retries: is ignored with provider linkerd: an SMI TrafficSplit carries weights only',
      'spec.service.timeout: is ignored with provider linkerd: an SMI TrafficSplit carries weights only',
    ]);
  });
});
