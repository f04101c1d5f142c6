/**
 * The chart's Grafana dashboard against a real Prometheus: every panel's queries, and those of
 * the template variables, evaluated with the variables set as Grafana would set them, on known
 * series of Fledge's own metrics (exposed by the real ControllerMetrics) and of Istio's and
 * Linkerd's request metrics. Each query must return exactly the expected series (named by the
 * panel's legend) and values, so a misspelt metric, a wrong label or filter, or a broken
 * expression fails here; so does a panel without an expectation below.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Phase } from '../../src/api/schema/canary.js';
import type { TickReport } from '../../src/controller/tick-result.js';
import { ControllerMetrics } from '../../src/observability/controller-metrics.js';
import { packageVersion } from '../../src/observability/version.js';
import {
  istioFeed,
  linkerdFeed,
  startPrometheus,
  type PrometheusInstance,
  type WorkloadRates,
} from '../support/prometheus.js';

const DASHBOARD = join(process.cwd(), 'charts/fledge/dashboards/fledge.json');
const NS = 'test';

interface Target {
  refId: string;
  expr: string;
  legendFormat?: string;
}
interface Panel {
  title: string;
  type: string;
  repeat?: string;
  targets?: Target[];
  panels?: Panel[];
}
interface Variable {
  name: string;
  type: string;
  query: string | { query: string };
}
interface Dashboard {
  panels: Panel[];
  templating: { list: Variable[] };
}

// Primary: 99 of 100 requests per second succeed, p99 = 50 + 50 * (99 - 90) / (100 - 90) = 95 ms.
// Canary: 9 of 10, p99 = 100 + 400 * (9.9 - 5) / (10 - 5) = 492 ms. backend must not show.
const workloads = (namespace: string): WorkloadRates[] => [
  {
    namespace,
    workload: 'podinfo-primary',
    requestsPerSecondByCode: { '200': 95, '404': 4, '503': 1 },
    bucketsPerSecond: [
      ['50', 90],
      ['100', 100],
      ['+Inf', 100],
    ],
    latencySumPerSecond: 4_000,
  },
  {
    namespace,
    workload: 'podinfo',
    requestsPerSecondByCode: { '200': 9, '500': 1 },
    bucketsPerSecond: [
      ['100', 5],
      ['500', 10],
      ['+Inf', 10],
    ],
    latencySumPerSecond: 2_000,
  },
  {
    namespace,
    workload: 'backend',
    requestsPerSecondByCode: { '200': 1, '500': 1 },
    bucketsPerSecond: [['+Inf', 2]],
    latencySumPerSecond: 100,
  },
];

function report(target: string, phaseBefore: Phase, phase: Phase, canaryWeight: number): TickReport {
  return {
    target,
    strategy: 'canary',
    skipAnalysis: false,
    phaseBefore,
    phase,
    routes: { primary: 100 - canaryWeight, canary: canaryWeight, mirrored: false },
  };
}

/** The controller's own metrics: three canaries in `test`, one in `other` that no panel may show. */
function fledgeMetrics(): ControllerMetrics {
  const metrics = new ControllerMetrics({ processMetrics: false });
  metrics.setInfo(packageVersion(), 'istio');
  metrics.attachCanaryCounts(
    () =>
      new Map([
        [NS, 3],
        ['other', 1],
      ]),
  );
  metrics.recordTick(
    NS,
    'podinfo',
    { phase: 'Failed', report: report('podinfo', 'Progressing', 'Failed', 0) },
    1,
  );
  metrics.recordTick(
    NS,
    'backend',
    { phase: 'Succeeded', report: report('backend', 'Finalising', 'Succeeded', 0) },
    1,
  );
  metrics.recordTick(
    NS,
    'api',
    {
      phase: 'Succeeded',
      report: { ...report('api', 'Finalising', 'Succeeded', 0), strategy: 'blue-green' },
    },
    1,
  );
  metrics.recordTick(
    'other',
    'podinfo',
    { phase: 'Progressing', report: report('podinfo', 'Failed', 'Progressing', 50) },
    1,
  );
  return metrics;
}

/** One analysed tick of test/podinfo at weight 30 taking 200 ms: recorded at every scrape. */
const analysedTick = {
  phase: 'Progressing' as const,
  report: {
    ...report('podinfo', 'Progressing', 'Progressing', 30),
    checks: [
      {
        name: 'request-success-rate',
        kind: 'metric' as const,
        passed: true,
        value: 99.5,
        min: 99,
        message: '',
      },
      { name: 'request-duration', kind: 'metric' as const, passed: true, value: 180, max: 500, message: '' },
      { name: 'load-test', kind: 'webhook' as const, passed: true, message: '' },
    ],
  },
};

/** What each query must return: legend -> value. Keys: `<panel title> <refId>` (repeats: per value). */
const EXPECTED: Record<string, Record<string, number>> = {
  'Canaries by phase A': { Progressing: 1, Succeeded: 2 },
  'Canaries A': { canaries: 3 },
  'Rollouts promoted and failed A': { 'promoted (canary)': 1, 'promoted (blue-green)': 1 },
  'Rollouts promoted and failed B': { 'failed (canary)': 1 },
  'Controller A': { [`${packageVersion()} istio`]: 1 },
  'Status A': { status: 0 },
  'Traffic weight A': { 'podinfo-primary': 70, podinfo: 30 },
  'Analysis duration (p99) A': { p99: 0.1 + 0.15 * 0.99 },
  'Check request-success-rate A': { value: 99.5 },
  'Check request-success-rate B': { min: 99 },
  'Check request-duration A': { value: 180 },
  'Check request-duration B': { max: 500 },
  'Istio success rate A': { 'podinfo-primary': 99, podinfo: 90 },
  'Istio latency (p99) A': { 'podinfo-primary': 95, podinfo: 492 },
  'Linkerd success rate A': { 'podinfo-primary': 99, podinfo: 90 },
  'Linkerd latency (p99) A': { 'podinfo-primary': 95, podinfo: 492 },
};

