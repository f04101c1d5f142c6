/**
 * The judge's count queries against a real Prometheus: known traffic (N requests, E of them 5xx,
 * a latency mix) is recorded for a canary and its primary through the e2e harness's metric
 * exporters (Istio, Linkerd, the HTTP observer, NGINX), Prometheus scrapes them, and
 * `observeCounts` must read those counts back, through the builtin queries and a MetricTemplate's.
 *
 * How close: the traffic lands between two scrapes, after Prometheus has held 1 s scrapes for more
 * than the whole window, and the queries run a few seconds later. `increase` then sees the exact
 * delta between the window's first and last samples and extrapolates it to the window's edges, by
 * at most 1.1 scrape intervals at each end: a count reads between N and N x 30 / 27.8 (less than
 * 8% above), and all counts of one version share that factor, so errors / requests is E / N to
 * within one count.
 */
import { builtinCountQueries, observeCounts, type CountQueries } from '../../analysis/judge/count-queries.js';
import type { IntervalObservation, VersionCounts } from '../../analysis/judge/observation.js';
import { templateCountQueries } from '../../analysis/judge/template-count-queries.js';
import { MetricQueryError } from '../../analysis/provider.js';
import { PrometheusProvider } from '../../analysis/providers/prometheus.js';
import type { MetricsEndpoint, ObservedRequest } from '../e2e/harness/metrics/endpoint.js';
import { HttpObserverMetrics } from '../e2e/harness/metrics/http-observer.js';
import { IstioMetrics } from '../e2e/harness/metrics/istio.js';
import { LinkerdMetrics } from '../e2e/harness/metrics/linkerd.js';
import { NginxMetrics } from '../e2e/harness/metrics/nginx.js';
import { countQueryTemplate } from '../support/metric-templates.js';
import { istioFeed, startPrometheus, type PrometheusInstance } from '../support/prometheus.js';

const NS = 'judge';
const TARGET = 'podinfo';
const PRIMARY = 'podinfo-primary';
const WINDOW = '30s';
const WINDOW_S = 30;
/** The most `increase` extrapolates a count over {@link WINDOW} (see the file's comment). */
const MAX_FACTOR = WINDOW_S / (WINDOW_S - 2.2);
/** A bucket bound of every exporter's histogram (Istio's, Linkerd's and Prometheus' default buckets). */
const EDGE_MS = 500;

/** The traffic one version receives: how many requests of each code take how long. */
interface Traffic {
  pod: string;
  /** [response code, duration in ms, requests]. */
  requests: [code: number, durationMs: number, count: number][];
}

/** The latency mix: [response code, duration in ms] of each kind of request, 700 and 900 past the edge. */
const KINDS: [code: number, durationMs: number][] = [
  [200, 20],
  [200, 150],
  [200, 700],
  [500, 30],
  [503, 900],
];

function traffic(pod: string, counts: number[]): Traffic {
  return { pod, requests: KINDS.map(([code, ms], i) => [code, ms, counts[i] ?? 0]) };
}

// The canary: 400 requests, 12 of them 5xx (3%), 358 within the edge; the primary 1,200, 18, 1,162.
const TRAFFIC: Record<'canary' | 'primary', Traffic> = {
  canary: traffic(`${TARGET}-6b9c5d8f7d-x2k4p`, [300, 50, 38, 8, 4]),
  primary: traffic(`${PRIMARY}-7c8d9e0f1a-q9w8e`, [1000, 150, 32, 12, 6]),
};

/** What the traffic of a version amounts to, as the judge reads it. */
function expected(t: Traffic): VersionCounts {
  const sum = (keep: (code: number, ms: number) => boolean) =>
    t.requests.reduce((n, [code, ms, count]) => (keep(code, ms) ? n + count : n), 0);
  return {
    requests: sum(() => true),
    errors: sum((code) => code >= 500),
    buckets: [{ le: EDGE_MS, count: sum((_code, ms) => ms <= EDGE_MS) }],
  };
}

