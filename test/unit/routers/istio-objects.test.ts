/** The objects the Istio router writes, asserted whole, as they reach the cluster. */
import type { KubeObject } from '../../../src/kube/cluster.js';
import { MemoryCluster } from '../../../src/kube/memory/memory-cluster.js';
import { API, objectKey } from '../../../src/kube/resources.js';
import { mergeMatches } from '../../../src/routers/istio-objects.js';
import { IstioRouter } from '../../../src/routers/istio.js';
import { RouterError } from '../../../src/routers/router.js';
import { AB_ANALYSIS, FULL_SERVICE, NAMESPACE, TARGETS, UID, canaryFor } from './fixtures.js';

const OWNER = {
  apiVersion: 'fledge.dev/v1alpha1',
  kind: 'Canary',
  name: 'podinfo',
  uid: UID,
  controller: true,
  blockOwnerDeletion: true,
};

const PORT = { number: 9898 };

/** What a test asserts: everything but the fields the API server fills in. */
async function stored(cluster: MemoryCluster, kind: { apiVersion: string; kind: string }, name: string) {
  const obj = await cluster.get<KubeObject & { spec: unknown }>(objectKey(kind, NAMESPACE, name));
  if (!obj) throw new Error(`${kind.kind} ${name} was not written`);
  const { uid: _u, resourceVersion: _r, generation: _g, creationTimestamp: _c, ...metadata } = obj.metadata;
  return { ...obj, metadata };
}

const vsOf = (cluster: MemoryCluster) => stored(cluster, API.virtualService, 'podinfo');
const drOf = (cluster: MemoryCluster, name: string) => stored(cluster, API.destinationRule, name);

const ROUTE_SETTINGS = {
  rewrite: { uri: '/' },
  timeout: '10s',
  retries: { attempts: 3, perTryTimeout: '3s', retryOn: 'gateway-error,connect-failure,refused-stream' },
  headers: { request: { add: { 'x-envoy-upstream-rq-timeout-ms': '15000' } } },
  corsPolicy: { allowOrigins: [{ exact: 'https://example.com' }], allowMethods: ['GET', 'POST'] },
};

describe('IstioRouter objects, host mode', () => {
  it('writes the VirtualService <apex> splitting between <apex>-primary and <apex>-canary', async () => {
    const cluster = new MemoryCluster();
    await new IstioRouter({ cluster }).reconcile(canaryFor(FULL_SERVICE), TARGETS);

    expect(await vsOf(cluster)).toStrictEqual({
      apiVersion: 'networking.istio.io/v1',
      kind: 'VirtualService',
      metadata: {
        name: 'podinfo',
        namespace: NAMESPACE,
        labels: { team: 'web' },
        annotations: { 'example.com/owner': 'web' },
        ownerReferences: [OWNER],
      },
      spec: {
        hosts: ['app.example.com', 'podinfo'],
        gateways: ['public-gateway.istio-system.svc.cluster.local', 'mesh'],
        http: [
          {
            match: [{ uri: { prefix: '/api' } }],
            ...ROUTE_SETTINGS,
            route: [
              { destination: { host: 'podinfo-primary', port: PORT }, weight: 100 },
              { destination: { host: 'podinfo-canary', port: PORT }, weight: 0 },
            ],
          },
        ],
      },
    });
  });

  it('writes one DestinationRule per version carrying service.trafficPolicy', async () => {
    const cluster = new MemoryCluster();
    await new IstioRouter({ cluster }).reconcile(canaryFor(FULL_SERVICE), TARGETS);

    const trafficPolicy = {
      connectionPool: { tcp: { maxConnections: 100 }, http: { http1MaxPendingRequests: 10 } },
      loadBalancer: { simple: 'LEAST_REQUEST' },
      outlierDetection: {
        consecutive5xxErrors: 5,
        interval: '30s',
        baseEjectionTime: '1m',
        maxEjectionPercent: 50,
      },
      tls: { mode: 'ISTIO_MUTUAL' },
    };
    expect(await drOf(cluster, 'podinfo-primary')).toStrictEqual({
      apiVersion: 'networking.istio.io/v1',
      kind: 'DestinationRule',
      metadata: {
        name: 'podinfo-primary',
        namespace: NAMESPACE,
        labels: { version: 'primary' },
        ownerReferences: [OWNER],
      },
      spec: { host: 'podinfo-primary', trafficPolicy },
    });
    expect(await drOf(cluster, 'podinfo-canary')).toStrictEqual({
      apiVersion: 'networking.istio.io/v1',
      kind: 'DestinationRule',
      metadata: {
        name: 'podinfo-canary',
        namespace: NAMESPACE,
        labels: { version: 'canary' },
        annotations: { 'example.com/note': 'canary' },
        ownerReferences: [OWNER],
      },
      spec: { host: 'podinfo-canary', trafficPolicy },
    });
  });

  it('defaults to the mesh gateway, the apex host only and no trafficPolicy', async () => {
    const cluster = new MemoryCluster();
    await new IstioRouter({ cluster }).reconcile(canaryFor(), TARGETS);

    expect((await vsOf(cluster)).spec).toStrictEqual({
      hosts: ['podinfo'],
      gateways: ['mesh'],
      http: [
        {
          route: [
            { destination: { host: 'podinfo-primary', port: PORT }, weight: 100 },
            { destination: { host: 'podinfo-canary', port: PORT }, weight: 0 },
          ],
        },
      ],
    });
    expect((await drOf(cluster, 'podinfo-canary')).spec).toStrictEqual({ host: 'podinfo-canary' });
  });
});

