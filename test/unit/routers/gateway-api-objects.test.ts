/** The HTTPRoute the Gateway API router writes for each strategy, on the in-memory cluster. */
import type { CanarySpec } from '../../../src/api/schema/canary.js';
import { MemoryCluster } from '../../../src/kube/memory/memory-cluster.js';
import { API, objectKey } from '../../../src/kube/resources.js';
import { GatewayApiRouter } from '../../../src/routers/gateway-api.js';
import type { HttpRoute } from '../../../src/routers/gateway-api-objects.js';
import { RouterError } from '../../../src/routers/router.js';
import { istioSchemaErrors } from './crd-schema.js';
import { AB_ANALYSIS, NAMESPACE, TARGETS } from './fixtures.js';
import { FULL_GATEWAY_AB_SERVICE, FULL_GATEWAY_SERVICE, gatewayCanaryFor } from './gateway-api-fixtures.js';

const PRIMARY = { group: '', kind: 'Service', name: 'podinfo-primary', port: 9898 };
const CANARY = { group: '', kind: 'Service', name: 'podinfo-canary', port: 9898 };
const ALL = [{ path: { type: 'PathPrefix', value: '/' } }];
/** The RequestMirror filters of FULL_GATEWAY_SERVICE's `mirror`, with the API server's defaults. */
const SERVICE_MIRRORS = [
  {
    type: 'RequestMirror',
    requestMirror: { backendRef: { group: '', kind: 'Service', name: 'podinfo-shadow', port: 9898 } },
  },
  {
    type: 'RequestMirror',
    requestMirror: {
      backendRef: { group: '', kind: 'Service', name: 'recorder', namespace: 'audit', port: 80 },
      fraction: { numerator: 1, denominator: 20 },
    },
  },
];

async function written(
  canary: ReturnType<typeof gatewayCanaryFor>,
  routes = { primary: 90, canary: 10, mirrored: false },
) {
  const cluster = new MemoryCluster();
  const router = new GatewayApiRouter({ cluster });
  await router.reconcile(canary, TARGETS);
  await router.setRoutes(canary, routes);
  const route = await cluster.get<HttpRoute>(objectKey(API.httpRoute, canary.namespace, canary.names.apex));
  return { cluster, router, route: route! };
}

