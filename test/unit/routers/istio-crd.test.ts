/** Every object the Istio router writes is valid against the real Istio CRDs (field names and types). */
import type { CanarySpec } from '../../../src/api/schema/canary.js';
import { MemoryCluster } from '../../../src/kube/memory/memory-cluster.js';
import { IstioRouter } from '../../../src/routers/istio.js';
import type { Routes } from '../../../src/routers/router.js';
import { istioSchemaErrors } from './crd-schema.js';
import { AB_ANALYSIS, FULL_SERVICE, NAMESPACE, TARGETS, canaryFor } from './fixtures.js';

const outlierDetection = {
  consecutiveErrors: 5,
  consecutive5xxErrors: 5,
  interval: '10s',
  baseEjectionTime: '30s',
  maxEjectionPercent: 100,
};

const SCENARIOS: [string, Partial<CanarySpec['service']>, Partial<CanarySpec['analysis']>, Routes][] = [
  ['host mode, every setting', FULL_SERVICE, {}, { primary: 70, canary: 30, mirrored: false }],
  [
    'subset mode',
    { ...FULL_SERVICE, subsetRouting: true, trafficPolicy: { outlierDetection } },
    {},
    { primary: 50, canary: 50, mirrored: false },
  ],
  ['A/B with service match', FULL_SERVICE, AB_ANALYSIS, { primary: 0, canary: 100, mirrored: false }],
  [
    'mirroring',
    {},
    { iterations: 5, mirror: true, mirrorWeight: 30 },
    { primary: 100, canary: 0, mirrored: true },
  ],
  [
    'subset mirroring',
    { subsetRouting: true },
    { iterations: 5, mirror: true },
    { primary: 100, canary: 0, mirrored: true },
  ],
  [
    'session affinity, canary and primary cookies',
    FULL_SERVICE,
    { sessionAffinity: { cookieName: 'canary-cookie', primaryCookieName: 'primary-cookie' } },
    {
      primary: 80,
      canary: 20,
      mirrored: false,
      cookies: { canary: 'canary-cookie=AAAAAAAAAA', primary: 'primary-cookie=BBBBBBBBBB' },
    },
  ],
  [
    'session affinity, previous cookie expired',
    FULL_SERVICE,
    { sessionAffinity: { cookieName: 'canary-cookie' } },
    { primary: 100, canary: 0, mirrored: false, cookies: { previous: 'canary-cookie=AAAAAAAAAA' } },
  ],
  ['delegation', { delegation: true }, {}, { primary: 60, canary: 40, mirrored: false }],
];

describe('Istio objects against the Istio CRDs', () => {
  it.each(SCENARIOS)('%s', async (_name, service, analysis, routes) => {
    const cluster = new MemoryCluster();
    const router = new IstioRouter({ cluster });
    const canary = canaryFor(service, analysis);
    await router.reconcile(canary, TARGETS);
    await router.setRoutes(canary, routes);

    const objects = cluster.snapshot();
    expect(objects.length).toBeGreaterThanOrEqual(2);
    for (const object of objects) expect(istioSchemaErrors(object)).toEqual([]);
  });

  it('a taken-over VirtualService stays valid', async () => {
    const cluster = new MemoryCluster();
    await cluster.create({
      apiVersion: 'networking.istio.io/v1',
      kind: 'VirtualService',
      metadata: { name: 'podinfo', namespace: NAMESPACE },
      spec: { hosts: ['podinfo'], http: [{ route: [{ destination: { host: 'podinfo' } }] }] },
    });
    const router = new IstioRouter({ cluster });
    await router.reconcile(canaryFor(FULL_SERVICE), TARGETS);
    for (const object of cluster.snapshot()) expect(istioSchemaErrors(object)).toEqual([]);
    await router.finalize(canaryFor(FULL_SERVICE));
    for (const object of cluster.snapshot()) expect(istioSchemaErrors(object)).toEqual([]);
  });

  it('the check rejects a misspelt field and a wrong type', () => {
    const bad = {
      apiVersion: 'networking.istio.io/v1',
      kind: 'VirtualService',
      metadata: { name: 'podinfo' },
      spec: {
        hosts: ['podinfo'],
        http: [
          { route: [{ destination: { host: 'podinfo' }, weigth: 10 }], mirrorPercentage: { value: 'all' } },
        ],
      },
    };
    const errors = istioSchemaErrors(bad);
    expect(errors.join('\n')).toMatch(/\/spec\/http\/0\/route\/0: must NOT have additional properties/);
    expect(errors.join('\n')).toMatch(/\/spec\/http\/0\/mirrorPercentage\/value: must be number/);
  });
});
