import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, parseAllDocuments } from 'yaml';
import { formatFieldError, validateDocument } from '../../../src/api/validate.js';
import { API_VERSION } from '../../../src/api/schema/common.js';
import { IMPLEMENTED_PROVIDERS } from '../../../src/api/schema/canary.js';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const EXAMPLES = join(ROOT, 'examples');

type Doc = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** The Flagger tutorial Canary with only its apiVersion changed. */
function flaggerCanary(): Doc {
  const doc = parse(readFileSync(join(ROOT, 'test/fixtures/flagger/podinfo.yaml'), 'utf8')) as Doc;
  doc.apiVersion = API_VERSION;
  return doc;
}

function errorsOf(doc: unknown): string[] {
  return validateDocument(doc).map(formatFieldError);
}

describe('validateDocument: examples', () => {
  const docs = readdirSync(EXAMPLES)
    .filter((f) => f.endsWith('.yaml'))
    .flatMap((file) =>
      parseAllDocuments(readFileSync(join(EXAMPLES, file), 'utf8'))
        .map((d) => d.toJS() as Doc)
        .filter((d) => d.apiVersion === API_VERSION)
        .map((d) => [`${file}: ${d.kind} ${d.metadata.name}`, d] as const),
    );

  it.each(docs)('%s is valid', (_name, doc) => {
    expect(errorsOf(doc)).toEqual([]);
  });
});

