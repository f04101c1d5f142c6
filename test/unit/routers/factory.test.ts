/** The router factory: one router per implemented provider (the SMI forms too), and a clear error for anything else. */
import { IMPLEMENTED_PROVIDERS } from '../../../src/api/schema/canary.js';
import { MemoryCluster } from '../../../src/kube/memory/memory-cluster.js';
import { API, objectKey } from '../../../src/kube/resources.js';
import {
  SUPPORTED_PROVIDERS,
  UnsupportedProviderError,
  createRouter,
  isSupportedProvider,
} from '../../../src/routers/factory.js';
import { KubernetesRouter } from '../../../src/routers/kubernetes.js';
import { RouterError } from '../../../src/routers/router.js';
import { TARGETS, canaryFor } from './fixtures.js';
import { gatewayCanaryFor } from './gateway-api-fixtures.js';

describe('createRouter', () => {
  it('returns a router for istio that writes Istio objects', async () => {
    const cluster = new MemoryCluster();
    await createRouter('istio', { cluster }).reconcile(canaryFor(), TARGETS);
    expect(await cluster.get(objectKey(API.virtualService, 'test', 'podinfo'))).toBeDefined();
  });

  it('returns the Kubernetes router for kubernetes', () => {
    expect(createRouter('kubernetes', { cluster: new MemoryCluster() })).toBeInstanceOf(KubernetesRouter);
  });

  it.each([
    ['linkerd', 'split.smi-spec.io/v1alpha1'],
    ['smi:v1alpha1', 'split.smi-spec.io/v1alpha1'],
    ['smi:v1alpha2', 'split.smi-spec.io/v1alpha2'],
    ['smi:v1alpha3', 'split.smi-spec.io/v1alpha3'],
    ['smi:v1alpha2:osm', 'split.smi-spec.io/v1alpha2'],
  ])('returns a router for %s that writes a TrafficSplit at %s', async (provider, apiVersion) => {
    const cluster = new MemoryCluster();
    await createRouter(provider, { cluster }).reconcile(canaryFor(), TARGETS);
    const split = await cluster.get({ apiVersion, kind: 'TrafficSplit', namespace: 'test', name: 'podinfo' });
    expect(split?.apiVersion).toBe(apiVersion);
    expect(isSupportedProvider(provider)).toBe(true);
  });

  it.each(['gatewayapi:v1', 'gatewayapi:v1beta1'] as const)(
    'returns a router for %s that writes an HTTPRoute',
    async (provider) => {
      const cluster = new MemoryCluster();
      await createRouter(provider, { cluster }).reconcile(gatewayCanaryFor({}, {}, { provider }), TARGETS);
      const api = provider === 'gatewayapi:v1' ? API.httpRoute : API.httpRouteV1beta1;
      expect(await cluster.get(objectKey(api, 'test', 'podinfo'))).toBeDefined();
    },
  );

  it.each([
    'contour',
    'Istio',
    '',
    'toString',
    '__proto__',
    'smi',
    'smi:linkerd',
    'smi:v1alpha4',
    'smi:v1alpha2:',
  ])('refuses provider "%s"', (provider) => {
    let caught: unknown;
    try {
      createRouter(provider, { cluster: new MemoryCluster() });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(UnsupportedProviderError);
    expect(caught).toBeInstanceOf(RouterError);
    expect((caught as UnsupportedProviderError).provider).toBe(provider);
    expect(isSupportedProvider(provider)).toBe(false);
    expect((caught as Error).name).toBe('UnsupportedProviderError');
    expect((caught as Error).message).toBe(
      `provider "${provider}" is not supported by this version of Fledge; supported providers: ${SUPPORTED_PROVIDERS.join(', ')}`,
    );
  });

  it('supports exactly the providers the Canary schema declares implemented', () => {
    expect([...SUPPORTED_PROVIDERS].sort()).toEqual([...IMPLEMENTED_PROVIDERS].sort());
  });
});
