/** Gateway API canaries and objects for the router tests, built the way the controller builds them. */
import { resolveCanary, type ResolvedCanary } from '../../../src/api/defaults.js';
import type { CanarySpec } from '../../../src/api/schema/canary.js';
import type { HttpRoute } from '../../../src/routers/gateway-api-objects.js';
import { NAMESPACE, UID, canaryObject } from './fixtures.js';

/** The Gateway the examples attach to. */
export const GATEWAY_REFS: NonNullable<CanarySpec['service']['gatewayRefs']> = [
  { name: 'public-gateway', namespace: 'gateway-system' },
];

/** A Canary with `provider: gatewayapi:v1` (or `version`), resolved as the controller does. */
export function gatewayCanaryFor(
  service: Partial<CanarySpec['service']> = {},
  analysis: Partial<CanarySpec['analysis']> = {},
  options: { uid?: string; namespace?: string; provider?: string } = {},
): ResolvedCanary {
  const object = canaryObject({ gatewayRefs: GATEWAY_REFS, ...service }, analysis, options.uid ?? UID);
  object.metadata.namespace = options.namespace ?? NAMESPACE;
  object.spec.provider = options.provider ?? 'gatewayapi:v1';
  return resolveCanary(object, { defaultProvider: 'istio' });
}

/** The service fields of a production-like Gateway API canary: every setting the router translates. */
export const FULL_GATEWAY_SERVICE: Partial<CanarySpec['service']> = {
  gatewayRefs: [
    { name: 'public-gateway', namespace: 'gateway-system', sectionName: 'https' },
    { name: 'internal-gateway', namespace: 'gateway-system', port: 8080 },
  ],
  hosts: ['app.example.com'],
  timeout: '10s',
  match: [{ uri: { prefix: '/api' } }],
  rewrite: { uri: '/' },
  headers: {
    request: { add: { 'x-b': '2', 'x-a': '1' }, remove: ['x-debug'] },
    response: { set: { 'cache-control': 'no-store' } },
  },
  apex: { labels: { team: 'web' }, annotations: { 'example.com/owner': 'web' } },
  // Copies to a shadow deployment: every request to one, a fraction to another namespace's.
  mirror: [
    { backendRef: { name: 'podinfo-shadow', port: 9898 } },
    {
      backendRef: { name: 'recorder', namespace: 'audit', port: 80 },
      fraction: { numerator: 1, denominator: 20 },
    },
  ],
};

/**
 * The same for A/B testing: the CRD allows a prefix rewrite only on a rule with one prefix match,
 * and the A/B rule has one per analysis match, so the rewrite replaces the full path.
 */
export const FULL_GATEWAY_AB_SERVICE: Partial<CanarySpec['service']> = {
  ...FULL_GATEWAY_SERVICE,
  rewrite: { uri: '/v2', type: 'ReplaceFullPath' },
};

/** An HTTPRoute the user wrote before installing Fledge. */
export function userHttpRoute(namespace = NAMESPACE, apiVersion = 'gateway.networking.k8s.io/v1'): HttpRoute {
  return {
    apiVersion,
    kind: 'HTTPRoute',
    metadata: {
      name: 'podinfo',
      namespace,
      labels: { app: 'podinfo' },
      annotations: { 'example.com/owner': 'ops' },
    },
    spec: {
      parentRefs: [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'old-gateway' }],
      hostnames: ['podinfo.example.com'],
      rules: [
        {
          matches: [{ path: { type: 'PathPrefix', value: '/' } }],
          backendRefs: [{ group: '', kind: 'Service', name: 'podinfo', port: 9898, weight: 1 }],
        },
      ],
    },
  };
}