describe('IstioRouter objects, subset mode', () => {
  const service = {
    subsetRouting: true,
    trafficPolicy: { loadBalancer: { simple: 'LEAST_REQUEST' }, outlierDetection: { consecutiveErrors: 7 } },
    apex: { labels: { team: 'web' } },
  };

  it('writes one DestinationRule <apex> with primary and canary subsets and routes by subset', async () => {
    const cluster = new MemoryCluster();
    const router = new IstioRouter({ cluster });
    await router.reconcile(canaryFor(service), TARGETS);
    await router.setRoutes(canaryFor(service), { primary: 70, canary: 30, mirrored: false });

    expect(await drOf(cluster, 'podinfo')).toStrictEqual({
      apiVersion: 'networking.istio.io/v1',
      kind: 'DestinationRule',
      metadata: { name: 'podinfo', namespace: NAMESPACE, labels: { team: 'web' }, ownerReferences: [OWNER] },
      spec: {
        host: 'podinfo',
        trafficPolicy: service.trafficPolicy,
        subsets: [
          { name: 'primary', labels: { app: 'podinfo-primary' } },
          { name: 'canary', labels: { app: 'podinfo' } },
        ],
      },
    });
    expect((await vsOf(cluster)).spec).toStrictEqual({
      hosts: ['podinfo'],
      gateways: ['mesh'],
      http: [
        {
          route: [
            { destination: { host: 'podinfo', subset: 'primary', port: PORT }, weight: 70 },
            { destination: { host: 'podinfo', subset: 'canary', port: PORT }, weight: 30 },
          ],
        },
      ],
    });
    expect(await cluster.get(objectKey(API.destinationRule, NAMESPACE, 'podinfo-primary'))).toBeUndefined();
  });

  it('refuses pod labels that cannot tell the versions apart, before writing anything', async () => {
    const cluster = new MemoryCluster();
    const router = new IstioRouter({ cluster });
    const overlapping = {
      primaryLabels: { app: 'podinfo' },
      canaryLabels: { app: 'podinfo', track: 'canary' },
    };
    await expect(router.reconcile(canaryFor(service), overlapping)).rejects.toThrow(RouterError);
    await expect(
      router.reconcile(canaryFor(service), { primaryLabels: {}, canaryLabels: { app: 'podinfo' } }),
    ).rejects.toThrow(/test\/podinfo: service.subsetRouting/);
    expect(cluster.snapshot()).toEqual([]);
  });
});

