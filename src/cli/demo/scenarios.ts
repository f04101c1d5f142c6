/** The stories the sandbox tells, each with the outcome it announces, per provider. */
import type { Canary } from '../../api/schema/canary.js';
import type { KubeObject } from '../../kube/cluster.js';
import { API, type Deployment } from '../../kube/resources.js';
import type { VersionBehaviour } from '../../sandbox/mesh-traffic.js';
import { SANDBOX_PROVIDERS, type SandboxProvider } from '../../sandbox/route-followers.js';

export type Outcome = 'Succeeded' | 'Failed';

export interface Scenario {
  key: string;
  /** What the demo announces before it starts. */
  story: string;
  namespace: string;
  fromImage: string;
  toImage: string;
  expected: Outcome;
  /** A/B: only premium users may reach the canary. */
  premiumOnly: boolean;
  canary: Canary;
  /** Objects the user has before the Canary (NGINX: the Ingress Fledge copies). */
  objects?: KubeObject[];
  /** Requests per second in the scenario's namespace, when busier than the rest. */
  requestsPerSecond?: number;
  /** The judge's story: every threshold check must pass, and the judge must roll the canary back. */
  judged?: boolean;
}

export const APP = 'podinfo';
export const STABLE_IMAGE = 'podinfo:6.0.0';

/** How each image behaves under simulated traffic. */
export const VERSIONS: Record<string, VersionBehaviour> = {
  [STABLE_IMAGE]: { errorRatePercent: 0, p99LatencyMs: 110 },
  'podinfo:6.1.0': { errorRatePercent: 0, p99LatencyMs: 120 },
  'podinfo:6.2.0-faulty': { errorRatePercent: 5, p99LatencyMs: 130 },
  'podinfo:7.0.0-beta': { errorRatePercent: 0, p99LatencyMs: 115 },
  'podinfo:6.0.1': { errorRatePercent: 0.25, p99LatencyMs: 110 },
  'podinfo:6.3.0': { errorRatePercent: 0.5, p99LatencyMs: 110 },
};

const METRICS = [
  { name: 'request-success-rate', interval: '10s', thresholdRange: { min: 99 } },
  { name: 'request-duration', interval: '10s', thresholdRange: { max: 500 } },
];

/** Providers whose routes the sandbox's simulated traffic follows (`src/sandbox/route-followers.ts`). */
export const DEMO_PROVIDERS = SANDBOX_PROVIDERS;
export type DemoProvider = SandboxProvider;

function canary(namespace: string, analysis: Canary['spec']['analysis']): Canary {
  return {
    apiVersion: 'fledge.dev/v1alpha1',
    kind: 'Canary',
    metadata: { name: APP, namespace },
    spec: {
      provider: 'istio',
      targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: APP },
      service: { port: 9898, gateways: ['public-gateway'], hosts: ['podinfo.example.com'] },
      analysis: { interval: '1s', metrics: METRICS, ...analysis },
    },
  };
}

export const SCENARIOS: Scenario[] = [
  {
    key: 'healthy',
    story: 'a healthy version steps 10% -> 50% and is promoted',
    namespace: 'demo-healthy',
    fromImage: STABLE_IMAGE,
    toImage: 'podinfo:6.1.0',
    expected: 'Succeeded',
    premiumOnly: false,
    canary: canary('demo-healthy', { threshold: 2, stepWeight: 10, maxWeight: 50 }),
  },
  {
    key: 'faulty',
    story: 'a version answering 5% errors is rolled back after 2 failed checks',
    namespace: 'demo-faulty',
    fromImage: STABLE_IMAGE,
    toImage: 'podinfo:6.2.0-faulty',
    expected: 'Failed',
    premiumOnly: false,
    canary: canary('demo-faulty', { threshold: 2, stepWeight: 10, maxWeight: 50 }),
  },
  {
    key: 'a/b',
    story: 'A/B test: only `user-type: premium` requests reach the canary, then it is promoted',
    namespace: 'demo-ab',
    fromImage: STABLE_IMAGE,
    toImage: 'podinfo:7.0.0-beta',
    expected: 'Succeeded',
    premiumOnly: true,
    canary: canary('demo-ab', {
      threshold: 2,
      iterations: 6,
      match: [{ headers: { 'user-type': { exact: 'premium' } } }],
    }),
  },
  {
    key: 'judge',
    story:
      "a version with 0.5% errors against the primary's 0.25%: its 99% success rate passes at every step, the judge rolls it back",
    namespace: 'demo-judge',
    fromImage: 'podinfo:6.0.1',
    toImage: 'podinfo:6.3.0',
    expected: 'Failed',
    premiumOnly: false,
    // The judge needs counts: at 10% of 40,000 rps a 1 s interval gives the canary about 4,000 requests.
    requestsPerSecond: 40_000,
    judged: true,
    canary: canary('demo-judge', { threshold: 2, stepWeight: 10, maxWeight: 50, judge: {} }),
  },
];

