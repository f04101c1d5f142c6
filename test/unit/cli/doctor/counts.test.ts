/** The judge's count queries in doctor: run now for a canary with a judge, counts shown, no data explained. */
import type { ResolvedCanary } from '../../../../src/api/defaults.js';
import { resolveJudge } from '../../../../src/api/judge-rules.js';
import type { CanarySpec } from '../../../../src/api/schema/canary.js';
import { observeJudgeCounts } from '../../../../src/cli/ops/doctor/count-runs.js';
import { checkJudgeCounts, countRuns } from '../../../../src/cli/ops/doctor/counts.js';
import { renderReport } from '../../../../src/cli/ops/doctor/render.js';
import { OutboundCallError, type OutboundResponse } from '../../../../src/http/outbound.js';
import { canaryFor } from '../../routers/fixtures.js';
import { countQueryTemplate } from '../../../support/metric-templates.js';
import { prometheusStub, vector } from './fixtures.js';

/** A canary with `spec.analysis.judge`, resolved as the controller resolves it. */
function judged(
  judge: CanarySpec['analysis']['judge'],
  metrics: ResolvedCanary['analysis']['metrics'] = [],
): ResolvedCanary {
  const base = canaryFor({}, {});
  const spec = { ...base.spec, analysis: { ...base.spec.analysis, judge, metrics } };
  return {
    ...base,
    spec,
    metricsServer: 'http://prometheus:9090',
    analysis: { ...base.analysis, metrics, judge: resolveJudge(spec) },
  };
}

/** Counts by version (the workload label) and kind (5xx matcher, le matcher). */
function istioCounts(query: string): OutboundResponse {
  const primary = query.includes('destination_workload="podinfo-primary"');
  if (query.includes('response_code=~"5.*"')) return vector(primary ? 18.4 : 12);
  if (query.includes('le=~')) return vector(primary ? 1162 : 358.2);
  return vector(primary ? 1200.3 : 400);
}

