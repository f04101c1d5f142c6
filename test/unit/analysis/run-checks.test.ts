import { MetricQueryError, type MetricQuery, type MetricsProvider } from '../../../analysis/provider.js';
import {
  runMetricChecks,
  type MetricCheckDeps,
  type MetricProviderRef,
} from '../../../analysis/run-checks.js';
import { resolveCanary, type ResolvedCanary } from '../../../src/api/defaults.js';
import type { Canary, CanaryMetric } from '../../../src/api/schema/canary.js';
import type { MetricTemplate } from '../../../src/api/schema/metric-template.js';

type Answer = number | undefined | Error;

/** A provider at the port boundary: answers by metric name and records what it was asked. */
class FakeProvider implements MetricsProvider {
  readonly queries: MetricQuery[] = [];
  inFlight = 0;
  maxInFlight = 0;
  constructor(
    private readonly answers: Record<string, Answer>,
    private readonly delayMs = 0,
  ) {}
  async query(query: MetricQuery): Promise<number | undefined> {
    this.queries.push(query);
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      if (this.delayMs) await new Promise((resolve) => setTimeout(resolve, this.delayMs));
      const answer = this.answers[query.metric];
      if (answer instanceof Error) throw answer;
      return answer;
    } finally {
      this.inFlight--;
    }
  }
}

function canary(metrics: CanaryMetric[], spec: Partial<Canary['spec']> = {}): ResolvedCanary {
  return resolveCanary(
    {
      apiVersion: 'fledge.dev/v1alpha1',
      kind: 'Canary',
      metadata: { name: 'podinfo', namespace: 'test' },
      spec: {
        metricsServer: 'http://prometheus:9090',
        targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'podinfo-deploy' },
        service: { port: 9898, name: 'podinfo-svc' },
        analysis: { metrics },
        ...spec,
      },
    },
    { defaultProvider: 'istio' },
  );
}

function template(
  name: string,
  query: string,
  provider: Partial<MetricTemplate['spec']['provider']> = {},
): MetricTemplate {
  return {
    apiVersion: 'fledge.dev/v1alpha1',
    kind: 'MetricTemplate',
    metadata: { name, namespace: 'istio-system' },
    spec: { provider: { type: 'prometheus', address: 'http://tpl-prom:9090', ...provider }, query },
  };
}

function deps(
  provider: MetricsProvider,
  templates: MetricTemplate[] = [],
  extra: Partial<MetricCheckDeps> = {},
): MetricCheckDeps & { providerCalls: [MetricProviderRef, string][] } {
  const providerCalls: [MetricProviderRef, string][] = [];
  return {
    providerCalls,
    getTemplate: async (namespace, name) =>
      templates.find((t) => t.metadata.namespace === namespace && t.metadata.name === name),
    providerFor: (spec, namespace) => {
      providerCalls.push([spec, namespace]);
      return provider;
    },
    ...extra,
  };
}