describe('validateDocument: Flagger compatibility', () => {
  it('accepts the Flagger Istio tutorial Canary once its apiVersion is changed', () => {
    expect(errorsOf(flaggerCanary())).toEqual([]);
  });

  it('points a Flagger apiVersion at the migration, and checks the rest as usual', () => {
    const doc = flaggerCanary();
    doc.apiVersion = 'flagger.app/v1beta1';
    doc.spec.analysis.threshold = 0;
    expect(errorsOf(doc)).toEqual([
      'apiVersion: must be fledge.dev/v1alpha1 (migrating from Flagger? change apiVersion)',
      'spec.analysis.threshold: must be >= 1 (got 0)',
    ]);
  });

  it('accepts the other fields Flagger users commonly write', () => {
    const doc = flaggerCanary();
    Object.assign(doc.spec, {
      provider: 'istio',
      skipAnalysis: false,
      revertOnDeletion: true,
      suspend: false,
    });
    Object.assign(doc.spec.service, {
      name: 'podinfo',
      portName: 'http',
      portDiscovery: true,
      appProtocol: 'http',
      timeout: '30s',
      match: [{ uri: { prefix: '/' } }],
      rewrite: { uri: '/' },
      headers: { request: { add: { 'x-some-header': 'value' } } },
      corsPolicy: { allowOrigins: [{ exact: 'https://example.com' }], allowMethods: ['GET'], maxAge: '24h' },
      primary: { labels: { tier: 'stable' } },
      canary: { annotations: { note: 'canary' } },
    });
    Object.assign(doc.spec.analysis, {
      stepWeightPromotion: 100,
      primaryReadyThreshold: 100,
      canaryReadyThreshold: 50,
      alerts: [
        { name: 'on-call', severity: 'error', providerRef: { name: 'on-call', namespace: 'flagger' } },
      ],
    });
    doc.spec.autoscalerRef.primaryScalerReplicas = { minReplicas: 2, maxReplicas: 5 };
    doc.spec.analysis.metrics.push(
      {
        name: '404s percentage',
        templateRef: { name: 'not-found', namespace: 'istio-system' },
        thresholdRange: { max: 5 },
      },
      {
        name: 'latency',
        templateRef: { name: 'latency' },
        templateVariables: { quantile: '0.99' },
        threshold: 500,
      },
    );
    doc.spec.analysis.webhooks.push(
      { name: 'gate', type: 'confirm-rollout', url: 'http://flagger-loadtester.test/gate/approve' },
      { name: 'promotion gate', type: 'confirm-promotion', url: 'http://flagger-loadtester.test/gate/halt' },
      {
        name: 'traffic gate',
        type: 'confirm-traffic-increase',
        url: 'http://flagger-loadtester.test/gate/check',
      },
      {
        name: 'manual step',
        type: 'confirm-traffic-increase',
        url: 'http://flagger-loadtester.test/gate/check',
        muteAlert: true,
      },
      { name: 'rollback', type: 'rollback', url: 'http://flagger-loadtester.test/rollback/check' },
      { name: 'events', type: 'event', url: 'http://event-recorder.monitoring/' },
      {
        name: 'notify',
        type: 'post-rollout',
        url: 'https://ci.example.com/hook',
        retries: 3,
        // A post-rollout hook never alerts, so muteAlert changes nothing there; Flagger accepts it
        // on every type, and so does Fledge, so migrated manifests stay valid.
        muteAlert: true,
      },
    );
    expect(errorsOf(doc)).toEqual([]);
  });

  it('accepts only a boolean muteAlert, naming the field', () => {
    const doc = flaggerCanary();
    doc.spec.analysis.webhooks.push({
      name: 'gate',
      type: 'confirm-promotion',
      url: 'http://flagger-loadtester.test/gate/check',
      muteAlert: 'yes' as unknown as boolean,
    });
    const errors = errorsOf(doc);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^spec\.analysis\.webhooks\[\d+\]\.muteAlert: /);
  });

  it('accepts the Flagger A/B testing and mirroring tutorial analyses', () => {
    const ab = flaggerCanary();
    ab.spec.analysis = {
      interval: '1m',
      threshold: 10,
      iterations: 10,
      match: [
        { headers: { 'x-canary': { regex: '.*insider.*' } } },
        { headers: { cookie: { regex: '^(.*?;)?(canary=always)(;.*)?$' } } },
      ],
      metrics: [{ name: 'request-success-rate', thresholdRange: { min: 99 }, interval: '1m' }],
    };
    expect(errorsOf(ab)).toEqual([]);
    const mirror = flaggerCanary();
    delete mirror.spec.analysis.maxWeight;
    delete mirror.spec.analysis.stepWeight;
    Object.assign(mirror.spec.analysis, { iterations: 10, mirror: true, mirrorWeight: 100 });
    expect(errorsOf(mirror)).toEqual([]);
    // Mirroring with the canary strategy: one mirrored interval before the first step.
    const canaryMirror = flaggerCanary();
    Object.assign(canaryMirror.spec.analysis, { mirror: true, mirrorWeight: 50 });
    expect(errorsOf(canaryMirror)).toEqual([]);
  });

  it("accepts both autoscaler kinds with Flagger's fields, and names the field of a wrong one", () => {
    const hpa = flaggerCanary();
    hpa.spec.autoscalerRef.primaryScalerReplicas = { minReplicas: 2, maxReplicas: 5 };
    expect(errorsOf(hpa)).toEqual([]);
    const keda = flaggerCanary();
    keda.spec.autoscalerRef = {
      apiVersion: 'keda.sh/v1alpha1',
      kind: 'ScaledObject',
      name: 'podinfo-so',
      primaryScalerQueries: { 'prom-trigger': 'sum(rate(http_requests_total{app="podinfo-primary"}[30s]))' },
      primaryScalerReplicas: { minReplicas: 0, maxReplicas: 5 },
    };
    expect(errorsOf(keda)).toEqual([]);

    const bad = flaggerCanary();
    bad.spec.autoscalerRef = {
      apiVersion: 'keda.sh/v1alpha1',
      kind: 'HorizontalPodAutoscaler',
      name: 'podinfo',
      primaryScalerQueries: { q: 'up' },
      primaryScalerReplicas: { minReplicas: 6, maxReplicas: 5 },
    };
    expect(errorsOf(bad)).toEqual([
      'spec.autoscalerRef.apiVersion: keda.sh/v1alpha1 does not serve HorizontalPodAutoscaler (use autoscaling/v2)',
      "spec.autoscalerRef.primaryScalerQueries: only applies to a ScaledObject's triggers, not to a HorizontalPodAutoscaler; remove it",
      'spec.autoscalerRef.primaryScalerReplicas.minReplicas: must not exceed maxReplicas (6 > 5)',
    ]);
    bad.spec.autoscalerRef = { kind: 'VerticalPodAutoscaler', name: 'podinfo' };
    expect(errorsOf(bad)).toEqual([
      'spec.autoscalerRef.kind: must be one of: HorizontalPodAutoscaler, ScaledObject (got "VerticalPodAutoscaler")',
    ]);
  });

  it('names the field Flagger renamed', () => {
    const doc = flaggerCanary();
    doc.spec.canaryAnalysis = doc.spec.analysis;
    delete doc.spec.analysis;
    expect(errorsOf(doc)).toEqual([
      'spec.analysis: required field is missing',
      'spec.canaryAnalysis: unknown field (Flagger renamed it: use analysis)',
    ]);
  });
});