describe('GatewayApiRouter: the HTTPRoute of each strategy', () => {
  it('canary: one weighted rule, parentRefs and hostnames from the service', async () => {
    const { route } = await written(gatewayCanaryFor({ hosts: ['app.example.com'] }));
    expect(route.spec).toStrictEqual({
      parentRefs: [
        {
          group: 'gateway.networking.k8s.io',
          kind: 'Gateway',
          name: 'public-gateway',
          namespace: 'gateway-system',
        },
      ],
      hostnames: ['app.example.com'],
      rules: [
        {
          matches: ALL,
          backendRefs: [
            { ...PRIMARY, weight: 90 },
            { ...CANARY, weight: 10 },
          ],
        },
      ],
    });
  });

  it('carries matches, header modifiers, the rewrite, service.mirror and the timeout on every rule', async () => {
    const { route } = await written(gatewayCanaryFor(FULL_GATEWAY_SERVICE));
    expect(route.metadata.labels).toEqual({ team: 'web' });
    expect(route.metadata.annotations).toEqual({ 'example.com/owner': 'web' });
    expect(route.spec!.parentRefs).toEqual([
      {
        group: 'gateway.networking.k8s.io',
        kind: 'Gateway',
        name: 'public-gateway',
        namespace: 'gateway-system',
        sectionName: 'https',
      },
      {
        group: 'gateway.networking.k8s.io',
        kind: 'Gateway',
        name: 'internal-gateway',
        namespace: 'gateway-system',
        port: 8080,
      },
    ]);
    expect(route.spec!.rules).toStrictEqual([
      {
        matches: [{ path: { type: 'PathPrefix', value: '/api' } }],
        filters: [
          {
            type: 'RequestHeaderModifier',
            requestHeaderModifier: {
              add: [
                { name: 'x-a', value: '1' },
                { name: 'x-b', value: '2' },
              ],
              remove: ['x-debug'],
            },
          },
          {
            type: 'ResponseHeaderModifier',
            responseHeaderModifier: { set: [{ name: 'cache-control', value: 'no-store' }] },
          },
          {
            type: 'URLRewrite',
            urlRewrite: { path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/' } },
          },
          ...SERVICE_MIRRORS,
        ],
        backendRefs: [
          { ...PRIMARY, weight: 90 },
          { ...CANARY, weight: 10 },
        ],
        timeouts: { request: '10s' },
      },
    ]);
  });

  it('A/B: the analysis matches (headers, the cookie header, query) on the weighted rule, the rest on the primary', async () => {
    const analysis = {
      ...AB_ANALYSIS,
      match: [...AB_ANALYSIS.match!, { queryParams: { beta: { exact: 'yes' } } }],
    };
    const { route, router } = await written(
      gatewayCanaryFor({ match: [{ uri: { prefix: '/api' } }] }, analysis),
      {
        primary: 0,
        canary: 100,
        mirrored: false,
      },
    );
    const api = { type: 'PathPrefix', value: '/api' };
    expect(route.spec!.rules).toStrictEqual([
      {
        matches: [
          { path: api, headers: [{ name: 'user-type', type: 'Exact', value: 'premium' }] },
          {
            path: api,
            headers: [{ name: 'cookie', type: 'RegularExpression', value: '^(.*?;)?(canary=always)(;.*)?$' }],
          },
          { path: api, queryParams: [{ name: 'beta', type: 'Exact', value: 'yes' }] },
        ],
        backendRefs: [
          { ...PRIMARY, weight: 0 },
          { ...CANARY, weight: 100 },
        ],
      },
      { matches: [{ path: api }], backendRefs: [{ ...PRIMARY, weight: 100 }] },
    ]);
    expect(
      await router.getRoutes(gatewayCanaryFor({ match: [{ uri: { prefix: '/api' } }] }, analysis)),
    ).toEqual({
      primary: 0,
      canary: 100,
      mirrored: false,
    });
  });

  it('A/B merges service and analysis headers by name, the analysis winning', async () => {
    const { route } = await written(
      gatewayCanaryFor(
        { match: [{ headers: { 'x-env': { exact: 'prod' }, 'user-type': { exact: 'basic' } } }] },
        { iterations: 5, match: [{ headers: { 'user-type': { exact: 'premium' } } }] },
      ),
    );
    expect(route.spec!.rules![0]!.matches).toEqual([
      {
        path: { type: 'PathPrefix', value: '/' },
        headers: [
          { name: 'x-env', type: 'Exact', value: 'prod' },
          { name: 'user-type', type: 'Exact', value: 'premium' },
        ],
      },
    ]);
  });

  it('blue/green with mirroring: a RequestMirror filter to the canary with analysis.mirrorWeight', async () => {
    const canary = gatewayCanaryFor({}, { iterations: 5, mirror: true, mirrorWeight: 25 });
    const { route, router } = await written(canary, { primary: 100, canary: 0, mirrored: true });
    expect(route.spec!.rules).toStrictEqual([
      {
        matches: ALL,
        filters: [{ type: 'RequestMirror', requestMirror: { backendRef: CANARY, percent: 25 } }],
        backendRefs: [
          { ...PRIMARY, weight: 100 },
          { ...CANARY, weight: 0 },
        ],
      },
    ]);
    expect(await router.getRoutes(canary)).toEqual({ primary: 100, canary: 0, mirrored: true });
  });

  it('service.mirror beside analysis.mirror: the service mirrors, then the copy to the canary', async () => {
    const service = { mirror: [{ backendRef: { name: 'podinfo-shadow', port: 9898 }, percent: 10 }] };
    const shadow = {
      type: 'RequestMirror',
      requestMirror: {
        backendRef: { group: '', kind: 'Service', name: 'podinfo-shadow', port: 9898 },
        percent: 10,
      },
    };
    const canary = gatewayCanaryFor(service, { iterations: 5, mirror: true, mirrorWeight: 25 });
    const { route, router } = await written(canary, { primary: 100, canary: 0, mirrored: true });
    expect(route.spec!.rules![0]!.filters).toStrictEqual([
      shadow,
      { type: 'RequestMirror', requestMirror: { backendRef: CANARY, percent: 25 } },
    ]);
    expect(await router.getRoutes(canary)).toEqual({ primary: 100, canary: 0, mirrored: true });
    // Without the copy to the canary, the service's own mirror does not read as mirrored.
    await router.setRoutes(canary, { primary: 100, canary: 0, mirrored: false });
    expect(await router.getRoutes(canary)).toEqual({ primary: 100, canary: 0, mirrored: false });
  });

  it('A/B: service.mirror on the matched rule and on the primary rule', async () => {
    const { route } = await written(gatewayCanaryFor(FULL_GATEWAY_AB_SERVICE, AB_ANALYSIS), {
      primary: 0,
      canary: 100,
      mirrored: false,
    });
    const rules = route.spec!.rules!;
    expect(rules).toHaveLength(2);
    for (const r of rules)
      expect(r.filters!.filter((f) => f.type === 'RequestMirror')).toEqual(SERVICE_MIRRORS);
  });

  it('session affinity: service.mirror on the sticky rule and the weighted rule', async () => {
    const { route } = await written(
      gatewayCanaryFor(
        { mirror: [{ backendRef: { name: 'podinfo-shadow', port: 9898 } }] },
        { sessionAffinity: { cookieName: 'flagger-cookie' } },
      ),
      { primary: 80, canary: 20, mirrored: false },
    );
    const rules = route.spec!.rules!;
    expect(rules).toHaveLength(2);
    for (const r of rules) {
      expect(r.filters).toEqual([
        {
          type: 'RequestMirror',
          requestMirror: { backendRef: { group: '', kind: 'Service', name: 'podinfo-shadow', port: 9898 } },
        },
      ]);
    }
  });

  it('writes gateway.networking.k8s.io/v1beta1 for provider gatewayapi:v1beta1', async () => {
    const { cluster } = await written(gatewayCanaryFor({}, {}, { provider: 'gatewayapi:v1beta1' }));
    const stored = await cluster.get(objectKey(API.httpRouteV1beta1, NAMESPACE, 'podinfo'));
    expect(stored?.apiVersion).toBe('gateway.networking.k8s.io/v1beta1');
  });

  it.each([
    ['canary', FULL_GATEWAY_SERVICE, {}, { primary: 70, canary: 30, mirrored: false }],
    ['A/B', FULL_GATEWAY_AB_SERVICE, AB_ANALYSIS, { primary: 0, canary: 100, mirrored: false }],
    [
      'mirroring',
      {},
      { iterations: 5, mirror: true, mirrorWeight: 30 },
      { primary: 100, canary: 0, mirrored: true },
    ],
  ] as const)(
    '%s: the HTTPRoute is valid against the Gateway API CRD',
    async (_name, service, analysis, routes) => {
      for (const provider of ['gatewayapi:v1', 'gatewayapi:v1beta1']) {
        const { cluster } = await written(gatewayCanaryFor(service, analysis, { provider }), routes);
        for (const object of cluster.snapshot()) expect(istioSchemaErrors(object)).toEqual([]);
      }
    },
  );
});

describe('GatewayApiRouter: what Gateway API cannot express', () => {
  it.each([
    [{ gatewayRefs: [] }, {}, 'spec.service.gatewayRefs: is required with a Gateway API provider'],
    [
      { match: [{ headers: { 'x-a': { prefix: 'a' } } }] },
      {},
      'spec.service.match[0].headers.x-a.prefix: is not supported by Gateway API',
    ],
    [{ timeout: '1.5s' }, {}, 'spec.service.timeout: Gateway API durations are whole numbers'],
    [
      {},
      { iterations: 3, match: [{ sourceLabels: { app: 'x' } }] },
      'spec.analysis.match[0].sourceLabels: is not supported by Gateway API',
    ],
    [{ match: [{ uri: { exact: 'api' } }] }, {}, 'spec.service.match[0].uri.exact: must be an absolute path'],
  ] as [Partial<CanarySpec['service']>, Partial<CanarySpec['analysis']>, string][])(
    'refuses %j %j, writing nothing',
    async (service, analysis, message) => {
      const cluster = new MemoryCluster();
      const router = new GatewayApiRouter({ cluster });
      const canary = gatewayCanaryFor(service, analysis);
      await expect(router.reconcile(canary, TARGETS)).rejects.toThrow(RouterError);
      await expect(router.setRoutes(canary, { primary: 100, canary: 0, mirrored: false })).rejects.toThrow(
        message,
      );
      expect(cluster.snapshot()).toEqual([]);
    },
  );

  it('refuses a malformed stored HTTPRoute, naming the field', async () => {
    const cluster = new MemoryCluster();
    await cluster.create({
      apiVersion: API.httpRoute.apiVersion,
      kind: 'HTTPRoute',
      metadata: { name: 'podinfo', namespace: NAMESPACE },
      spec: { rules: [{ backendRefs: { name: 'podinfo' } }] },
    });
    await expect(new GatewayApiRouter({ cluster }).getRoutes(gatewayCanaryFor())).rejects.toThrow(
      'HTTPRoute test/podinfo: spec.rules[0].backendRefs must be a list, got an object',
    );
  });

  it('names the HTTPRoute when it is missing or has no rule to the canary', async () => {
    const cluster = new MemoryCluster();
    const router = new GatewayApiRouter({ cluster });
    await expect(router.getRoutes(gatewayCanaryFor())).rejects.toThrow('HTTPRoute test/podinfo not found');
    await cluster.create({
      apiVersion: API.httpRoute.apiVersion,
      kind: 'HTTPRoute',
      metadata: { name: 'podinfo', namespace: NAMESPACE },
      spec: { rules: [{ backendRefs: [{ name: 'podinfo', port: 9898 }] }] },
    });
    await expect(router.getRoutes(gatewayCanaryFor())).rejects.toThrow(
      'HTTPRoute test/podinfo has no rule with a backendRef to the canary (podinfo-canary)',
    );
  });

  it('requires a cluster', () => {
    expect(() => new GatewayApiRouter(undefined as never)).toThrow(
      'GatewayApiRouter: options.cluster is required',
    );
  });
});