function request(version: 'canary' | 'primary', code: number, durationMs: number): ObservedRequest {
  const workload = version === 'canary' ? TARGET : PRIMARY;
  return {
    sourceWorkload: 'loadtester',
    namespace: NS,
    destinationWorkload: workload,
    destinationPod: TRAFFIC[version].pod,
    destinationService: version === 'canary' ? `${TARGET}-canary` : `${TARGET}-primary`,
    destinationPort: 9898,
    method: 'GET',
    path: '/',
    responseCode: code,
    responseFlags: '-',
    durationMs,
    ingress: TARGET,
    ...(version === 'canary' ? { canaryUpstream: `${NS}-${TARGET}-canary-9898` } : {}),
  };
}

const exporters = {
  istio: new IstioMetrics(),
  linkerd: new LinkerdMetrics(),
  http: new HttpObserverMetrics(),
  nginx: new NginxMetrics(),
};
const all: MetricsEndpoint[] = Object.values(exporters);

/** Records one version's traffic, or one request of each of its label sets (`warmUp`). */
function send(version: 'canary' | 'primary', warmUp: boolean): void {
  for (const [code, ms, count] of TRAFFIC[version].requests) {
    for (let i = 0; i < (warmUp ? 1 : count); i++) for (const e of all) e.record(request(version, code, ms));
  }
}

// The same shape written the way OpenMetrics exporters and Prometheus 3 write `le` ("250.0").
const OPENMETRICS_NS = 'openmetrics';
let openMetricsStarted = false;
const openMetricsFeed = istioFeed([
  {
    namespace: OPENMETRICS_NS,
    workload: TARGET,
    requestsPerSecondByCode: { '200': 9, '500': 1 },
    bucketsPerSecond: [
      ['100.0', 6],
      ['500.0', 9],
      ['+Inf', 10],
    ],
    latencySumPerSecond: 2_000,
  },
]);

let prometheus: PrometheusInstance;
let provider: PrometheusProvider;

beforeAll(async () => {
  // Every series exists before the traffic: a series' first sample is not an increase.
  send('canary', true);
  send('primary', true);
  const feeds = Object.values(exporters).map((e) => e.snapshotFeed());
  prometheus = await startPrometheus({
    feed: async () => {
      const own = feeds.map((f) => f()).join('\n');
      return `${own}\n${openMetricsStarted ? await openMetricsFeed() : ''}`;
    },
  });
  provider = new PrometheusProvider({ address: prometheus.address });
  // Samples must cover the whole window before the traffic lands, so `increase` reads its delta.
  await prometheus.waitFor('count_over_time(up[5m])', (v) => (v[0] ?? 0) >= WINDOW_S + 3, 90_000);
  send('canary', false);
  send('primary', false);
  const total = expected(TRAFFIC.canary).requests + 1 + expected(TRAFFIC.primary).requests + 1;
  await prometheus.waitFor(
    `sum(istio_requests_total{destination_workload_namespace="${NS}"})`,
    (v) => (v[0] ?? 0) >= total,
  );
  // And one scrape more, so every exporter's snapshot of the traffic has been scraped.
  const scrapes = (await prometheus.rawQuery('count_over_time(up[5m])'))[0]?.value[1] ?? '0';
  await prometheus.waitFor('count_over_time(up[5m])', (v) => (v[0] ?? 0) > Number(scrapes) + 1);
}, 150_000);

afterAll(async () => {
  await prometheus?.stop();
  await Promise.all(all.map((e) => e.stop()));
});

function observe(queries: CountQueries, namespace = NS): Promise<IntervalObservation> {
  return observeCounts(queries, {
    provider,
    metric: 'request-success-rate',
    namespace,
    target: TARGET,
    intervalMs: 30_000,
  });
}

/** A count read through `increase`: the true count, extrapolated by a factor in [1, MAX_FACTOR]. */
function expectExtrapolated(read: number, sent: number): void {
  expect(read).toBeGreaterThanOrEqual(sent);
  expect(read).toBeLessThanOrEqual(Math.ceil(sent * MAX_FACTOR));
}