describe('runMetricChecks', () => {
  it('runs the builtin metrics against the canary metricsServer and judges them', async () => {
    const provider = new FakeProvider({ 'request-success-rate': 99.5, 'request-duration': 612 });
    const d = deps(provider);
    const results = await runMetricChecks(
      canary([
        { name: 'request-success-rate', thresholdRange: { min: 99 }, interval: '2m' },
        { name: 'request-duration', threshold: 500 },
      ]),
      d,
    );
    expect(results).toEqual([
      {
        name: 'request-success-rate',
        kind: 'metric',
        passed: true,
        value: 99.5,
        min: 99,
        query: expect.stringContaining('destination_workload=~"podinfo-deploy"'),
        message: 'request-success-rate: 99.5 is within >= 99',
      },
      {
        name: 'request-duration',
        kind: 'metric',
        passed: false,
        value: 612,
        max: 500,
        query: expect.stringContaining('histogram_quantile(0.99'),
        message: 'request-duration: 612 is above the maximum 500',
      },
    ]);
    expect(results[0]?.query).toContain('[2m]');
    expect(results[1]?.query).toContain('[1m]');
    expect(d.providerCalls).toEqual([
      [{ type: 'prometheus', address: 'http://prometheus:9090' }, 'test'],
      [{ type: 'prometheus', address: 'http://prometheus:9090' }, 'test'],
    ]);
    expect(provider.queries.map((q) => [q.metric, q.namespace, q.target, q.intervalMs])).toEqual([
      ['request-success-rate', 'test', 'podinfo-deploy', 120_000],
      ['request-duration', 'test', 'podinfo-deploy', 60_000],
    ]);
  });

  it('uses the linkerd catalogue when the canary provider is linkerd', async () => {
    const results = await runMetricChecks(
      canary([{ name: 'request-success-rate' }], { provider: 'linkerd' }),
      deps(new FakeProvider({ 'request-success-rate': 100 })),
    );
    expect(results[0]?.query).toContain('response_total{namespace="test",deployment=~"podinfo-deploy"');
  });

  it('renders a MetricTemplate with every variable and runs it on the template provider', async () => {
    const provider = new FakeProvider({ latency: 0.2 });
    const tpl = template(
      'latency',
      'q{n="{{ name }}",ns="{{namespace}}",t="{{ target }}",s="{{ service }}",k="{{ variables.k }}"}[{{ interval }}]',
      { secretRef: { name: 'prom-auth' }, headers: { 'X-Org': 'a' }, insecureSkipVerify: true },
    );
    const d = deps(provider, [tpl]);
    const results = await runMetricChecks(
      canary([
        {
          name: 'latency',
          interval: '30s',
          templateRef: { name: 'latency', namespace: 'istio-system' },
          templateVariables: { k: 'v' },
          thresholdRange: { max: 0.5 },
        },
      ]),
      d,
    );
    expect(results[0]).toEqual({
      name: 'latency',
      kind: 'metric',
      passed: true,
      value: 0.2,
      max: 0.5,
      query: 'q{n="podinfo",ns="test",t="podinfo-deploy",s="podinfo-svc",k="v"}[30s]',
      message: 'latency: 0.2 is within <= 0.5',
    });
    expect(d.providerCalls).toEqual([
      [
        {
          type: 'prometheus',
          address: 'http://tpl-prom:9090',
          secretRef: { name: 'prom-auth' },
          headers: { 'X-Org': 'a' },
          insecureSkipVerify: true,
        },
        'istio-system',
      ],
    ]);
  });

  it('looks the template up in the canary namespace when templateRef has none', async () => {
    const tpl = { ...template('t', 'up'), metadata: { name: 't', namespace: 'test' } };
    const results = await runMetricChecks(
      canary([{ name: 'm', templateRef: { name: 't' }, thresholdRange: { max: 1 } }]),
      deps(new FakeProvider({ m: 1 }), [tpl]),
    );
    expect(results[0]?.passed).toBe(true);
  });

  it('runs the builtin query and the own query of a builtin name with a query, as Flagger does', async () => {
    const provider = new FakeProvider({ 'request-success-rate': 99.5 });
    const results = await runMetricChecks(
      canary([{ name: 'request-success-rate', query: 'sum(mine)', thresholdRange: { min: 99 } }]),
      deps(provider),
    );
    expect(results).toHaveLength(2);
    expect(results.map((r) => r.passed)).toEqual([true, true]);
    expect(provider.queries.map((q) => q.text)).toEqual([
      expect.stringContaining('istio_requests_total'),
      'sum(mine)',
    ]);
  });

  it('compares a metric without thresholdRange with 0, as Flagger does', async () => {
    const results = await runMetricChecks(
      canary([{ name: 'errors', query: 'sum(errors)' }, { name: 'request-success-rate' }]),
      deps(new FakeProvider({ errors: 2, 'request-success-rate': 12 })),
    );
    expect(results.map((r) => [r.name, r.passed])).toEqual([
      ['errors', false],
      ['request-success-rate', true],
    ]);
  });

  it("renders Flagger's {{ ingress }} and {{ route }} from ingressRef and routeRef, else the target", async () => {
    const provider = new FakeProvider({ m: 0 });
    await runMetricChecks(
      canary([{ name: 'm', query: '{{ ingress }} {{ route }}', thresholdRange: { max: 1 } }], {
        ingressRef: { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', name: 'web' },
      }),
      deps(provider),
    );
    expect(provider.queries[0]?.text).toBe('web podinfo-deploy');
  });

  it('runs a legacy inline query against the metricsServer', async () => {
    const d = deps(new FakeProvider({ legacy: 3 }));
    const results = await runMetricChecks(
      canary([{ name: 'legacy', query: 'sum(x{ns="{{ namespace }}"})', thresholdRange: { max: 2 } }]),
      d,
    );
    expect(results[0]).toMatchObject({ passed: false, value: 3, max: 2, query: 'sum(x{ns="test"})' });
    expect(d.providerCalls[0]?.[0].address).toBe('http://prometheus:9090');
  });

  it('fails a metric with no data under noDataPolicy fail, saying the canary may get no traffic', async () => {
    const results = await runMetricChecks(
      canary([{ name: 'request-success-rate', thresholdRange: { min: 99 } }]),
      deps(new FakeProvider({ 'request-success-rate': undefined })),
    );
    expect(results[0]).toMatchObject({ passed: false, min: 99 });
    expect(results[0]?.value).toBeUndefined();
    expect(results[0]?.query).toContain('istio_requests_total');
    expect(results[0]?.message).toContain('no values found');
    expect(results[0]?.message).toContain('the canary may not be receiving traffic');
  });

  it('passes a metric with no data under noDataPolicy pass, saying so', async () => {
    const results = await runMetricChecks(
      canary([{ name: 'request-success-rate', thresholdRange: { min: 99 }, noDataPolicy: 'pass' }]),
      deps(new FakeProvider({ 'request-success-rate': undefined })),
    );
    expect(results[0]?.passed).toBe(true);
    expect(results[0]?.message).toBe(
      'request-success-rate: no values found; counted as passed because noDataPolicy is pass',
    );
  });

  it('treats a NaN from a provider as no data', async () => {
    const results = await runMetricChecks(
      canary([{ name: 'request-duration', thresholdRange: { max: 1 } }]),
      deps(new FakeProvider({ 'request-duration': NaN })),
    );
    expect(results[0]?.passed).toBe(false);
    expect(results[0]?.message).toContain('no values found');
  });

  it('fails an infinite value against a max bound and keeps it out of the JSON value', async () => {
    const results = await runMetricChecks(
      canary([{ name: 'request-duration', thresholdRange: { max: 500 } }]),
      deps(new FakeProvider({ 'request-duration': Infinity })),
    );
    expect(results[0]?.passed).toBe(false);
    expect(results[0]?.value).toBeUndefined();
    expect(results[0]?.message).toContain('+Inf is above the maximum 500');
  });

  it('fails a metric whose MetricTemplate is missing, and still runs the others', async () => {
    const results = await runMetricChecks(
      canary([
        {
          name: 'gone',
          templateRef: { name: 'gone', namespace: 'istio-system' },
          thresholdRange: { max: 1 },
        },
        { name: 'request-success-rate', thresholdRange: { min: 99 } },
      ]),
      deps(new FakeProvider({ 'request-success-rate': 100 })),
    );
    expect(results[0]).toEqual({
      name: 'gone',
      kind: 'metric',
      passed: false,
      max: 1,
      message: 'gone: MetricTemplate istio-system/gone not found',
    });
    expect(results[1]?.passed).toBe(true);
  });

  it('fails a metric whose MetricTemplate cannot be read', async () => {
    const results = await runMetricChecks(
      canary([{ name: 'm', templateRef: { name: 't' } }]),
      deps(new FakeProvider({}), [], {
        getTemplate: async () => {
          throw new Error('forbidden: cannot get metrictemplates');
        },
      }),
    );
    expect(results[0]?.message).toBe(
      'm: could not read MetricTemplate test/t: forbidden: cannot get metrictemplates',
    );
  });

  it('fails a metric whose template uses an unknown variable, naming it', async () => {
    const provider = new FakeProvider({ m: 1 });
    const results = await runMetricChecks(
      canary([
        {
          name: 'm',
          templateRef: { name: 'latency', namespace: 'istio-system' },
          templateVariables: { a: '1', b: '2' },
        },
      ]),
      deps(provider, [template('latency', 'x{{ variables.foo }}')]),
    );
    expect(results[0]?.passed).toBe(false);
    expect(results[0]?.message).toBe(
      'm: MetricTemplate istio-system/latency: unknown variable "variables.foo" (templateVariables has: a, b)',
    );
    expect(provider.queries).toHaveLength(0);
  });

  it('fails a template whose provider has no address', async () => {
    const tpl = template('t', 'up', { address: undefined });
    const results = await runMetricChecks(
      canary([{ name: 'm', templateRef: { name: 't', namespace: 'istio-system' } }]),
      deps(new FakeProvider({ m: 1 }), [tpl]),
    );
    expect(results[0]).toMatchObject({ passed: false, query: 'up' });
    expect(results[0]?.message).toContain('MetricTemplate istio-system/t: spec.provider.address is required');
  });

  it('fails a builtin metric when no metrics server is configured', async () => {
    const resolved = { ...canary([{ name: 'request-success-rate' }]), metricsServer: undefined };
    const results = await runMetricChecks(resolved, deps(new FakeProvider({})));
    expect(results[0]?.passed).toBe(false);
    expect(results[0]?.message).toContain('set spec.metricsServer on Canary test/podinfo');
  });

  it('fails a builtin metric for a mesh without builtin queries', async () => {
    const results = await runMetricChecks(
      canary([{ name: 'request-duration' }], { provider: 'contour' }),
      deps(new FakeProvider({})),
    );
    expect(results[0]?.message).toContain('not available for provider "contour"');
  });

  it("passes spec.ingressRef.name to the NGINX queries as Flagger's {{ ingress }}", async () => {
    const provider = new FakeProvider({});
    await runMetricChecks(
      canary([{ name: 'request-success-rate' }], {
        provider: 'nginx',
        ingressRef: { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', name: 'public' },
      }),
      deps(provider),
    );
    expect(provider.queries[0]?.text).toContain(
      'nginx_ingress_controller_requests{namespace="test",ingress="public",canary!=""',
    );
  });

  it('fails a metric that is neither builtin, templated nor inline', async () => {
    const results = await runMetricChecks(canary([{ name: 'custom' }]), deps(new FakeProvider({})));
    expect(results[0]?.message).toContain('custom: metric has no templateRef or query and is not a builtin');
  });

  it('turns a provider error into a failed check with the resolved query', async () => {
    const results = await runMetricChecks(
      canary([{ name: 'request-success-rate', thresholdRange: { min: 99 } }]),
      deps(
        new FakeProvider({
          'request-success-rate': new MetricQueryError(
            'Prometheus at http://prometheus:9090 returned 503: down',
          ),
        }),
      ),
    );
    expect(results[0]).toMatchObject({
      passed: false,
      min: 99,
      message: 'request-success-rate: Prometheus at http://prometheus:9090 returned 503: down',
    });
    expect(results[0]?.query).toContain('istio_requests_total');
  });

  it('turns a provider factory error into a failed check', async () => {
    const results = await runMetricChecks(
      canary([{ name: 'request-success-rate' }]),
      deps(new FakeProvider({}), [], {
        providerFor: () => {
          throw new Error('Secret test/prom-auth not found');
        },
      }),
    );
    expect(results[0]?.message).toBe('request-success-rate: Secret test/prom-auth not found');
  });

  it('fails a metric with an invalid interval', async () => {
    const results = await runMetricChecks(
      canary([{ name: 'request-duration', interval: '5 minutes' }]),
      deps(new FakeProvider({})),
    );
    expect(results[0]?.message).toContain('interval "5 minutes" is invalid');
  });

  it('runs queries concurrently, never more than the limit at once, keeping spec order', async () => {
    const names = Array.from({ length: 10 }, (_, i) => `m${i}`);
    const answers = Object.fromEntries(names.map((n, i) => [n, i]));
    const provider = new FakeProvider(answers, 20);
    const metrics = names.map((name) => ({ name, query: `q_${name}` }));
    const results = await runMetricChecks(canary(metrics), deps(provider, [], { concurrency: 3 }));
    expect(results.map((r) => [r.name, r.value])).toEqual(names.map((n, i) => [n, i]));
    expect(provider.maxInFlight).toBe(3);

    const defaultProvider = new FakeProvider(answers, 20);
    await runMetricChecks(canary(metrics), deps(defaultProvider));
    expect(defaultProvider.maxInFlight).toBe(4);
  });

  it('returns no results for a canary without metrics', async () => {
    expect(await runMetricChecks(canary([]), deps(new FakeProvider({})))).toEqual([]);
  });
});