describe('validateDocument: messages', () => {
  it('suggests the field a typo was meant to be, or lists the known ones', () => {
    const doc = flaggerCanary();
    doc.spec.service.hostz = ['a'];
    doc.spec.analysis.webhooks[0].urll = 'http://x/';
    doc.spec.targetRef.zzz = 1;
    expect(errorsOf(doc)).toEqual([
      'spec.targetRef.zzz: unknown field (known: apiVersion, kind, name)',
      'spec.service.hostz: unknown field (did you mean hosts?)',
      'spec.analysis.webhooks[0].urll: unknown field (did you mean url?)',
    ]);
  });

  it('shows the value that was rejected', () => {
    const doc = flaggerCanary();
    doc.spec.service.port = '9898';
    doc.spec.service.targetPort = true;
    doc.spec.analysis.metrics[0].interval = '1 minute';
    doc.spec.analysis.stepWeight = 0;
    doc.spec.targetRef.kind = 'StatefulSet';
    doc.spec.analysis.webhooks[0].name = '';
    expect(errorsOf(doc)).toEqual([
      'spec.targetRef.kind: must be one of: Deployment, DaemonSet (got "StatefulSet")',
      'spec.service.port: must be integer (got "9898")',
      'spec.service.targetPort: must be an integer or a string (got true)',
      'spec.analysis.stepWeight: must be >= 1 (got 0)',
      'spec.analysis.metrics[0].interval: must be a Prometheus duration: whole numbers with units, largest first, such as 30s, 1m or 1h30m (got "1 minute")',
      'spec.analysis.webhooks[0].name: must not be empty',
    ]);
  });

  it('rejects what is not a Fledge document', () => {
    expect(errorsOf('just a string')).toEqual([
      'document must be a mapping with apiVersion, kind, metadata and spec',
    ]);
    expect(errorsOf([])).toEqual(['document must be a mapping with apiVersion, kind, metadata and spec']);
    expect(errorsOf({ apiVersion: API_VERSION, kind: 'Rollout' })).toEqual([
      'kind: must be one of: Canary, MetricTemplate, AlertProvider (got "Rollout")',
    ]);
  });
});