describe('observeJudgeCounts', () => {
  it('runs nothing for a canary without a judge', async () => {
    const { deps, queries } = prometheusStub(istioCounts);
    await expect(observeJudgeCounts({ ...canaryFor(), metricsServer: 'http://p' }, deps)).resolves.toEqual(
      [],
    );
    expect(queries).toEqual([]);
  });

  it("shows each version's counts over the analysis interval, and each query with its value", async () => {
    const { deps } = prometheusStub(istioCounts);
    const observed = await observeJudgeCounts(judged({ latency: { edgeMs: 250 } }), deps);
    expect(checkJudgeCounts(observed, 'test/podinfo')).toEqual([]);
    const [run] = countRuns(observed);
    expect(run).toMatchObject({
      source: 'builtin istio',
      interval: '1m',
      edgeMs: 250,
      canary: { requests: 400, errors: 12, withinEdge: 358 },
      primary: { requests: 1200, errors: 18, withinEdge: 1162 },
    });
    expect(run?.queries.map((q) => `${q.version} ${q.of} ${q.value}`)).toEqual([
      'canary requests 400',
      'canary errors 12',
      'canary withinEdge 358.2',
      'primary requests 1200.3',
      'primary errors 18.4',
      'primary withinEdge 1162',
    ]);
    expect(run?.queries[0]?.query).toContain('destination_workload="podinfo"}[1m]');
    const text = renderReport({
      canary: 'test/podinfo',
      findings: [],
      metrics: [],
      counts: [run!],
      probes: [],
    });
    expect(text).toContain('Judge count queries, run now (builtin istio, over 1m):');
    expect(text).toContain('  canary   400 requests, 12 5xx, 358 within 250 ms');
    expect(text).toContain('  primary  1200 requests, 18 5xx, 1162 within 250 ms');
  });

  it('explains a version without data: no series for its labels', async () => {
    const { deps, queries } = prometheusStub((q) =>
      q.includes('destination_workload="podinfo"')
        ? vector(q.startsWith('count(') ? 0 : undefined)
        : istioCounts(q),
    );
    const findings = checkJudgeCounts(await observeJudgeCounts(judged({}), deps), 'test/podinfo');
    expect(queries).toContain(
      'count(istio_requests_total{reporter="destination",destination_workload_namespace="test",destination_workload="podinfo"})',
    );
    expect(findings).toEqual([
      {
        severity: 'warning',
        area: 'metrics',
        object: 'Canary test/podinfo',
        saw: 'judge count queries (builtin istio): canary requests: no data; no series matches istio_requests_total{reporter="destination",destination_workload_namespace="test",destination_workload="podinfo"}: the workload labels in the query are wrong, or Prometheus does not scrape these pods',
        fix: expect.stringContaining('compare the query labels'),
      },
    ]);
  });

  it('explains a version without data: series without traffic in the interval', async () => {
    const { deps } = prometheusStub((q) =>
      q.includes('destination_workload="podinfo"')
        ? vector(q.startsWith('count(') ? 4 : undefined)
        : istioCounts(q),
    );
    const [finding] = checkJudgeCounts(await observeJudgeCounts(judged({}), deps), 'test/podinfo');
    expect(finding?.saw).toContain('canary requests: no data, although the series exist');
    expect(finding?.fix).toContain('the judge holds the weight');
  });

  it('reports Prometheus unreachable', async () => {
    const down = prometheusStub(() => new OutboundCallError('request failed: ECONNREFUSED', 'network'));
    const [unreachable] = checkJudgeCounts(await observeJudgeCounts(judged({}), down.deps), 'test/podinfo');
    expect(unreachable?.severity).toBe('error');
    expect(unreachable?.saw).toContain(
      'judge count queries (builtin istio): Prometheus at http://prometheus:9090 is unreachable',
    );
    expect(unreachable?.fix).toContain('kubectl port-forward');
  });

  it("runs the judged metric's MetricTemplate count queries instead of the builtin ones, and names the field of a bad one", async () => {
    const template = countQueryTemplate('test', 'app-errors', {
      requests: 'sum(increase(app_requests_total{app="{{ workload }}"}[{{ interval }}]))',
      errors: 'sum(increase(app_requests_total{app="{{ workload }}",code=~"5.."}[{{ interval }}]))',
    });
    const metric = {
      name: 'app-errors',
      judge: true,
      templateRef: { name: 'app-errors' },
      interval: '1m',
      thresholdRange: { max: 1 },
      noDataPolicy: 'fail' as const,
    };
    const { deps } = prometheusStub(
      (q) => (q.includes('app="podinfo-primary"') ? vector(90) : vector(10)),
      template,
    );
    const observed = await observeJudgeCounts({ ...judged({}, [metric]), provider: 'contour' }, deps);
    // Contour has no builtin count queries; the template gives them, so that is no problem.
    // Only the template's queries run: they are what the controller reads.
    expect(countRuns(observed)).toEqual([
      expect.objectContaining({
        source: 'MetricTemplate test/app-errors (metric app-errors)',
        canary: { requests: 10, errors: 10 },
        primary: { requests: 90, errors: 90 },
      }),
    ]);
    const broken = {
      ...template,
      spec: { ...template.spec, countQueries: { ...template.spec.countQueries!, errors: 'sum(x)' } },
    };
    const bad = prometheusStub(() => vector(1), broken);
    const findings = checkJudgeCounts(
      await observeJudgeCounts(judged({}, [metric]), bad.deps),
      'test/podinfo',
    );
    expect(findings.map((f) => f.saw)).toEqual([
      expect.stringContaining(
        '(MetricTemplate test/app-errors (metric app-errors)): MetricTemplate test/app-errors: spec.countQueries.errors: must select',
      ),
    ]);
  });

  it('names the meshes with builtin count queries when neither the mesh nor a judged template gives them', async () => {
    const { deps } = prometheusStub(istioCounts);
    const findings = checkJudgeCounts(
      await observeJudgeCounts({ ...judged({}), provider: 'contour' }, deps),
      'test/podinfo',
    );
    expect(findings).toHaveLength(1);
    expect(findings[0]?.saw).toContain(
      'judge count queries (builtin contour): provider "contour" has no builtin count queries',
    );
    expect(findings[0]?.saw).toContain('istio, linkerd');
  });
});
