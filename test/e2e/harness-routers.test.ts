/**
 * The traffic harness playing each router provider against the local kube-apiserver with the real
 * CRDs: the routing objects are written by hand as Flagger writes them, traffic goes over real HTTP
 * to real version servers, the split and the matches are checked on what each class of users got,
 * and the exported series are queried from a real Prometheus with the builtin queries' shapes
 * (Fledge's catalogue for Istio and Linkerd, Flagger's NGINX and HTTP observer queries for the
 * others). Route changes must reach the harness through the watch within a bound.
 */
import { builtinQuery } from '../../analysis/builtin-queries.js';
import { PrometheusProvider } from '../../analysis/providers/prometheus.js';
import { createRandom } from '../../analysis/providers/simulated.js';
import { ClientNodeCluster } from '../../src/kube/client/client-node-cluster.js';
import { loadKubeConfig } from '../../src/kube/client/config.js';
import type { KubeObject } from '../../src/kube/cluster.js';
import { CLUSTER_SETUP_TIMEOUT_MS, ensureCluster, type LocalCluster } from '../support/cluster.js';
import { createNamespace, deleteNamespaceBestEffort } from '../support/namespaces.js';
import { startPrometheus, type PrometheusInstance } from '../support/prometheus.js';
import type { MeshRequest } from './harness/mesh.js';
import type { HarnessProvider } from './harness/providers.js';
import {
  startTrafficHarness,
  type TrafficHarness,
  type TrafficHarnessOptions,
} from './harness/traffic-harness.js';
import { setTimeout as sleep } from 'node:timers/promises';

const namespace = `e2e-routers-${Math.random().toString(36).slice(2, 7)}`;
const APEX = 'podinfo';
const PRIMARY = 'podinfo-primary';
const CANARY = 'podinfo';
const PORT = 9898;
/** Time a route change may take to reach the harness through the watch (a loaded machine included). */
const WATCH_BOUND_MS = 5_000;

let cluster: LocalCluster | undefined;
let kube: ClientNodeCluster;
let harness: TrafficHarness | undefined;
let prometheus: PrometheusInstance | undefined;
const written: KubeObject[] = [];

beforeAll(async () => {
  cluster = await ensureCluster();
  kube = new ClientNodeCluster({ kubeConfig: loadKubeConfig({ kubeconfigPath: cluster.kubeconfigPath }) });
  await createNamespace(kube, namespace);
}, CLUSTER_SETUP_TIMEOUT_MS);

afterEach(async () => {
  await prometheus?.stop();
  await harness?.stop();
  prometheus = undefined;
  harness = undefined;
  for (const o of written.splice(0)) {
    await kube
      .delete({ apiVersion: o.apiVersion, kind: o.kind, namespace, name: o.metadata.name })
      .catch(() => {});
  }
});

afterAll(async () => {
  if (kube) await deleteNamespaceBestEffort(kube, namespace);
  kube?.stop();
  await cluster?.stop();
});

async function write<T extends KubeObject>(object: T): Promise<T> {
  const created = await kube.create<T>({ ...object, metadata: { ...object.metadata, namespace } });
  written.push(created);
  return created;
}

