/** Canaries for the Linkerd / SMI router tests, resolved the way the controller resolves them. */
import { resolveCanary, type ResolvedCanary } from '../../../src/api/defaults.js';
import type { CanarySpec } from '../../../src/api/schema/canary.js';
import type { KubeObject } from '../../../src/kube/cluster.js';
import type { MemoryCluster } from '../../../src/kube/memory/memory-cluster.js';
import { UID, canaryObject } from './fixtures.js';

/** The podinfo canary of `fixtures.ts` with `spec.provider` set (default `linkerd`). */
export function smiCanary(
  service: Partial<CanarySpec['service']> = {},
  analysis: Partial<CanarySpec['analysis']> = {},
  options: { provider?: string; uid?: string } = {},
): ResolvedCanary {
  const object = canaryObject(service, analysis, options.uid ?? UID);
  object.spec.provider = options.provider ?? 'linkerd';
  return resolveCanary(object, { defaultProvider: 'istio' });
}

/** Writes that reached the cluster (creates, patches, replaces, deletes). */
export const writes = (cluster: MemoryCluster): number =>
  cluster.requests.create + cluster.requests.patch + cluster.requests.replace + cluster.requests.delete;

/** A TrafficSplit as a user (or another tool) wrote it before Fledge; `spec` is the user's. */
export function userTrafficSplit(spec: Record<string, unknown>, meta: Partial<KubeObject['metadata']> = {}) {
  return {
    apiVersion: 'split.smi-spec.io/v1alpha2',
    kind: 'TrafficSplit',
    metadata: { name: 'podinfo', namespace: 'test', ...meta },
    spec,
  };
}