/** The user's Ingress `podinfo` to the apex Service, which the NGINX router copies. */
function userIngress(namespace: string): KubeObject & { spec: unknown } {
  return {
    ...API.ingress,
    metadata: { name: APP, namespace },
    spec: {
      ingressClassName: 'nginx',
      rules: [
        {
          host: 'podinfo.example.com',
          http: {
            paths: [
              {
                path: '/',
                pathType: 'Prefix',
                backend: { service: { name: APP, port: { number: 9898 } } },
              },
            ],
          },
        },
      ],
    },
  };
}

/** `s` with `provider` and the service fields it takes instead of Istio's. */
function withProvider(s: Scenario, provider: string, spec: Partial<Canary['spec']>): Scenario {
  return { ...s, canary: { ...s.canary, spec: { ...s.canary.spec, provider, ...spec } } };
}

/** Blue/green: the analysis runs `iterations` times on the canary Service, users stay on the primary. */
function blueGreen(s: Scenario): Scenario {
  const { stepWeight: _step, maxWeight: _max, ...analysis } = s.canary.spec.analysis;
  const story =
    s.expected === 'Succeeded'
      ? 'blue/green: a healthy version is analysed 5 times on its own Service, then promoted'
      : 'blue/green: a version answering 5% errors is rolled back after 2 failed checks';
  return {
    ...s,
    story,
    canary: { ...s.canary, spec: { ...s.canary.spec, analysis: { ...analysis, iterations: 5 } } },
  };
}

/**
 * The stories with `provider`'s routes. An SMI TrafficSplit (linkerd) has no header matching, so
 * the A/B story is left out there rather than run as something it is not; with plain Services
 * (kubernetes) the healthy and faulty stories are blue/green, the only strategy without a split.
 */
export function scenariosFor(provider: DemoProvider): Scenario[] {
  const port = SCENARIOS[0]!.canary.spec.service.port;
  switch (provider) {
    case 'istio':
      return SCENARIOS;
    case 'linkerd':
      return SCENARIOS.filter((s) => !s.premiumOnly).map((s) =>
        withProvider(s, 'linkerd', { service: { port } }),
      );
    case 'gatewayapi':
      return SCENARIOS.map((s) =>
        withProvider(s, 'gatewayapi:v1', {
          service: {
            port,
            hosts: ['podinfo.example.com'],
            gatewayRefs: [{ name: 'public-gateway', namespace: 'gateway-system' }],
          },
        }),
      );
    case 'nginx':
      return SCENARIOS.map((s) => ({
        ...withProvider(s, 'nginx', {
          service: { port },
          ingressRef: { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', name: APP },
        }),
        objects: [userIngress(s.namespace)],
      }));
    case 'kubernetes':
      // Blue/green compares the canary Service's load test with the users' primary: not the judge's story.
      return SCENARIOS.filter((s) => !s.premiumOnly && !s.judged).map((s) =>
        blueGreen(withProvider(s, 'kubernetes', { service: { port } })),
      );
  }
}

/** The demo app's Deployment. */
export function deployment(namespace: string, image: string): Deployment {
  const labels = { app: APP };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: APP, namespace, labels },
    spec: {
      replicas: 2,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: { containers: [{ name: APP, image, ports: [{ name: 'http', containerPort: 9898 }] }] },
      },
    },
  };
}