/** Polls `condition` every 50 ms until true; fails after `timeoutMs`. */
async function eventually(condition: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

const routed: MeshRequest[] = [];

async function start(
  provider: HarnessProvider,
  options: Partial<TrafficHarnessOptions> = {},
): Promise<TrafficHarness> {
  routed.length = 0;
  harness = await startTrafficHarness({
    cluster: kube,
    namespace,
    apex: APEX,
    provider,
    requestsPerSecond: 100,
    mesh: { random: createRandom(7), onRequest: (r) => routed.push(r) },
    ...options,
  });
  return harness;
}

/** Sets the canary's faults: a quarter of the answers fail, all take 300 ms. */
async function injectFaults(h: TrafficHarness): Promise<void> {
  await h.canary.setFaults({
    abort: { percentage: 25, httpStatus: 500 },
    delay: { percentage: 100, fixedDelayMs: 300 },
  });
}

/**
 * Changes the routing object and resolves once the harness routes by the new version; fails unless
 * that takes less than {@link WATCH_BOUND_MS}. Returns the version.
 */
async function changeRoutes(h: TrafficHarness, change: () => Promise<KubeObject>): Promise<string> {
  const before = h.mesh.routes;
  const startedMs = Date.now();
  const changed = await change();
  await h.mesh.waitForRoutes((state) => JSON.stringify(state) !== JSON.stringify(before), WATCH_BOUND_MS);
  expect(Date.now() - startedMs).toBeLessThan(WATCH_BOUND_MS);
  return changed.metadata.resourceVersion!;
}

/** Requests routed by the objects at `version` (the follower joins several objects' versions). */
const routedAt = (version: string): MeshRequest[] =>
  routed.filter((r) => r.resourceVersion?.split(',').some((v) => v === version || v.endsWith(`@${version}`)));

/** Share of `userClass`'s answered requests that the canary answered. */
function canaryShare(h: TrafficHarness, userClass: string): number {
  const canary = h.mesh.count(userClass, CANARY);
  const all = canary + h.mesh.count(userClass, PRIMARY);
  return all === 0 ? NaN : canary / all;
}

/** Share of `userClass`'s answered requests among `records` (not mirrored) that the canary answered. */
function canaryShareOf(records: MeshRequest[], userClass: string): number {
  const answered = records.filter(
    (r) => r.userClass === userClass && r.outcome === 'answered' && !r.mirrored,
  );
  const canary = answered.filter((r) => r.workload === CANARY).length;
  const all = canary + answered.filter((r) => r.workload === PRIMARY).length;
  return all === 0 ? NaN : canary / all;
}

/** Starts Prometheus on the harness's metrics and waits for `count` canary series samples. */
async function scrape(h: TrafficHarness, countQuery: string, count: number): Promise<PrometheusProvider> {
  prometheus = await startPrometheus({ feed: h.metrics.snapshotFeed() });
  await prometheus.waitFor(countQuery, (v) => (v[0] ?? 0) >= count, 40_000);
  return new PrometheusProvider({ address: prometheus.address });
}

async function queryValue(provider: PrometheusProvider, text: string, target: string): Promise<number> {
  const value = await provider.query({ text, metric: 'harness', namespace, target, intervalMs: 30_000 });
  if (value === undefined) throw new Error(`no value for ${text}`);
  return value;
}

/** The builtin queries of a provider, unmodified, over the harness's 30 s windows. */
const builtin = (provider: string, metric: string, target: string, ingress?: string): string =>
  builtinQuery(provider, metric, { namespace, target, interval: '30s', ...(ingress ? { ingress } : {}) });

/** The HTTP observer's pods of a workload, as its builtin queries select them. */
const observedPods = (target: string): string =>
  `kubernetes_namespace="${namespace}",kubernetes_pod_name=~"${target}-[0-9a-zA-Z]+(-[0-9a-zA-Z]+)"`;

/**
 * The injected faults as the queries see them: 75 % success give or take (60 to 90 is more than
 * 4.5 standard deviations either side at 240 requests), answers of 300 ms and a little more at the
 * version server, whose own stalls on a loaded machine can push a few into the next bucket (1 s).
 */
function expectFaulty(successRate: number, durationMs: number): void {
  expect(successRate).toBeGreaterThan(60);
  expect(successRate).toBeLessThan(90);
  expect(durationMs).toBeGreaterThan(250);
  expect(durationMs).toBeLessThanOrEqual(1000);
}

describe('linkerd: SMI TrafficSplit', () => {
  const split = (primary: number, canary: number): KubeObject & { spec: unknown } => ({
    apiVersion: 'split.smi-spec.io/v1alpha2',
    kind: 'TrafficSplit',
    metadata: { name: APEX },
    spec: {
      service: APEX,
      backends: [
        { service: `${APEX}-canary`, weight: canary },
        { service: `${APEX}-primary`, weight: primary },
      ],
    },
  });

  it('splits 70/30, follows a weight change, and feeds the builtin Linkerd queries', async () => {
    const h = await start('linkerd');
    await injectFaults(h);
    await write(split(70, 30));
    await h.mesh.waitForRoutes(() => true, WATCH_BOUND_MS);
    const provider = await scrape(
      h,
      `sum(increase(response_total{namespace="${namespace}",deployment="${CANARY}",direction="inbound"}[30s]))`,
      240,
    );
    const share = canaryShare(h, 'other');
    expect(share).toBeGreaterThan(0.22);
    expect(share).toBeLessThan(0.38);
    const q = (metric: string, target: string): string =>
      builtinQuery('linkerd', metric, { namespace, target, interval: '30s' });
    expectFaulty(
      await queryValue(provider, q('request-success-rate', CANARY), CANARY),
      await queryValue(provider, q('request-duration', CANARY), CANARY),
    );
    expect(await queryValue(provider, q('request-success-rate', PRIMARY), PRIMARY)).toBe(100);
    expect(await queryValue(provider, q('request-duration', PRIMARY), PRIMARY)).toBeLessThan(250);

    const version = await changeRoutes(h, () =>
      kube.patch(
        { apiVersion: 'split.smi-spec.io/v1alpha2', kind: 'TrafficSplit', namespace, name: APEX },
        { spec: split(0, 100).spec as Record<string, unknown> },
      ),
    );
    await eventually(() => routedAt(version).length >= 30, 'requests under the new split');
    expect(new Set(routedAt(version).map((r) => r.workload))).toEqual(new Set([CANARY]));
  }, 120_000);
});

describe('gatewayapi: HTTPRoute', () => {
  const backends = (primary: number, canary: number): unknown[] => [
    { group: '', kind: 'Service', name: `${APEX}-primary`, port: PORT, weight: primary },
    { group: '', kind: 'Service', name: `${APEX}-canary`, port: PORT, weight: canary },
  ];
  /** Flagger's A/B shape: the analysis matches to the canary first, everything else to the primary. */
  const abRoute = {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    metadata: { name: APEX },
    spec: {
      parentRefs: [{ name: 'gateway', namespace: 'istio-ingress' }],
      hostnames: ['app.example.com'],
      rules: [
        {
          matches: [
            {
              path: { type: 'PathPrefix', value: '/' },
              headers: [{ type: 'Exact', name: 'x-canary', value: 'insider' }],
            },
            {
              path: { type: 'PathPrefix', value: '/' },
              headers: [
                { type: 'RegularExpression', name: 'cookie', value: '^(.*?;)?(canary=always)(;.*)?$' },
              ],
            },
            {
              path: { type: 'PathPrefix', value: '/' },
              queryParams: [{ type: 'Exact', name: 'canary', value: 'yes' }],
            },
          ],
          backendRefs: backends(0, 100),
        },
        { matches: [{ path: { type: 'PathPrefix', value: '/' } }], backendRefs: backends(100, 0) },
      ],
    },
  };

  it('sends header, cookie and query matches to the canary, then weights and mirrors', async () => {
    const h = await start('gatewayapi', {
      headerMix: [
        { name: 'insider', headers: { 'X-Canary': 'insider' }, share: 0.2 },
        { name: 'cookie', headers: { cookie: 'canary=always; session=1' }, share: 0.2 },
        { name: 'query', query: { canary: 'yes' }, share: 0.2 },
        { name: 'outsider', headers: { 'x-canary': 'outsider' }, share: 0.1 },
      ],
    });
    await injectFaults(h);
    await write(abRoute);
    await h.mesh.waitForRoutes(() => true, WATCH_BOUND_MS);
    const provider = await scrape(
      h,
      `sum(increase(http_request_duration_seconds_count{${observedPods(CANARY)}}[30s]))`,
      240,
    );
    for (const userClass of ['insider', 'cookie', 'query']) expect(canaryShare(h, userClass)).toBe(1);
    for (const userClass of ['outsider', 'other']) expect(canaryShare(h, userClass)).toBe(0);
    expectFaulty(
      await queryValue(provider, builtin('kubernetes', 'request-success-rate', CANARY), CANARY),
      await queryValue(provider, builtin('kubernetes', 'request-duration', CANARY), CANARY),
    );
    expect(await queryValue(provider, builtin('kubernetes', 'request-success-rate', PRIMARY), PRIMARY)).toBe(
      100,
    );

    // The weighted phase with mirroring, as Flagger writes it: one rule, a RequestMirror filter.
    const version = await changeRoutes(h, () =>
      kube.patch(
        { apiVersion: abRoute.apiVersion, kind: abRoute.kind, namespace, name: APEX },
        {
          spec: {
            rules: [
              {
                matches: [{ path: { type: 'PathPrefix', value: '/' } }],
                backendRefs: backends(80, 20),
                filters: [
                  {
                    type: 'RequestMirror',
                    requestMirror: { backendRef: { name: `${APEX}-canary`, port: PORT }, percent: 50 },
                  },
                ],
              },
            ],
          },
        },
      ),
    );
    await eventually(() => routedAt(version).filter((r) => !r.mirrored).length >= 300, 'weighted requests');
    const sent = routedAt(version).filter((r) => !r.mirrored);
    const toCanary = sent.filter((r) => r.workload === CANARY).length / sent.length;
    expect(toCanary).toBeGreaterThan(0.12);
    expect(toCanary).toBeLessThan(0.28);
    const mirrored = routedAt(version).filter((r) => r.mirrored);
    expect(new Set(mirrored.map((r) => r.workload))).toEqual(new Set([CANARY]));
    expect(mirrored.length / sent.length).toBeGreaterThan(0.35);
    expect(mirrored.length / sent.length).toBeLessThan(0.65);
  }, 120_000);
});

describe('nginx: canary Ingress', () => {
  const ingress = (name: string, service: string, annotations: Record<string, string> = {}): KubeObject =>
    ({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: { name, annotations },
      spec: {
        ingressClassName: 'nginx',
        rules: [
          {
            host: 'app.example.com',
            http: {
              paths: [
                {
                  path: '/',
                  pathType: 'Prefix',
                  backend: { service: { name: service, port: { number: PORT } } },
                },
              ],
            },
          },
        ],
      },
    }) as KubeObject;
  const prefix = 'nginx.ingress.kubernetes.io';

  it('takes canary-weight 20 with by-header and by-cookie, and feeds Flagger’s NGINX queries', async () => {
    const h = await start('nginx', {
      headerMix: [
        { name: 'always', headers: { 'x-canary': 'always' }, share: 0.15 },
        { name: 'never', headers: { 'x-canary': 'never', cookie: 'canary=always' }, share: 0.15 },
        { name: 'cookie', headers: { cookie: 'canary=always' }, share: 0.1 },
      ],
    });
    await injectFaults(h);
    await write(ingress(APEX, APEX));
    await write(
      ingress(`${APEX}-canary`, `${APEX}-canary`, {
        [`${prefix}/canary`]: 'true',
        [`${prefix}/canary-weight`]: '20',
        [`${prefix}/canary-by-header`]: 'x-canary',
        [`${prefix}/canary-by-cookie`]: 'canary',
      }),
    );
    await h.mesh.waitForRoutes((s: { canary?: string }) => s.canary !== undefined, WATCH_BOUND_MS);
    const provider = await scrape(
      h,
      `sum(increase(nginx_ingress_controller_requests{namespace="${namespace}",ingress="${APEX}",canary!=""}[30s]))`,
      240,
    );
    // Until the canary Ingress was seen, the apex Ingress alone sent every class to the primary
    // (and some of those requests were still in flight when it was): the shares are of the
    // requests routed with both Ingresses.
    const both = routed.filter((r) => r.resourceVersion?.includes(`${APEX}-canary@`));
    expect(canaryShareOf(both, 'always')).toBe(1);
    // The header comes before the cookie: `never` wins over `canary=always`.
    expect(canaryShareOf(both, 'never')).toBe(0);
    expect(canaryShareOf(both, 'cookie')).toBe(1);
    expect(canaryShareOf(both, 'other')).toBeGreaterThan(0.12);
    expect(canaryShareOf(both, 'other')).toBeLessThan(0.28);
    expectFaulty(
      await queryValue(provider, builtin('nginx', 'request-success-rate', CANARY, APEX), CANARY),
      await queryValue(provider, builtin('nginx', 'request-duration', CANARY, APEX), CANARY),
    );
    // The primary's answers carry no canary label: none of them is in the queries.
    const primary = await prometheus!.rawQuery(
      `sum(nginx_ingress_controller_requests{namespace="${namespace}",ingress="${APEX}",canary="",service="${APEX}"})`,
    );
    expect(Number(primary[0]?.value[1] ?? 0)).toBeGreaterThan(0);

    // by-header-value: only that value goes to the canary; `always` is now a value like any other.
    const version = await changeRoutes(h, () =>
      kube.patch(
        { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', namespace, name: `${APEX}-canary` },
        {
          metadata: {
            annotations: {
              [`${prefix}/canary-weight`]: '0',
              [`${prefix}/canary-by-header-value`]: 'insider',
            },
          },
        },
      ),
    );
    await eventually(() => routedAt(version).length >= 100, 'requests under the new annotations');
    const under = routedAt(version);
    const canaryFor = (userClass: string): number =>
      under.filter((r) => r.userClass === userClass && r.workload === CANARY).length;
    expect(canaryFor('always')).toBe(0);
    expect(canaryFor('other')).toBe(0);
    // The cookie still applies once the header falls through.
    expect(canaryFor('never')).toBe(under.filter((r) => r.userClass === 'never').length);
  }, 120_000);
});

describe('kubernetes: the apex Service selector', () => {
  const service = (app: string): KubeObject =>
    ({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: APEX },
      spec: { selector: { app }, ports: [{ name: 'http', port: PORT, targetPort: 'http' }] },
    }) as KubeObject;

  it('sends everyone to the pods the selector picks, switches on a selector change, feeds the HTTP observer', async () => {
    const h = await start('kubernetes', {
      // Everyone goes to one version at a time: a lower rate keeps its server's stalls out of the latency.
      requestsPerSecond: 60,
      headerMix: [{ name: 'premium', headers: { 'x-user': 'premium' }, share: 0.5 }],
    });
    await write(service(PRIMARY));
    await h.mesh.waitForRoutes(() => true, WATCH_BOUND_MS);
    const provider = await scrape(
      h,
      `sum(increase(http_request_duration_seconds_count{${observedPods(PRIMARY)}}[30s]))`,
      100,
    );
    expect(h.mesh.count('other', CANARY) + h.mesh.count('premium', CANARY)).toBe(0);
    await injectFaults(h);

    // Blue/green promotion: the selector moves to the target's pods, for everyone at once.
    const version = await changeRoutes(h, () =>
      kube.patch(
        { apiVersion: 'v1', kind: 'Service', namespace, name: APEX },
        { spec: { selector: { app: CANARY } } },
      ),
    );
    await prometheus!.waitFor(
      `sum(increase(http_request_duration_seconds_count{${observedPods(CANARY)}}[30s]))`,
      (v) => (v[0] ?? 0) >= 240,
      40_000,
    );
    expect(new Set(routedAt(version).map((r) => r.workload))).toEqual(new Set([CANARY]));
    expectFaulty(
      await queryValue(provider, builtin('kubernetes', 'request-success-rate', CANARY), CANARY),
      await queryValue(provider, builtin('kubernetes', 'request-duration', CANARY), CANARY),
    );
    expect(await queryValue(provider, builtin('kubernetes', 'request-success-rate', PRIMARY), PRIMARY)).toBe(
      100,
    );
  }, 120_000);
});

describe('istio: VirtualService', () => {
  it('splits 80/20 by the real CRD and feeds the builtin Istio queries', async () => {
    const h = await start('istio');
    await injectFaults(h);
    await write({
      apiVersion: 'networking.istio.io/v1',
      kind: 'VirtualService',
      metadata: { name: APEX },
      spec: {
        hosts: [APEX],
        gateways: ['mesh'],
        http: [
          {
            route: [
              { destination: { host: `${APEX}-primary` }, weight: 80 },
              { destination: { host: `${APEX}-canary` }, weight: 20 },
            ],
          },
        ],
      },
    } as KubeObject);
    await h.mesh.waitForRoutes(() => true, WATCH_BOUND_MS);
    const provider = await scrape(
      h,
      `sum(increase(istio_requests_total{destination_workload="${CANARY}"}[30s]))`,
      200,
    );
    expect(canaryShare(h, 'other')).toBeGreaterThan(0.12);
    expect(canaryShare(h, 'other')).toBeLessThan(0.28);
    const q = (metric: string): string =>
      builtinQuery('istio', metric, { namespace, target: CANARY, interval: '30s' });
    expectFaulty(
      await queryValue(provider, q('request-success-rate'), CANARY),
      await queryValue(provider, q('request-duration'), CANARY),
    );
  }, 120_000);
});
