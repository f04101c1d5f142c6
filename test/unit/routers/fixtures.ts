/** Canaries for the router tests, built the way the controller builds them. */
import { resolveCanary, type ResolvedCanary } from '../../../src/api/defaults.js';
import type { Canary, CanarySpec } from '../../../src/api/schema/canary.js';
import { API } from '../../../src/kube/resources.js';
import type { Ingress } from '../../../src/routers/nginx-objects.js';

export const NAMESPACE = 'test';
export const UID = '6f1c2a4e-0000-4000-8000-000000000001';

/** A Canary for Deployment `podinfo` on port 9898, with the given service and analysis fields. */
export function canaryObject(
  service: Partial<CanarySpec['service']> = {},
  analysis: Partial<CanarySpec['analysis']> = {},
  uid = UID,
): Canary {
  return {
    apiVersion: 'fledge.dev/v1alpha1',
    kind: 'Canary',
    metadata: { name: 'podinfo', namespace: NAMESPACE, uid },
    spec: {
      targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'podinfo' },
      service: { port: 9898, ...service },
      analysis: { interval: '1m', threshold: 5, maxWeight: 50, stepWeight: 10, ...analysis },
    },
  };
}

/** The resolved canary, as the controller hands it to a router. */
export function canaryFor(
  service: Partial<CanarySpec['service']> = {},
  analysis: Partial<CanarySpec['analysis']> = {},
  uid = UID,
): ResolvedCanary {
  return resolveCanary(canaryObject(service, analysis, uid), { defaultProvider: 'istio' });
}

/** The A/B analysis of the examples: premium users and users with the canary cookie. */
export const AB_ANALYSIS: Partial<CanarySpec['analysis']> = {
  iterations: 10,
  match: [
    { headers: { 'user-type': { exact: 'premium' } } },
    { headers: { cookie: { regex: '^(.*?;)?(canary=always)(;.*)?$' } } },
  ],
};

/** Pod labels of the two versions, as the workloads give them in subset mode. */
export const TARGETS = {
  primaryLabels: { app: 'podinfo-primary' },
  canaryLabels: { app: 'podinfo' },
};

/** The service fields of a production-like canary: every pass-through Istio setting. */
export const FULL_SERVICE: Partial<CanarySpec['service']> = {
  hosts: ['app.example.com'],
  gateways: ['public-gateway.istio-system.svc.cluster.local', 'mesh'],
  timeout: '10s',
  retries: { attempts: 3, perTryTimeout: '3s', retryOn: 'gateway-error,connect-failure,refused-stream' },
  match: [{ uri: { prefix: '/api' } }],
  rewrite: { uri: '/' },
  headers: { request: { add: { 'x-envoy-upstream-rq-timeout-ms': '15000' } } },
  corsPolicy: { allowOrigins: [{ exact: 'https://example.com' }], allowMethods: ['GET', 'POST'] },
  trafficPolicy: {
    connectionPool: { tcp: { maxConnections: 100 }, http: { http1MaxPendingRequests: 10 } },
    loadBalancer: { simple: 'LEAST_REQUEST' },
    outlierDetection: {
      consecutive5xxErrors: 5,
      interval: '30s',
      baseEjectionTime: '1m',
      maxEjectionPercent: 50,
    },
    tls: { mode: 'ISTIO_MUTUAL' },
  },
  apex: { labels: { team: 'web' }, annotations: { 'example.com/owner': 'web' } },
  primary: { labels: { version: 'primary' } },
  canary: { labels: { version: 'canary' }, annotations: { 'example.com/note': 'canary' } },
};

/** A user's Ingress: host app.example.com, path `/` to Service `service` on `port`. */
export function ingressTo(namespace: string, name: string, service: string, port: number): Ingress {
  return {
    ...API.ingress,
    metadata: { name, namespace },
    spec: {
      rules: [
        {
          host: 'app.example.com',
          http: {
            paths: [
              {
                path: '/',
                pathType: 'Prefix',
                backend: { service: { name: service, port: { number: port } } },
              },
            ],
          },
        },
      ],
    },
  };
}
