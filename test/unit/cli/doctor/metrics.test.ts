/** Metric findings: each check run now through the analysis' providers, and no data explained. */
import { observeMetrics } from '../../../../src/cli/ops/doctor/metric-runs.js';
import { checkMetrics, metricRuns, seriesSelectors } from '../../../../src/cli/ops/doctor/metrics.js';
import { OutboundCallError } from '../../../../src/http/outbound.js';
import { canaryFor } from '../../routers/fixtures.js';
import { prometheusStub, vector } from './fixtures.js';

const canary = canaryFor(
  {},
  {
    metrics: [
      { name: 'request-success-rate', thresholdRange: { min: 99 }, interval: '1m' },
      {
        name: 'errors',
        query: 'sum(rate(app_errors_total{namespace="{{ namespace }}",app="{{ target }}"}[1m]))',
        thresholdRange: { max: 1 },
      },
    ],
  },
);
const withServer = { ...canary, metricsServer: 'http://prometheus:9090' };

describe('seriesSelectors', () => {
  it('takes each metric{labels} selector once, never a by/without clause', () => {
    expect(
      seriesSelectors(
        'sum(rate(a_total{x="1", y=~"b.*"}[1m])) by (z) / sum(rate(a_total{x="1", y=~"b.*"}[1m])) + b{}',
      ),
    ).toEqual(['a_total{x="1", y=~"b.*"}', 'b{}']);
  });
});

describe('observeMetrics and checkMetrics', () => {
  it('reports the value of each check and no finding when all pass', async () => {
    const { deps } = prometheusStub(() => vector('0.5'));
    const passing = {
      ...withServer,
      analysis: { ...withServer.analysis, metrics: [withServer.analysis.metrics[1]!] },
    };
    const observed = await observeMetrics(passing, deps);
    expect(checkMetrics(observed, 'test/podinfo')).toEqual([]);
    expect(metricRuns(observed)).toEqual([
      {
        metric: 'errors',
        query: 'sum(rate(app_errors_total{namespace="test",app="podinfo"}[1m]))',
        value: 0.5,
        result: expect.any(String),
        passed: true,
      },
    ]);
  });

  it('explains no data: unreachable Prometheus', async () => {
    const { deps } = prometheusStub(() => new OutboundCallError('request failed: ECONNREFUSED', 'network'));
    const findings = checkMetrics(await observeMetrics(withServer, deps), 'test/podinfo');
    expect(findings.map((f) => f.severity)).toEqual(['error', 'error']);
    expect(findings[0]?.saw).toContain(
      'request-success-rate: Prometheus at http://prometheus:9090 is unreachable',
    );
  });

  it('explains no data: no series for the workload labels', async () => {
    const { deps, queries } = prometheusStub(() => vector());
    const findings = checkMetrics(await observeMetrics(withServer, deps), 'test/podinfo');
    expect(queries).toContain('count(app_errors_total{namespace="test",app="podinfo"})');
    expect(findings[1]).toMatchObject({
      severity: 'warning',
      area: 'metrics',
      object: 'Canary test/podinfo',
    });
    expect(findings[1]?.saw).toBe(
      'errors: no data; no series matches app_errors_total{namespace="test",app="podinfo"}: the workload labels in the query are wrong, or Prometheus does not scrape these pods',
    );
  });

  it('explains no data: series exist but no traffic in the interval', async () => {
    const { deps } = prometheusStub((q) => (q.startsWith('count(') ? vector('3') : vector()));
    const findings = checkMetrics(await observeMetrics(withServer, deps), 'test/podinfo');
    expect(findings[1]?.saw).toContain(
      'errors: no data, although the series exist (app_errors_total{namespace="test",app="podinfo"}: 3 series)',
    );
    expect(findings[1]?.fix).toContain('noDataPolicy: pass');
  });

  it('reports a check that fails its threshold, and one that cannot be planned', async () => {
    const { deps } = prometheusStub(() => vector('5'));
    const findings = checkMetrics(await observeMetrics(canary, deps), 'test/podinfo');
    // Without a metrics server neither query runs: each check says so.
    expect(findings.map((f) => f.severity)).toEqual(['error', 'error']);
    expect(findings[0]?.saw).toContain('needs a Prometheus address');
    const failing = checkMetrics(await observeMetrics(withServer, deps), 'test/podinfo');
    expect(failing.map((f) => [f.severity, f.saw])).toEqual([
      ['warning', expect.stringContaining('request-success-rate: 5 is below the minimum 99')],
      ['warning', expect.stringContaining('errors: 5 is above the maximum 1')],
    ]);
  });
});
