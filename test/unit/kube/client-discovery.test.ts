/** Resource addressing from discovery documents. */
import {
  apiVersionPath,
  collectionPath,
  findResource,
  objectPath,
  resourceLabel,
  splitApiVersion,
} from '../../../src/kube/client/discovery.js';

const canaryResources = [
  { name: 'canaries', kind: 'Canary', namespaced: true },
  { name: 'canaries/status', kind: 'Canary', namespaced: true },
];
const deploymentResources = [
  { name: 'deployments', kind: 'Deployment', namespaced: true },
  { name: 'deployments/scale', kind: 'Scale', namespaced: true },
  { name: 'deployments/status', kind: 'Deployment', namespaced: true },
];

describe('discovery helpers', () => {
  it('splits apiVersions, the core group being empty', () => {
    expect(splitApiVersion('v1')).toEqual({ group: '', version: 'v1' });
    expect(splitApiVersion('events.k8s.io/v1')).toEqual({ group: 'events.k8s.io', version: 'v1' });
    expect(apiVersionPath('v1')).toBe('/api/v1');
    expect(apiVersionPath('networking.istio.io/v1')).toBe('/apis/networking.istio.io/v1');
  });

  it('finds the main resource of a kind, skipping subresources, and notes a status subresource', () => {
    const canary = findResource('fledge.dev/v1alpha1', 'Canary', canaryResources);
    expect(canary).toEqual({
      apiVersion: 'fledge.dev/v1alpha1',
      kind: 'Canary',
      group: 'fledge.dev',
      version: 'v1alpha1',
      plural: 'canaries',
      namespaced: true,
      hasStatus: true,
    });
    expect(findResource('apps/v1', 'Scale', deploymentResources)).toBeUndefined();
    expect(
      findResource('v1', 'ConfigMap', [{ name: 'configmaps', kind: 'ConfigMap', namespaced: true }])
        ?.hasStatus,
    ).toBe(false);
    expect(findResource('apps/v1', 'StatefulSet', deploymentResources)).toBeUndefined();
  });

  it('builds paths and the resource labels the API server uses in its metrics', () => {
    const canary = findResource('fledge.dev/v1alpha1', 'Canary', canaryResources);
    const configMap = findResource('v1', 'ConfigMap', [
      { name: 'configmaps', kind: 'ConfigMap', namespaced: true },
    ]);
    if (!canary || !configMap) throw new Error('fixture');
    expect(collectionPath(canary, 'ns')).toBe('/apis/fledge.dev/v1alpha1/namespaces/ns/canaries');
    expect(collectionPath(canary)).toBe('/apis/fledge.dev/v1alpha1/canaries');
    expect(objectPath(canary, 'ns', 'podinfo', 'status')).toBe(
      '/apis/fledge.dev/v1alpha1/namespaces/ns/canaries/podinfo/status',
    );
    expect(objectPath(configMap, 'a b', 'x/y')).toBe('/api/v1/namespaces/a%20b/configmaps/x%2Fy');
    expect(resourceLabel(canary, 'status')).toBe('canaries.fledge.dev/status');
    expect(resourceLabel(configMap)).toBe('configmaps');
  });
});