/** The values each template variable's query must offer. */
const EXPECTED_VARIABLES: Record<string, string[]> = {
  namespace: ['other', NS],
  target: ['api', 'backend', 'podinfo'],
  metric: ['request-duration', 'request-success-rate'],
};

/** The values the test gives the variables, as a user picking them in Grafana would. */
const CHOSEN: Record<string, string> = { namespace: NS, target: 'podinfo', __rate_interval: '10s' };

const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as Dashboard;
let prometheus: PrometheusInstance;

beforeAll(async () => {
  const metrics = fledgeMetrics();
  const istio = istioFeed([...workloads(NS), ...workloads('other')]);
  const linkerd = linkerdFeed([...workloads(NS), ...workloads('other')]);
  prometheus = await startPrometheus({
    feed: async () => {
      metrics.recordTick(NS, 'podinfo', analysedTick, 200);
      return (await metrics.registry.metrics()) + istio() + linkerd();
    },
    minScrapes: 5,
  });
}, 60_000);

afterAll(async () => {
  await prometheus?.stop();
});

/** Replaces Grafana's `$name` and `${name}` references; an unknown one fails, naming it. */
function substitute(text: string, values: Record<string, string>): string {
  return text.replace(/\$\{(\w+)\}|\$(\w+)/g, (_match, braced?: string, bare?: string) => {
    const name = (braced ?? bare)!;
    const value = values[name];
    if (value === undefined)
      throw new Error(`"${text}" uses the variable $${name}, which the test does not set`);
    return value;
  });
}

/** A Grafana legend (`{{label}}`) for one series. */
function legend(format: string | undefined, labels: Record<string, string>): string {
  return (format ?? '').replace(/\{\{\s*(\w+)\s*\}\}/g, (_m, name: string) => labels[name] ?? '');
}

/** Panels of the dashboard, those inside rows included. */
function allPanels(panels: Panel[]): Panel[] {
  return panels.flatMap((p) => [p, ...allPanels(p.panels ?? [])]).filter((p) => p.type !== 'row');
}

/** Evaluates `label_values(selector, label)` as Grafana does: the label's distinct values. */
async function labelValues(query: string, values: Record<string, string>): Promise<string[]> {
  const m = /^label_values\((.+),\s*(\w+)\)$/.exec(substitute(query, values));
  if (!m) throw new Error(`variable query ${query}: expected label_values(selector, label)`);
  const series = await prometheus.rawQuery(m[1]!);
  return [...new Set(series.map((s) => s.metric[m[2]!]).filter((v): v is string => v !== undefined))].sort();
}

async function evaluate(
  panel: Panel,
  values: Record<string, string>,
): Promise<Record<string, Record<string, number>>> {
  const out: Record<string, Record<string, number>> = {};
  for (const target of panel.targets ?? []) {
    const key = `${substitute(panel.title, values)} ${target.refId}`;
    const result = await prometheus.rawQuery(substitute(target.expr, values));
    const series: Record<string, number> = {};
    for (const s of result) {
      const name = legend(target.legendFormat, s.metric);
      if (name in series) throw new Error(`${key}: two series share the legend "${name}"`);
      series[name] = parseFloat(s.value[1]);
    }
    out[key] = series;
  }
  return out;
}

it('offers the known namespaces, targets and checks in its variables', async () => {
  const variables = dashboard.templating.list.filter((v) => v.type === 'query');
  const got: Record<string, string[]> = {};
  for (const v of variables) {
    got[v.name] = await labelValues(typeof v.query === 'string' ? v.query : v.query.query, CHOSEN);
  }
  expect(got).toEqual(EXPECTED_VARIABLES);
});

it('answers every panel query with the expected series and values', async () => {
  const got: Record<string, Record<string, number>> = {};
  for (const panel of allPanels(dashboard.panels)) {
    // A repeated panel is drawn once per value of its variable: each one is checked.
    const repeats = panel.repeat ? EXPECTED_VARIABLES[panel.repeat] : [undefined];
    if (!repeats) throw new Error(`panel "${panel.title}" repeats over an unknown variable ${panel.repeat}`);
    for (const value of repeats) {
      const values = panel.repeat && value !== undefined ? { ...CHOSEN, [panel.repeat]: value } : CHOSEN;
      Object.assign(got, await evaluate(panel, values));
    }
  }
  expect(Object.keys(got).sort()).toEqual(Object.keys(EXPECTED).sort());
  for (const [key, expected] of Object.entries(EXPECTED)) {
    const series = got[key]!;
    expect({ key, legends: Object.keys(series).sort() }).toEqual({
      key,
      legends: Object.keys(expected).sort(),
    });
    for (const [name, value] of Object.entries(expected)) {
      if (Math.abs(series[name]! - value) > 1e-6)
        throw new Error(`${key} "${name}": expected ${value}, got ${series[name]}`);
    }
  }
});
