/**
 * PrometheusProvider and runMetricChecks against a real Prometheus scraping known Istio series,
 * plus a recording stub of the query API for auth, headers, TLS and error answers.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { builtinQuery } from '../../analysis/builtin-queries.js';
import { MetricQueryError, type MetricQuery } from '../../analysis/provider.js';
import { PrometheusProvider } from '../../analysis/providers/prometheus.js';
import { runMetricChecks } from '../../analysis/run-checks.js';
import { resolveCanary } from '../../src/api/defaults.js';
import type { Canary } from '../../src/api/schema/canary.js';
import type { MetricTemplate } from '../../src/api/schema/metric-template.js';
import {
  CONTRACT_INTERVAL,
  CONTRACT_NAMESPACE,
  describeMetricsProviderContract,
} from '../contract/metrics-provider-contract.js';
import {
  istioFeed,
  startPrometheus,
  startPrometheusApiStub,
  type PrometheusApiStub,
  type PrometheusInstance,
} from '../support/prometheus.js';

const NS = CONTRACT_NAMESPACE;
const WINDOW = CONTRACT_INTERVAL;

// CONTRACT_TRAFFIC. podinfo: 95 of 100 requests per second are not 5xx; the p99 latency
// interpolates to exactly 100 + (250 - 100) * (99 - 97) / (99.5 - 97) = 220 ms. backend: 50%.
const feed = istioFeed([
  {
    namespace: NS,
    workload: 'podinfo',
    requestsPerSecondByCode: { '200': 90, '404': 5, '500': 3, '503': 2 },
    bucketsPerSecond: [
      ['5', 10],
      ['10', 30],
      ['25', 60],
      ['50', 90],
      ['100', 97],
      ['250', 99.5],
      ['500', 100],
      ['+Inf', 100],
    ],
    latencySumPerSecond: 3_500,
  },
  {
    namespace: NS,
    workload: 'backend',
    requestsPerSecondByCode: { '200': 10, '500': 10 },
    bucketsPerSecond: [
      ['100', 5],
      ['+Inf', 20],
    ],
    latencySumPerSecond: 20_000,
  },
]);

function metricQuery(text: string, metric = 'm'): MetricQuery {
  return { text, metric, namespace: NS, target: 'podinfo', intervalMs: 30_000 };
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

let prometheus: PrometheusInstance;

beforeAll(async () => {
  prometheus = await startPrometheus({ feed });
  // Two samples in the window are enough for rate(); wait for the histogram too.
  await prometheus.waitFor(
    `count_over_time(istio_request_duration_milliseconds_bucket{destination_workload="podinfo",le="+Inf"}[${WINDOW}])`,
    (v) => (v[0] ?? 0) >= 2,
  );
}, 45_000);

afterAll(async () => {
  await prometheus?.stop();
});

// The builtin queries' success rate, p99, per-workload answers and "no traffic" are the contract's;
// the feed above serves its CONTRACT_TRAFFIC.
describeMetricsProviderContract('PrometheusProvider against a real Prometheus', () => ({
  provider: new PrometheusProvider({ address: prometheus.address }),
  unanswerable: metricQuery('sum(rate(', 'request-success-rate'),
}));

describe('PrometheusProvider against a real Prometheus', () => {
  it('returns +Inf as Infinity (so a max bound fails), not as "no data"', async () => {
    const provider = new PrometheusProvider({ address: prometheus.address });
    expect(await provider.query(metricQuery('vector(1) / vector(0)'))).toBe(Infinity);
    expect(await provider.query(metricQuery('scalar(vector(-1) / vector(0))'))).toBe(-Infinity);
  });

  it('returns undefined for NaN', async () => {
    const provider = new PrometheusProvider({ address: prometheus.address });
    expect(await provider.query(metricQuery('vector(0) / vector(0)'))).toBeUndefined();
  });

  it('returns a scalar result', async () => {
    const provider = new PrometheusProvider({ address: prometheus.address });
    expect(await provider.query(metricQuery('scalar(vector(42.5))'))).toBe(42.5);
  });

  it('rejects a query returning several series, naming how many and the query', async () => {
    const provider = new PrometheusProvider({ address: prometheus.address });
    const text = `sum by (response_code) (rate(istio_requests_total{destination_workload="podinfo"}[${WINDOW}]))`;
    const error = await provider.query(metricQuery(text)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MetricQueryError);
    expect((error as Error).message).toContain('returned 4 series');
    expect((error as Error).message).toContain(text);
  });

  it('rejects invalid PromQL with the status Prometheus returned', async () => {
    const provider = new PrometheusProvider({ address: prometheus.address });
    const error = await provider.query(metricQuery('sum(rate(')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MetricQueryError);
    expect((error as Error).message).toMatch(new RegExp(`Prometheus at ${prometheus.address} returned 400`));
  });

  it('rejects when nothing listens at the address, saying it is unreachable', async () => {
    const address = `http://127.0.0.1:${await closedPort()}`;
    const provider = new PrometheusProvider({ address, timeoutMs: 1_000 });
    const error = await provider.query(metricQuery('up')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MetricQueryError);
    expect((error as Error).message).toContain(`Prometheus at ${address} is unreachable`);
    expect((error as Error).message).toContain('ECONNREFUSED');
    expect((error as MetricQueryError).cause).toBeDefined();
  });
});

describe('PrometheusProvider auth, headers, TLS and error answers (recording stub)', () => {
  let stub: PrometheusApiStub;
  const one = {
    status: 'success',
    data: { resultType: 'vector', result: [{ metric: {}, value: [1, '7'] }] },
  };

  afterEach(async () => {
    await stub?.stop();
  });

  it('sends the bearer token and extra headers with the query', async () => {
    stub = await startPrometheusApiStub();
    stub.reply(() => ({ body: one }));
    const provider = new PrometheusProvider({
      address: stub.address,
      auth: { bearerToken: 's3cret' },
      headers: { 'X-Scope-OrgID': 'tenant-a' },
    });
    expect(await provider.query(metricQuery('up == 1'))).toBe(7);
    const [request] = stub.requests;
    expect(request?.path).toBe('/api/v1/query');
    expect(request?.params.get('query')).toBe('up == 1');
    expect(request?.headers['authorization']).toBe('Bearer s3cret');
    expect(request?.headers['x-scope-orgid']).toBe('tenant-a');
  });

  it('sends basic auth', async () => {
    stub = await startPrometheusApiStub();
    stub.reply(() => ({ body: one }));
    const provider = new PrometheusProvider({
      address: stub.address,
      auth: { username: 'ada', password: 'pw' },
    });
    await provider.query(metricQuery('up'));
    expect(stub.requests[0]?.headers['authorization']).toBe(
      `Basic ${Buffer.from('ada:pw').toString('base64')}`,
    );
  });

  it('keeps a path prefix of the address', async () => {
    stub = await startPrometheusApiStub();
    stub.reply(() => ({ body: one }));
    await new PrometheusProvider({ address: `${stub.address}/prometheus/` }).query(metricQuery('up'));
    expect(stub.requests[0]?.path).toBe('/prometheus/api/v1/query');
  });

  it('reports the status of a non-Prometheus error answer (a proxy refusing the token)', async () => {
    stub = await startPrometheusApiStub();
    stub.reply((r) =>
      r.headers['authorization'] === 'Bearer good'
        ? { body: one }
        : { status: 401, body: 'Unauthorized: token refused' },
    );
    const provider = new PrometheusProvider({ address: stub.address, auth: { bearerToken: 'wrong-token' } });
    const error = await provider.query(metricQuery('up')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MetricQueryError);
    expect((error as Error).message).toContain(`Prometheus at ${stub.address} returned 401`);
    expect((error as Error).message).toContain('token refused');
    expect((error as Error).message).not.toContain('wrong-token');
  });

  it('times out after timeoutMs, the whole answer included', async () => {
    stub = await startPrometheusApiStub();
    stub.reply(() => ({ body: one, delayMs: 2_000 }));
    const provider = new PrometheusProvider({ address: stub.address, timeoutMs: 200 });
    const started = Date.now();
    const error = await provider.query(metricQuery('up')).catch((e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(1_500);
    expect(error).toBeInstanceOf(MetricQueryError);
    expect((error as Error).message).toContain('query for m failed: no complete answer within 200ms');
  });

  it('accepts a self-signed certificate only with insecureSkipVerify', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fledge-tls-'));
    try {
      execFileSync(
        'openssl',
        ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=127.0.0.1', '-days', '1'].concat([
          '-keyout',
          join(dir, 'key.pem'),
          '-out',
          join(dir, 'cert.pem'),
        ]),
        { stdio: 'ignore' },
      );
      stub = await startPrometheusApiStub({
        tls: {
          key: readFileSync(join(dir, 'key.pem'), 'utf8'),
          cert: readFileSync(join(dir, 'cert.pem'), 'utf8'),
        },
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    stub.reply(() => ({ body: one }));
    const strict = new PrometheusProvider({ address: stub.address });
    const error = await strict.query(metricQuery('up')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MetricQueryError);
    expect((error as Error).message).toContain('is unreachable');
    const lax = new PrometheusProvider({ address: stub.address, insecureSkipVerify: true });
    expect(await lax.query(metricQuery('up'))).toBe(7);
  });
});

describe('runMetricChecks end to end', () => {
  function canary(metrics: NonNullable<Canary['spec']['analysis']['metrics']>): Canary {
    return {
      apiVersion: 'fledge.dev/v1alpha1',
      kind: 'Canary',
      metadata: { name: 'podinfo', namespace: NS },
      spec: {
        provider: 'istio',
        metricsServer: prometheus.address,
        targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'podinfo' },
        service: { port: 9898 },
        analysis: { interval: '10s', metrics },
      },
    };
  }

  it('produces passed and failed checks with values and resolved queries', async () => {
    const template: MetricTemplate = {
      apiVersion: 'fledge.dev/v1alpha1',
      kind: 'MetricTemplate',
      metadata: { name: 'error-rate', namespace: 'istio-system' },
      spec: {
        provider: { type: 'prometheus', address: prometheus.address },
        query:
          '100 - sum(rate(istio_requests_total{destination_workload_namespace="{{ namespace }}",destination_workload="{{target}}",response_code!~"{{ variables.codes }}"}[{{ interval }}])) / sum(rate(istio_requests_total{destination_workload_namespace="{{ namespace }}",destination_workload="{{ target }}"}[{{ interval }}])) * 100',
      },
    };
    const resolved = resolveCanary(
      canary([
        { name: 'request-success-rate', interval: WINDOW, thresholdRange: { min: 99 } },
        { name: 'request-duration', interval: WINDOW, thresholdRange: { max: 500 } },
        {
          name: 'error-rate',
          interval: WINDOW,
          templateRef: { name: 'error-rate', namespace: 'istio-system' },
          templateVariables: { codes: '5.*' },
          thresholdRange: { max: 10 },
        },
        {
          name: 'absent-traffic',
          interval: WINDOW,
          query: 'sum(rate(istio_requests_total{destination_workload="absent"}[{{ interval }}]))',
          noDataPolicy: 'pass',
          thresholdRange: { min: 1 },
        },
        { name: 'missing', templateRef: { name: 'nope' }, thresholdRange: { max: 1 } },
      ]),
      { defaultProvider: 'istio' },
    );
    const results = await runMetricChecks(resolved, {
      getTemplate: async (namespace, name) =>
        namespace === 'istio-system' && name === 'error-rate' ? template : undefined,
      providerFor: (spec) => new PrometheusProvider({ address: spec.address, headers: spec.headers }),
    });

    expect(results.map((r) => [r.name, r.passed])).toEqual([
      ['request-success-rate', false],
      ['request-duration', true],
      ['error-rate', true],
      ['absent-traffic', true],
      ['missing', false],
    ]);
    const [success, duration, errorRate, absent, missing] = results;
    expect(success?.value).toBeCloseTo(95, 1);
    expect(success?.min).toBe(99);
    expect(success?.query).toBe(
      builtinQuery('istio', 'request-success-rate', { namespace: NS, target: 'podinfo', interval: WINDOW }),
    );
    expect(success?.message).toContain('below the minimum 99');
    expect(duration?.value).toBeCloseTo(220, 0);
    expect(duration?.max).toBe(500);
    expect(errorRate?.value).toBeCloseTo(5, 1);
    expect(errorRate?.query).toContain('destination_workload="podinfo",response_code!~"5.*"}[30s]');
    expect(absent?.value).toBeUndefined();
    expect(absent?.message).toContain('no values found');
    expect(absent?.query).toBe('sum(rate(istio_requests_total{destination_workload="absent"}[30s]))');
    expect(missing?.message).toContain(`MetricTemplate ${NS}/nope not found`);
  });

  it('fails every check with a clear message when the metrics server is down', async () => {
    const resolved = resolveCanary(
      {
        ...canary([{ name: 'request-success-rate', interval: WINDOW, thresholdRange: { min: 99 } }]),
      },
      { defaultProvider: 'istio' },
    );
    const address = `http://127.0.0.1:${await closedPort()}`;
    const results = await runMetricChecks(
      { ...resolved, metricsServer: address },
      {
        getTemplate: async () => undefined,
        providerFor: (spec) => new PrometheusProvider({ address: spec.address, timeoutMs: 1_000 }),
      },
    );
    expect(results).toHaveLength(1);
    expect(results[0]?.passed).toBe(false);
    expect(results[0]?.message).toContain(`Prometheus at ${address} is unreachable`);
    expect(results[0]?.query).toContain('istio_requests_total');
  });
});