function expectCounts(read: VersionCounts | undefined, sent: VersionCounts): void {
  expect(read).toBeDefined();
  const r = read as VersionCounts;
  expectExtrapolated(r.requests, sent.requests);
  expectExtrapolated(r.errors, sent.errors);
  // One factor for every count of a version: the error share is the one sent, to within one count.
  expect(Math.abs(r.errors - (sent.errors * r.requests) / sent.requests)).toBeLessThan(1);
  const within = r.buckets?.[0];
  expect(within?.le).toBe(EDGE_MS);
  expectExtrapolated(within?.count ?? -1, sent.buckets?.[0]?.count ?? 0);
}

const params = { namespace: NS, target: TARGET, primary: PRIMARY, interval: WINDOW, edgeMs: EDGE_MS };

describe.each([
  ['istio', {}],
  ['linkerd', {}],
  ['kubernetes', {}],
  ['nginx', { ingress: TARGET }],
])('builtin count queries of %s against a real Prometheus', (mesh, extra) => {
  it("give the requests, 5xx and requests within the edge that each version was sent, the primary's apart", async () => {
    const read = await observe(builtinCountQueries(mesh, { ...params, ...extra }));
    expectCounts(read.canary, expected(TRAFFIC.canary));
    expectCounts(read.primary, expected(TRAFFIC.primary));
  });
});

describe('count queries against a real Prometheus', () => {
  it("give a MetricTemplate's count queries the same counts (Linkerd's series, {{ workload }})", async () => {
    const sel = 'namespace="{{ namespace }}",deployment="{{ workload }}",direction="inbound"';
    const template = countQueryTemplate(
      NS,
      'linkerd-counts',
      {
        requests: `sum(increase(response_total{${sel}}[{{ interval }}]))`,
        errors: `sum(increase(response_total{${sel},classification="failure"}[{{ interval }}]))`,
        withinEdge: `sum(increase(response_latency_ms_bucket{${sel},le="{{ edgeMs }}"}[{{ interval }}]))`,
      },
      prometheus.address,
    );
    const context = {
      name: TARGET,
      namespace: NS,
      target: TARGET,
      service: TARGET,
      ingress: TARGET,
      route: TARGET,
      interval: WINDOW,
    };
    const read = await observe(
      templateCountQueries(template, { context, primary: PRIMARY, edgeMs: EDGE_MS }),
    );
    expectCounts(read.canary, expected(TRAFFIC.canary));
    expectCounts(read.primary, expected(TRAFFIC.primary));
  });

  it('reject an edge that is not a bucket bound of the histogram instead of reading 0 within it', async () => {
    // Linkerd's buckets go 200, 300: none is 250.
    const error = await observe(builtinCountQueries('linkerd', { ...params, edgeMs: 250 })).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(MetricQueryError);
    expect((error as Error).message).toContain('250 ms');
    expect((error as Error).message).toContain('bucket bound');
  });

  it('find the edge bucket whether the exporter writes le as "500" or "500.0"', async () => {
    openMetricsStarted = true;
    await prometheus.waitFor(
      `count_over_time(istio_requests_total{destination_workload_namespace="${OPENMETRICS_NS}"}[1m])`,
      (v) => (v[0] ?? 0) >= 2,
    );
    const queries = builtinCountQueries('istio', { ...params, namespace: OPENMETRICS_NS });
    const read = (await observe(queries, OPENMETRICS_NS)).canary;
    expect(read?.requests).toBeGreaterThan(0);
    // The series started within the window, so the counts are not the window's; their shares are.
    expect((read?.buckets?.[0]?.count ?? 0) / (read?.requests ?? 1)).toBeCloseTo(0.9, 1);
    expect((read?.errors ?? 0) / (read?.requests ?? 1)).toBeCloseTo(0.1, 1);
  });
});
