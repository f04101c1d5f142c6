/**
 * Every TrafficSplit the Linkerd / SMI router writes is valid against Linkerd's SMI CRD (which
 * serves v1alpha1 and v1alpha2; v1alpha3 is served by other SMI meshes, not checked here).
 */
import type { CanarySpec } from '../../../src/api/schema/canary.js';
import { MemoryCluster } from '../../../src/kube/memory/memory-cluster.js';
import { LinkerdRouter } from '../../../src/routers/linkerd.js';
import type { Routes } from '../../../src/routers/router.js';
import { istioSchemaErrors } from './crd-schema.js';
import { FULL_SERVICE, TARGETS } from './fixtures.js';
import { smiCanary, userTrafficSplit } from './linkerd-fixtures.js';

const SCENARIOS: [string, Partial<CanarySpec['analysis']>, Routes][] = [
  ['canary', {}, { primary: 70, canary: 30, mirrored: false }],
  ['blue/green', { iterations: 5 }, { primary: 0, canary: 100, mirrored: false }],
];

describe('TrafficSplits against the SMI CRD', () => {
  it.each(['v1alpha1', 'v1alpha2'] as const)('%s: canary and blue/green splits', async (smiVersion) => {
    for (const [, analysis, routes] of SCENARIOS) {
      const cluster = new MemoryCluster();
      const router = new LinkerdRouter({ cluster, smiVersion });
      const canary = smiCanary(FULL_SERVICE, analysis, { provider: `smi:${smiVersion}` });
      await router.reconcile(canary, TARGETS);
      await router.setRoutes(canary, routes);
      const objects = cluster.snapshot();
      expect(objects.map((o) => o.apiVersion)).toEqual([`split.smi-spec.io/${smiVersion}`]);
      for (const object of objects) expect(istioSchemaErrors(object)).toEqual([]);
    }
  });

  it('a taken-over TrafficSplit stays valid, and so does its restored original', async () => {
    const cluster = new MemoryCluster();
    const user = userTrafficSplit({ service: 'podinfo', backends: [{ service: 'podinfo-v1', weight: 100 }] });
    await cluster.create({ ...user, apiVersion: 'split.smi-spec.io/v1alpha1' });
    const router = new LinkerdRouter({ cluster });
    await router.reconcile(smiCanary(), TARGETS);
    for (const object of cluster.snapshot()) expect(istioSchemaErrors(object)).toEqual([]);
    await router.finalize(smiCanary());
    for (const object of cluster.snapshot()) expect(istioSchemaErrors(object)).toEqual([]);
  });

  it('the check rejects a misspelt field and a v1alpha2 quantity weight', () => {
    const bad = {
      apiVersion: 'split.smi-spec.io/v1alpha2',
      kind: 'TrafficSplit',
      metadata: { name: 'podinfo' },
      spec: { service: 'podinfo', backends: [{ service: 'podinfo-canary', weigth: 10, weight: '10' }] },
    };
    const errors = istioSchemaErrors(bad);
    expect(errors.join('\n')).toMatch(/\/spec\/backends\/0: must NOT have additional properties/);
    expect(errors.join('\n')).toMatch(/\/spec\/backends\/0\/weight: must be number/);
  });
});
