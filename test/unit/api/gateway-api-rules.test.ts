/** `fledge validate` with a Gateway API provider: Flagger's tutorial manifests, and what cannot work. */
import { parse } from 'yaml';
import { API_VERSION } from '../../../src/api/schema/common.js';
import { checkDocument, formatFieldError } from '../../../src/api/validate.js';

/** The Canary of Flagger's Gateway API tutorial (docs/gitbook/tutorials/gatewayapi-progressive-delivery.md). */
const TUTORIAL = `
apiVersion: flagger.app/v1beta1
kind: Canary
metadata:
  name: podinfo
  namespace: test
spec:
  provider: gatewayapi:v1
  targetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: podinfo
  progressDeadlineSeconds: 60
  autoscalerRef:
    apiVersion: autoscaling/v2beta2
    kind: HorizontalPodAutoscaler
    name: podinfo
  service:
    port: 9898
    targetPort: 9898
    hosts:
     - localproject.contour.io
    gatewayRefs:
      - name: contour
        namespace: projectcontour
  analysis:
    interval: 1m
    threshold: 5
    maxWeight: 50
    stepWeight: 10
    metrics:
    - name: error-rate
      templateRef:
        name: error-rate
        namespace: flagger-system
      thresholdRange:
        max: 1
      interval: 1m
    - name: latency
      templateRef:
        name: latency
        namespace: flagger-system
      thresholdRange:
         max: 0.5
      interval: 30s
    webhooks:
      - name: smoke-test
        type: pre-rollout
        url: http://flagger-loadtester.test/
        timeout: 15s
        metadata:
          type: bash
          cmd: "curl -sd 'anon' http://podinfo-canary.test:9898/token | grep token"
      - name: load-test
        url: http://flagger-loadtester.test/
        timeout: 5s
        metadata:
          cmd: "hey -z 2m -q 10 -c 2 -host localproject.contour.io http://envoy.projectcontour/"
`;

/** The A/B analysis of Flagger's Gateway API A/B tutorial (gatewayapi-ab-testing.md). */
const AB_ANALYSIS = {
  interval: '1m',
  threshold: 5,
  iterations: 10,
  match: [
    { headers: { 'x-canary': { exact: 'insider' } } },
    { headers: { cookie: { regex: '^(.*?;)?(canary=always)(;.*)?$' } } },
  ],
};

type Doc = { apiVersion: string; spec: Record<string, Record<string, unknown>> };

function tutorial(provider = 'gatewayapi:v1'): Doc {
  const doc = parse(TUTORIAL) as Doc;
  doc.apiVersion = API_VERSION;
  (doc.spec as Record<string, unknown>).provider = provider;
  return doc;
}

const errorsOf = (doc: unknown): string[] => checkDocument(doc).errors.map(formatFieldError);
const warningsOf = (doc: unknown): string[] => checkDocument(doc).warnings.map(formatFieldError);