describe('validateDocument: Canary rules', () => {
  function withAnalysis(analysis: Doc, spec: Doc = {}): string[] {
    const doc = flaggerCanary();
    doc.spec.analysis = { interval: '1m', threshold: 5, ...analysis };
    Object.assign(doc.spec, spec);
    return errorsOf(doc);
  }

  it('wants one way of shifting traffic', () => {
    expect(withAnalysis({})).toEqual([
      'spec.analysis: set stepWeight or stepWeights (canary strategy), or iterations (blue/green, A/B testing)',
    ]);
    // Accepted as Flagger accepts them (a warning says what they mean): see validate-rules.test.ts.
    expect(withAnalysis({ iterations: 5, stepWeight: 10 })).toEqual([]);
    expect(withAnalysis({ stepWeight: 60, maxWeight: 50 })).toEqual([
      'spec.analysis.stepWeight: must not exceed maxWeight (60 > 50)',
    ]);
    expect(withAnalysis({ stepWeights: [10, 50], maxWeight: 50 })).toEqual([]);
  });

  it('reports only the missing iterations when analysis.match shows A/B testing was meant', () => {
    expect(withAnalysis({ match: [{ headers: { 'user-type': { exact: 'premium' } } }] })).toEqual([
      'spec.analysis.iterations: is required with analysis.match (A/B testing runs a number of iterations)',
    ]);
  });

  it('checks mirroring settings', () => {
    const match = [{ headers: { a: { exact: 'b' } } }];
    expect(withAnalysis({ iterations: 5, mirror: true, match })).toEqual([
      'spec.analysis.mirror: cannot be combined with analysis.match (A/B testing)',
    ]);
    expect(withAnalysis({ iterations: 5, mirrorWeight: 50 })).toEqual([]);
  });

  it('checks metrics and webhooks', () => {
    expect(
      withAnalysis({
        stepWeight: 10,
        metrics: [
          { name: 'request-success-rate' },
          { name: 'request-success-rate', thresholdRange: { min: 99 } },
          { name: 'custom', thresholdRange: { max: 1 } },
          { name: 'both', query: 'up', templateRef: { name: 't' }, thresholdRange: { min: 5, max: 1 } },
        ],
        webhooks: [
          { name: 'a', url: 'flagger-loadtester.test/' },
          { name: 'a', url: 'http://ok/' },
        ],
      }),
    ).toEqual([
      'spec.analysis.metrics[1].name: duplicate metric name "request-success-rate" (also metrics[0])',
      'spec.analysis.metrics[2]: "custom" is not a builtin metric (request-success-rate, request-duration): set templateRef or query',
      'spec.analysis.metrics[3].query: set either templateRef or query, not both',
      'spec.analysis.metrics[3].thresholdRange: min must not exceed max (5 > 1)',
      'spec.analysis.webhooks[1].name: duplicate webhook name "a" (also webhooks[0])',
      'spec.analysis.webhooks[0].url: must be an http:// or https:// address (got "flagger-loadtester.test/")',
    ]);
  });

  it('says which providers and targets this version supports', () => {
    expect(withAnalysis({ stepWeight: 10 }, { provider: 'linkerd' })).toEqual([
      `spec.provider: provider "linkerd" is not supported by this version of Fledge (supported: ${IMPLEMENTED_PROVIDERS.join(', ')})`,
    ]);
    const daemonSet = flaggerCanary();
    daemonSet.spec.targetRef.kind = 'DaemonSet';
    expect(errorsOf(daemonSet)).toEqual([
      'spec.targetRef.kind: DaemonSet targets are not supported by this version of Fledge (supported: Deployment)',
    ]);
  });
});

describe('validateDocument: MetricTemplate and AlertProvider', () => {
  const template = {
    apiVersion: API_VERSION,
    kind: 'MetricTemplate',
    metadata: { name: 'latency', namespace: 'test' },
    spec: { provider: { type: 'prometheus', address: 'http://prometheus:9090' }, query: 'up' },
  };

  it('checks a MetricTemplate', () => {
    expect(errorsOf(template)).toEqual([]);
    expect(errorsOf({ ...template, spec: { provider: { type: 'datadog' }, query: 'avg:x' } })).toEqual([
      'spec.provider.type: metric provider "datadog" is not supported by this version of Fledge (supported: prometheus)',
    ]);
    expect(errorsOf({ ...template, spec: { provider: { type: 'prom' } } })).toEqual([
      'spec.query: required field is missing',
      'spec.provider.type: must be one of: prometheus, datadog, cloudwatch, newrelic, graphite, influxdb, stackdriver, dynatrace, keptn, splunk (got "prom")',
    ]);
  });

  it('checks an AlertProvider', () => {
    const provider = { apiVersion: API_VERSION, kind: 'AlertProvider', metadata: { name: 'slack' } };
    expect(
      errorsOf({ ...provider, spec: { type: 'slack', channel: 'general', secretRef: { name: 's' } } }),
    ).toEqual([]);
    expect(errorsOf({ ...provider, spec: { type: 'pagerduty' } })).toEqual([
      'spec.type: must be one of: slack, msteams, discord, rocket, gchat, webhook (got "pagerduty")',
    ]);
  });
});
