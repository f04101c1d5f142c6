/**
 * The e2e traffic harness on its own, without a kube-apiserver: VirtualServices are fed through the
 * in-memory cluster, traffic goes over real HTTP to real version-server processes, and Istio's
 * metrics are scraped by a real Prometheus.
 */
import { execFileSync } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { builtinQuery } from '../../analysis/builtin-queries.js';
import { PrometheusProvider } from '../../analysis/providers/prometheus.js';
import { createRandom } from '../../analysis/providers/simulated.js';
import { MemoryCluster } from '../../src/kube/memory/memory-cluster.js';
import { API } from '../../src/kube/resources.js';
import type { HttpRoute, VirtualServiceSpec } from '../../src/sandbox/virtual-service-routing.js';
import { startPrometheus, type PrometheusInstance } from '../support/prometheus.js';
import { apexDestinations } from './harness/destinations.js';
import { ISTIO_DURATION_BUCKETS_MS, IstioMetrics } from './harness/metrics/istio.js';
import { Mesh, MeshConfigError, type MeshOptions, type MeshRequest } from './harness/mesh.js';
import type { HarnessProvider } from './harness/providers.js';
import { startTrafficHarness, type TrafficHarness } from './harness/traffic-harness.js';
import {
  startVersionServers,
  validateFaultRule,
  VersionServerError,
  type FaultRule,
  type VersionServer,
} from './harness/versions.js';
import { setTimeout as sleep } from 'node:timers/promises';

const NS = 'test';
const APEX = 'podinfo';
const PRIMARY = 'podinfo-primary';
const CANARY = 'podinfo';