describe('validate: Gateway API providers', () => {
  it.each(['gatewayapi:v1', 'gatewayapi:v1beta1'])(
    "accepts Flagger's tutorial Canary with %s",
    (provider) => {
      expect(errorsOf(tutorial(provider))).toEqual([]);
      expect(warningsOf(tutorial(provider))).toEqual([]);
    },
  );

  it("accepts Flagger's A/B tutorial analysis", () => {
    const doc = tutorial();
    doc.spec.analysis = { ...AB_ANALYSIS, metrics: doc.spec.analysis!.metrics };
    expect(errorsOf(doc)).toEqual([]);
  });

  it("accepts Flagger's session affinity tutorial Canary, and refuses affinity with blue/green, with A/B or without a cookie name", () => {
    const doc = tutorial();
    doc.spec.analysis!.sessionAffinity = { cookieName: 'flagger-cookie', maxAge: 21600 };
    expect(errorsOf(doc)).toEqual([]);
    doc.spec.analysis = { ...AB_ANALYSIS, sessionAffinity: {} };
    expect(errorsOf(doc)).toEqual([
      'spec.analysis.sessionAffinity.cookieName: is required with sessionAffinity',
      'spec.analysis.sessionAffinity: cannot be combined with analysis.match (A/B testing sends the matched requests to the canary; Flagger drops the cookie routes there)',
    ]);
    doc.spec.analysis = { iterations: 5, sessionAffinity: { cookieName: 'flagger-cookie' } };
    expect(errorsOf(doc)).toEqual([
      'spec.analysis.sessionAffinity: works with the canary strategy (stepWeight or stepWeights), not with blue/green (iterations)',
    ]);
  });

  it('requires gatewayRefs and types each entry', () => {
    const none = tutorial();
    delete none.spec.service!.gatewayRefs;
    expect(errorsOf(none)).toEqual([
      'spec.service.gatewayRefs: is required with a Gateway API provider: the Gateways the HTTPRoute attaches to',
    ]);
    const typo = tutorial();
    typo.spec.service!.gatewayRefs = [{ name: 'contour', namepsace: 'projectcontour', port: 'http' }];
    expect(errorsOf(typo).join('\n')).toMatch(/spec\.service\.gatewayRefs\[0\]/);
    expect(errorsOf(typo).join('\n')).toMatch(/namepsace/);
    expect(errorsOf(typo).join('\n')).toMatch(/gatewayRefs\[0\]\.port/);
  });

  it('names every match, filter and timeout Gateway API cannot express', () => {
    const doc = tutorial();
    Object.assign(doc.spec.service!, {
      timeout: '2.5s',
      match: [{ uri: { exact: 'api' } }, { method: { regex: 'GET|POST' } }],
      headers: { request: { add: { 'x-a': 1 } } },
      rewrite: { uri: '/v2', type: 'ReplaceHost' },
      subsetRouting: true,
    });
    doc.spec.analysis = {
      ...AB_ANALYSIS,
      match: [{ headers: { 'x-canary': { prefix: 'in' } } }, { sourceLabels: { app: 'web' } }],
    };
    expect(errorsOf(doc)).toEqual([
      'spec.service.match[0].uri.exact: must be an absolute path starting with "/"',
      'spec.service.match[1].method.regex: is not supported by Gateway API (use exact)',
      'spec.analysis.match[0].headers.x-canary.prefix: is not supported by Gateway API (use exact or regex)',
      'spec.analysis.match[1].sourceLabels: is not supported by Gateway API (uri, method, headers and queryParams are)',
      'spec.service.headers.request.add.x-a: must be a string',
      'spec.service.rewrite.type: must be ReplacePrefixMatch or ReplaceFullPath',
      'spec.service.timeout: Gateway API durations are whole numbers with units h, m, s or ms (e.g. 1m30s, 500ms), got "2.5s"',
      'spec.service.subsetRouting: is Istio only (DestinationRule subsets); Gateway API routes to the -primary and -canary services',
    ]);
  });

  it('refuses a prefix rewrite where an HTTPRoute rule would have more than one match (the CRD refuses it)', () => {
    const doc = tutorial();
    doc.spec.service!.rewrite = { uri: '/' };
    expect(errorsOf(doc)).toEqual([]);
    doc.spec.analysis = { ...AB_ANALYSIS, metrics: doc.spec.analysis!.metrics };
    expect(errorsOf(doc)).toEqual([
      'spec.service.rewrite: a prefix rewrite needs exactly one uri prefix match per HTTPRoute rule (a Gateway API rule), and the service and A/B matches give more or another kind; use type: ReplaceFullPath or a single prefix match',
    ]);
    doc.spec.service!.rewrite = { uri: '/', type: 'ReplaceFullPath' };
    expect(errorsOf(doc)).toEqual([]);
    const exact = tutorial();
    Object.assign(exact.spec.service!, { rewrite: { uri: '/' }, match: [{ uri: { exact: '/api' } }] });
    expect(errorsOf(exact)).toHaveLength(1);
  });

  it('warns of the Istio-only fields it ignores, as Flagger does, and not of gatewayRefs', () => {
    const doc = tutorial();
    Object.assign(doc.spec.service!, {
      gateways: ['mesh'],
      retries: { attempts: 3 },
      trafficPolicy: { tls: { mode: 'ISTIO_MUTUAL' } },
    });
    expect(errorsOf(doc)).toEqual([]);
    expect(warningsOf(doc)).toEqual([
      'spec.service.gateways: is ignored with a Gateway API provider, as in Flagger (use service.gatewayRefs)',
      'spec.service.retries: is ignored with a Gateway API provider, as in Flagger (HTTPRoute retries are not in the standard channel)',
      'spec.service.trafficPolicy: is ignored with a Gateway API provider, as in Flagger (DestinationRules are Istio only)',
    ]);
  });
});