describe('IstioRouter objects, A/B testing', () => {
  it('routes matched requests by the split and everything else to the primary', async () => {
    const cluster = new MemoryCluster();
    const router = new IstioRouter({ cluster });
    const canary = canaryFor({ timeout: '10s' }, AB_ANALYSIS);
    await router.reconcile(canary, TARGETS);
    await router.setRoutes(canary, { primary: 0, canary: 100, mirrored: false });

    expect((await vsOf(cluster)).spec).toStrictEqual({
      hosts: ['podinfo'],
      gateways: ['mesh'],
      http: [
        {
          match: [
            { headers: { 'user-type': { exact: 'premium' } } },
            { headers: { cookie: { regex: '^(.*?;)?(canary=always)(;.*)?$' } } },
          ],
          timeout: '10s',
          route: [
            { destination: { host: 'podinfo-primary', port: PORT }, weight: 0 },
            { destination: { host: 'podinfo-canary', port: PORT }, weight: 100 },
          ],
        },
        { timeout: '10s', route: [{ destination: { host: 'podinfo-primary', port: PORT }, weight: 100 }] },
      ],
    });
    expect(await router.getRoutes(canary)).toEqual({ primary: 0, canary: 100, mirrored: false });
  });

  it('combines each A/B condition with each service condition', async () => {
    const cluster = new MemoryCluster();
    const canary = canaryFor(
      { match: [{ uri: { prefix: '/api' } }, { uri: { prefix: '/v2' } }] },
      AB_ANALYSIS,
    );
    await new IstioRouter({ cluster }).reconcile(canary, TARGETS);

    const http = (await vsOf(cluster)).spec as { http: { match?: unknown }[] };
    const premium = { 'user-type': { exact: 'premium' } };
    const cookie = { cookie: { regex: '^(.*?;)?(canary=always)(;.*)?$' } };
    expect(http.http.map((r) => r.match)).toStrictEqual([
      [
        { uri: { prefix: '/api' }, headers: premium },
        { uri: { prefix: '/v2' }, headers: premium },
        { uri: { prefix: '/api' }, headers: cookie },
        { uri: { prefix: '/v2' }, headers: cookie },
      ],
      [{ uri: { prefix: '/api' } }, { uri: { prefix: '/v2' } }],
    ]);
  });

  it('merges header maps of the two conditions, the A/B value winning a conflict', () => {
    expect(
      mergeMatches(
        [{ headers: { 'user-type': { exact: 'premium' }, 'x-env': { exact: 'ab' } } }],
        [{ headers: { 'x-env': { exact: 'prod' }, 'x-region': { prefix: 'eu' } }, method: { exact: 'GET' } }],
      ),
    ).toStrictEqual([
      {
        headers: {
          'x-env': { exact: 'ab' },
          'x-region': { prefix: 'eu' },
          'user-type': { exact: 'premium' },
        },
        method: { exact: 'GET' },
      },
    ]);
  });
});

describe('IstioRouter objects, mirroring', () => {
  it('mirrors to <apex>-canary by mirrorWeight, keeping the weights as given', async () => {
    const cluster = new MemoryCluster();
    const router = new IstioRouter({ cluster });
    const canary = canaryFor({}, { iterations: 5, mirror: true, mirrorWeight: 40 });
    await router.setRoutes(canary, { primary: 100, canary: 0, mirrored: true });

    expect((await vsOf(cluster)).spec).toMatchObject({
      http: [
        {
          route: [
            { destination: { host: 'podinfo-primary', port: PORT }, weight: 100 },
            { destination: { host: 'podinfo-canary', port: PORT }, weight: 0 },
          ],
          mirror: { host: 'podinfo-canary', port: PORT },
          mirrorPercentage: { value: 40 },
        },
      ],
    });
    expect(await router.getRoutes(canary)).toEqual({ primary: 100, canary: 0, mirrored: true });

    await router.setRoutes(canary, { primary: 0, canary: 100, mirrored: false });
    const [route] = ((await vsOf(cluster)).spec as { http: Record<string, unknown>[] }).http;
    expect(route).not.toHaveProperty('mirror');
    expect(route).not.toHaveProperty('mirrorPercentage');
  });

  it('mirrors to the canary subset in subset mode', async () => {
    const cluster = new MemoryCluster();
    const router = new IstioRouter({ cluster });
    const canary = canaryFor({ subsetRouting: true }, { iterations: 5, mirror: true });
    await router.reconcile(canary, TARGETS);
    await router.setRoutes(canary, { primary: 100, canary: 0, mirrored: true });

    expect((await vsOf(cluster)).spec).toMatchObject({
      http: [{ mirror: { host: 'podinfo', subset: 'canary', port: PORT }, mirrorPercentage: { value: 100 } }],
    });
    expect(await router.getRoutes(canary)).toEqual({ primary: 100, canary: 0, mirrored: true });
  });
});