/** Polls `condition` every 20 ms until true; fails after `timeoutMs`. */
async function eventually(condition: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** Version servers this process started that are still running (Linux `ps`). */
function runningVersionServers(): string[] {
  const out = execFileSync('ps', ['-o', 'pid=,args=', '--ppid', String(process.pid)], { encoding: 'utf8' });
  return out
    .split('\n')
    .filter((line) => line.includes('version-server.mjs'))
    .map((line) => line.trim());
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function refused(url: string): Promise<boolean> {
  return fetch(url).then(
    () => false,
    () => true,
  );
}

const hostRoute = (
  primaryWeight: number,
  canaryWeight: number,
  extra: Partial<HttpRoute> = {},
): HttpRoute => ({
  ...extra,
  route: [
    { destination: { host: `${APEX}-primary`, port: { number: 9898 } }, weight: primaryWeight },
    { destination: { host: `${APEX}-canary.${NS}.svc.cluster.local` }, weight: canaryWeight },
  ],
});

async function createVirtualService(cluster: MemoryCluster, http: HttpRoute[]): Promise<void> {
  await cluster.create({
    ...API.virtualService,
    metadata: { name: APEX, namespace: NS },
    spec: { hosts: [APEX], gateways: ['mesh'], http },
  });
}

async function setRoutes(cluster: MemoryCluster, http: HttpRoute[]): Promise<void> {
  await cluster.patch({ ...API.virtualService, namespace: NS, name: APEX }, { spec: { http } });
}

async function virtualServiceVersion(cluster: MemoryCluster): Promise<string | undefined> {
  const vs = await cluster.get({ ...API.virtualService, namespace: NS, name: APEX });
  return vs?.metadata.resourceVersion;
}

/** The value of one sample line of the exposition text whose labels include all of `labels`. */
function sampleValue(text: string, metric: string, labels: Record<string, string>): number {
  const matches = text
    .split('\n')
    .filter((line) => line.startsWith(`${metric}{`))
    .filter((line) => Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`)));
  return matches.reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
}

describe('version servers', () => {
  let servers: VersionServer[] = [];
  beforeAll(async () => {
    servers = await startVersionServers([PRIMARY, CANARY]);
  });
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.stop()));
  });

  it('run as separate processes and answer as their workload', async () => {
    const [primary, canary] = servers as [VersionServer, VersionServer];
    expect(primary.pid).not.toBe(canary.pid);
    expect(primary.pid).not.toBe(process.pid);
    const response = await fetch(`${canary.url}/anything`);
    expect(response.status).toBe(200);
    expect(response.headers.get('x-fledge-workload')).toBe(CANARY);
    expect(await response.json()).toEqual({ workload: CANARY, path: '/anything' });
  });

  it('take fault rules at runtime: aborts, delays, and clearing them', async () => {
    const canary = servers[1] as VersionServer;
    await canary.setFaults({ abort: { percentage: 100, httpStatus: 503 } });
    expect((await fetch(canary.url)).status).toBe(503);
    await canary.setFaults({ delay: { percentage: 100, fixedDelayMs: 300 } });
    const started = Date.now();
    expect((await fetch(canary.url)).status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(await canary.faults()).toEqual({ delay: { percentage: 100, fixedDelayMs: 300 } });
    await canary.setFaults({});
    // Whether the answer was held back is counted by the server: a bound on the elapsed time would
    // also measure how busy the machine is.
    const delayedBefore = (await canary.stats()).delayed;
    expect(delayedBefore).toBeGreaterThanOrEqual(1);
    expect((await fetch(canary.url)).status).toBe(200);
    const stats = await canary.stats();
    expect(stats.delayed).toBe(delayedBefore);
    expect(stats.byStatus['503']).toBeGreaterThanOrEqual(1);
  });

  it('refuse bad fault rules, naming the field', async () => {
    const canary = servers[1] as VersionServer;
    expect(() => validateFaultRule({ abort: { percentage: 120, httpStatus: 500 } })).toThrow(
      /abort\.percentage must be a number from 0 to 100, got 120/,
    );
    expect(() => validateFaultRule({ delay: { percentage: 10 } } as unknown as FaultRule)).toThrow(
      /delay\.fixedDelayMs/,
    );
    await expect(canary.setFaults({ abort: { percentage: 50, httpStatus: 99 } })).rejects.toThrow(
      VersionServerError,
    );
    // The server checks too, for callers that reach the endpoint directly.
    const raw = await fetch(`${canary.url}/__fledge/faults`, {
      method: 'PUT',
      body: JSON.stringify({ abort: { percentage: 'all', httpStatus: 500 } }),
    });
    expect(raw.status).toBe(400);
    expect(((await raw.json()) as { error: string }).error).toMatch(/abort\.percentage/);
    expect(await canary.faults()).toEqual({});
  });
});

describe('mesh over an in-memory cluster', () => {
  let servers: VersionServer[] = [];
  let mesh: Mesh | undefined;
  let cluster: MemoryCluster;
  let metrics: IstioMetrics;

  beforeAll(async () => {
    servers = await startVersionServers([PRIMARY, CANARY]);
  });
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.stop()));
  });
  beforeEach(() => {
    cluster = new MemoryCluster();
    metrics = new IstioMetrics();
  });
  afterEach(async () => {
    await mesh?.stop();
    mesh = undefined;
    await Promise.all(servers.map((s) => s.setFaults({})));
  });

  const startMesh = (options: Partial<MeshOptions> = {}): Mesh => {
    const [primary, canary] = servers as [VersionServer, VersionServer];
    mesh = new Mesh({
      cluster,
      namespace: NS,
      virtualService: APEX,
      destinations: apexDestinations(APEX, { primary, canary }),
      requestsPerSecond: 100,
      metrics,
      random: createRandom(42),
      ...options,
    });
    mesh.start();
    return mesh;
  };

  const answered = (m: Mesh, userClass = 'other'): number =>
    Object.values(m.traffic()[userClass]?.byWorkload ?? {}).reduce((sum, w) => sum + w.requests, 0);

  it('splits traffic 90/10 by the weights', async () => {
    await createVirtualService(cluster, [hostRoute(90, 10)]);
    const m = startMesh({ requestsPerSecond: 200 });
    await eventually(() => answered(m) >= 400, '400 answered requests');
    const [toPrimary, toCanary] = [m.count('other', PRIMARY), m.count('other', CANARY)];
    const canaryShare = toCanary / (toPrimary + toCanary);
    expect(canaryShare).toBeGreaterThan(0.05);
    expect(canaryShare).toBeLessThan(0.15);
    // The requests really reached the version servers (which have answered more since).
    const stats = await Promise.all(servers.map((s) => s.stats()));
    expect(stats[0]!.requests).toBeGreaterThanOrEqual(toPrimary);
    expect(stats[1]!.requests).toBeGreaterThanOrEqual(toCanary);
  });

  it('sends only premium users to the canary under an A/B match', async () => {
    await createVirtualService(cluster, [
      hostRoute(0, 100, { match: [{ headers: { 'user-type': { exact: 'premium' } } }] }),
      { route: [{ destination: { host: `${APEX}-primary` }, weight: 100 }] },
    ]);
    const m = startMesh({
      headerMix: [{ name: 'premium', headers: { 'User-Type': 'premium' }, share: 0.3 }],
    });
    await eventually(() => answered(m) + answered(m, 'premium') >= 200, '200 answered requests');
    expect(m.count('premium', CANARY)).toBeGreaterThan(20);
    expect(m.count('premium', PRIMARY)).toBe(0);
    expect(m.count('other', CANARY)).toBe(0);
    expect(m.count('other', PRIMARY)).toBeGreaterThan(m.count('premium', CANARY));
    expect(m.seen()).toEqual({
      premium: { [CANARY]: m.count('premium', CANARY) },
      other: { [PRIMARY]: m.count('other', PRIMARY) },
    });
  });

  it('routes by subset of the apex host in subset mode', async () => {
    await createVirtualService(cluster, [
      {
        route: [
          { destination: { host: APEX, subset: 'primary' }, weight: 50 },
          { destination: { host: `${APEX}.${NS}`, subset: 'canary' }, weight: 50 },
        ],
      },
    ]);
    const m = startMesh();
    await eventually(
      () => m.count('other', PRIMARY) >= 20 && m.count('other', CANARY) >= 20,
      'both versions',
    );
    const text = await metrics.metrics();
    expect(
      sampleValue(text, 'istio_requests_total', {
        destination_workload: CANARY,
        destination_service: `${APEX}.${NS}.svc.cluster.local`,
      }),
    ).toBeGreaterThanOrEqual(20);
  });

  it('applies a weight change from the next request on', async () => {
    await createVirtualService(cluster, [hostRoute(100, 0)]);
    const routed: MeshRequest[] = [];
    const m = startMesh({ onRequest: (r) => routed.push(r) });
    await eventually(() => m.count('other', PRIMARY) >= 10, 'primary traffic');
    expect(m.count('other', CANARY)).toBe(0);
    const before = await virtualServiceVersion(cluster);
    await setRoutes(cluster, [hostRoute(0, 100)]);
    const changed = await virtualServiceVersion(cluster);
    expect(changed).not.toBe(before);
    await eventually(() => routed.filter((r) => r.resourceVersion === changed).length > 10, 'canary traffic');
    // Each request is routed by the VirtualService version the mesh held when it was sent: every
    // request sent under the new one went to the canary, every one sent under the old one to the
    // primary (when the watch delivered the change is scheduling, and not asserted).
    const byVersion = (rv: string | undefined): Set<string | undefined> =>
      new Set(routed.filter((r) => r.resourceVersion === rv).map((r) => r.workload));
    expect(byVersion(changed)).toEqual(new Set([CANARY]));
    expect(byVersion(before)).toEqual(new Set([PRIMARY]));
    expect(routed.filter((r) => r.outcome !== 'answered')).toEqual([]);
  });

  it('sends mirrored copies to the canary without answering users from it', async () => {
    await createVirtualService(cluster, [
      hostRoute(100, 0, { mirror: { host: `${APEX}-canary` }, mirrorPercentage: { value: 50 } }),
    ]);
    const m = startMesh();
    await eventually(() => answered(m) >= 200, '200 answered requests');
    const traffic = m.traffic()['other']!;
    expect(Object.keys(traffic.byWorkload)).toEqual([PRIMARY]);
    const share = (traffic.mirroredTo[CANARY] ?? 0) / traffic.requests;
    expect(share).toBeGreaterThan(0.35);
    expect(share).toBeLessThan(0.65);
    const text = await metrics.metrics();
    expect(sampleValue(text, 'istio_requests_total', { destination_workload: CANARY })).toBeGreaterThan(50);
  });

  it('counts requests with no route until the VirtualService exists, and after it is deleted', async () => {
    const settled: MeshRequest[] = [];
    const m = startMesh({ onRequest: (r) => settled.push(r) });
    await eventually(() => (m.traffic()['other']?.unrouted ?? 0) >= 10, 'unrouted requests');
    expect(answered(m)).toBe(0);
    await createVirtualService(cluster, [hostRoute(100, 0)]);
    await m.waitForRoutes<VirtualServiceSpec>((spec) => (spec.http?.length ?? 0) > 0, 2_000);
    await eventually(() => answered(m) >= 10, 'answered requests');
    await cluster.delete({ ...API.virtualService, namespace: NS, name: APEX });
    await eventually(() => m.routes === undefined, 'the deletion');
    const deletedAtMs = Date.now();
    const later = (): MeshRequest[] => settled.filter((r) => r.routedAtMs > deletedAtMs);
    await eventually(() => later().length >= 10, 'requests after the deletion');
    expect(later().filter((r) => r.outcome !== 'unrouted')).toEqual([]);
  });

  it('reports injected aborts as response_code 500 and delays in the duration histogram', async () => {
    await createVirtualService(cluster, [hostRoute(50, 50)]);
    await servers[1]!.setFaults({
      abort: { percentage: 100, httpStatus: 500 },
      delay: { percentage: 100, fixedDelayMs: 120 },
    });
    const m = startMesh();
    await eventually(
      () => m.count('other', CANARY) >= 30 && m.count('other', PRIMARY) >= 30,
      'both versions',
    );
    const text = await metrics.metrics();
    const canary = {
      reporter: 'destination',
      destination_workload: CANARY,
      destination_workload_namespace: NS,
    };
    expect(
      sampleValue(text, 'istio_requests_total', { ...canary, response_code: '500' }),
    ).toBeGreaterThanOrEqual(30);
    expect(sampleValue(text, 'istio_requests_total', { ...canary, response_code: '200' })).toBe(0);
    expect(
      sampleValue(text, 'istio_requests_total', { destination_workload: PRIMARY, response_code: '200' }),
    ).toBeGreaterThanOrEqual(30);
    expect(sampleValue(text, 'istio_request_duration_milliseconds_bucket', { ...canary, le: '100' })).toBe(0);
    expect(
      sampleValue(text, 'istio_request_duration_milliseconds_bucket', { ...canary, le: '250' }),
    ).toBeGreaterThanOrEqual(30);
    expect(m.traffic()['other']!.byWorkload[CANARY]!.latencyMsMax).toBeGreaterThanOrEqual(115);
    // Istio's default buckets, all of them.
    const les = text
      .split('\n')
      .filter(
        (l) => l.startsWith('istio_request_duration_milliseconds_bucket{') && l.includes(`"${PRIMARY}"`),
      )
      .map((l) => /le="([^"]+)"/.exec(l)?.[1]);
    expect(les).toEqual([...ISTIO_DURATION_BUCKETS_MS.map(String), '+Inf']);
  });

  it('reports the duration the version server measured, not the stalls of the test process', async () => {
    await createVirtualService(cluster, [hostRoute(0, 100)]);
    await servers[1]!.setFaults({ delay: { percentage: 100, fixedDelayMs: 200 } });
    const m = startMesh();
    await eventually(() => m.loadStats().inFlight >= 5, 'requests in flight');
    // Blocks this event loop for 800 ms: the requests in flight are answered meanwhile, and this
    // process reads the answers only afterwards.
    const stallUntil = performance.now() + 800;
    while (performance.now() < stallUntil);
    await eventually(() => m.count('other', CANARY) >= 20, 'answers after the stall');
    expect(m.traffic()['other']!.byWorkload[CANARY]!.latencyMsMax).toBeGreaterThan(700);
    const text = await metrics.metrics();
    const canary = { destination_workload: CANARY };
    const answered = sampleValue(text, 'istio_request_duration_milliseconds_count', canary);
    expect(answered).toBeGreaterThanOrEqual(20);
    // Every answer took the 200 ms delay and a little more at the server: none above 500.
    expect(sampleValue(text, 'istio_request_duration_milliseconds_bucket', { ...canary, le: '100' })).toBe(0);
    expect(sampleValue(text, 'istio_request_duration_milliseconds_bucket', { ...canary, le: '500' })).toBe(
      answered,
    );
  });

  it('refuses bad options, naming the field', () => {
    const base = (): MeshOptions => ({
      cluster,
      namespace: NS,
      virtualService: APEX,
      destinations: { [`${APEX}-primary`]: { url: 'http://127.0.0.1:1', workload: PRIMARY } },
    });
    expect(() => new Mesh({ ...base(), requestsPerSecond: 0 })).toThrow(
      /requestsPerSecond: expected a positive/,
    );
    expect(
      () =>
        new Mesh({
          ...base(),
          headerMix: [
            { headers: { a: '1' }, share: 0.7 },
            { headers: { b: '1' }, share: 0.5 },
          ],
        }),
    ).toThrow(/headerMix: shares add up to 1.2/);
    expect(
      () => new Mesh({ ...base(), headerMix: [{ name: 'other', headers: { a: '1' }, share: 0.5 }] }),
    ).toThrow(/headerMix\[0\]\.name/);
    expect(
      () => new Mesh({ ...base(), destinations: { 'a/b/c': { url: 'http://x', workload: 'w' } } }),
    ).toThrow(MeshConfigError);
    expect(() => new Mesh({ ...base(), destinations: { a: { url: 'ftp://x', workload: 'w' } } })).toThrow(
      /destinations\["a"\]\.url/,
    );
  });
});

describe('traffic harness with a real Prometheus', () => {
  let harness: TrafficHarness | undefined;
  let prometheus: PrometheusInstance | undefined;
  const cluster = new MemoryCluster();

  afterAll(async () => {
    await prometheus?.stop();
    await harness?.stop();
  });

  it('gives the builtin Istio queries the injected error rate and latency', async () => {
    harness = await startTrafficHarness({ cluster, namespace: NS, apex: APEX, requestsPerSecond: 100 });
    // Faults first, routes second: every canary request the mesh sends is under the rule.
    await harness.canary.setFaults({
      abort: { percentage: 25, httpStatus: 500 },
      delay: { percentage: 100, fixedDelayMs: 300 },
    });
    await createVirtualService(cluster, [hostRoute(50, 50)]);
    await harness.mesh.waitForRoutes(() => true, 2_000);
    prometheus = await startPrometheus({ feed: harness.metrics.snapshotFeed() });
    // About 8 s of canary traffic at 50 rps: 400 requests or more. The aborts are drawn at random: the
    // success rate is 75 give or take 2.2 (one standard deviation at 400), so 60 to 90 holds whatever the
    // draws (beyond 6.8 deviations: less than once in 10^11 runs).
    await prometheus.waitFor(
      `sum(increase(istio_requests_total{destination_workload="${CANARY}"}[30s]))`,
      (v) => (v[0] ?? 0) >= 400,
      20_000,
    );

    const provider = new PrometheusProvider({ address: prometheus.address });
    const query = (metric: string, target: string): Promise<number | undefined> =>
      provider.query({
        text: builtinQuery('istio', metric, { namespace: NS, target, interval: '30s' }),
        metric,
        namespace: NS,
        target,
        intervalMs: 30_000,
      });
    const successRate = await query('request-success-rate', CANARY);
    expect(successRate).toBeGreaterThan(60);
    expect(successRate).toBeLessThan(90);
    expect(await query('request-success-rate', PRIMARY)).toBe(100);
    // Durations are the version servers' own (see harness/README.md): every canary answer took 300 ms
    // and a few more, in the 250-500 bucket; the primary's took well under a millisecond.
    const p99 = await query('request-duration', CANARY);
    expect(p99).toBeGreaterThan(250);
    expect(p99).toBeLessThanOrEqual(500);
    expect(await query('request-duration', PRIMARY)).toBeLessThan(250);

    // The /metrics endpoint itself serves the same series.
    const served = await (await fetch(harness.metricsUrl)).text();
    expect(
      sampleValue(served, 'istio_requests_total', { destination_workload: CANARY, response_code: '500' }),
    ).toBeGreaterThan(0);
  }, 40_000);
});

describe('stopping', () => {
  it('stop() leaves no process, port or traffic behind', async () => {
    const cluster = new MemoryCluster();
    await createVirtualService(cluster, [hostRoute(50, 50)]);
    const harness = await startTrafficHarness({ cluster, namespace: NS, apex: APEX });
    await eventually(() => harness.mesh.loadStats().sent > 10, 'traffic');
    expect(runningVersionServers()).toHaveLength(2);
    await harness.stop();
    await harness.stop();
    expect(alive(harness.primary.pid)).toBe(false);
    expect(alive(harness.canary.pid)).toBe(false);
    expect(runningVersionServers()).toEqual([]);
    expect(await refused(harness.metricsUrl)).toBe(true);
    expect(await refused(harness.primary.url)).toBe(true);
    expect(await refused(harness.canary.url)).toBe(true);
    const sent = harness.mesh.loadStats().sent;
    await sleep(100);
    expect(harness.mesh.loadStats()).toEqual({ sent, inFlight: 0, dropped: 0, lagged: 0 });
  });

  it('a failed start stops what it had started', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', () => resolve()));
    const port = (taken.address() as AddressInfo).port;
    try {
      await expect(
        startTrafficHarness({ cluster: new MemoryCluster(), namespace: NS, apex: APEX, metricsPort: port }),
      ).rejects.toThrow(/EADDRINUSE/);
      expect(runningVersionServers()).toEqual([]);
    } finally {
      await new Promise<void>((resolve) => taken.close(() => resolve()));
    }
  });

  it('bad options fail before anything starts', async () => {
    await expect(
      startTrafficHarness({ cluster: new MemoryCluster(), namespace: NS, apex: APEX, requestsPerSecond: -5 }),
    ).rejects.toThrow(MeshConfigError);
    await expect(
      startTrafficHarness({
        cluster: new MemoryCluster(),
        namespace: NS,
        apex: APEX,
        provider: 'consul' as HarnessProvider,
      }),
    ).rejects.toThrow(
      /provider: expected one of istio, linkerd, gatewayapi, nginx, kubernetes, got "consul"/,
    );
    expect(runningVersionServers()).toEqual([]);
  });
});
