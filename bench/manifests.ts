/** The objects the benchmark rolls out: one Deployment and one Canary per simulated application. */
import type { Canary } from '../src/api/schema/canary.js';
import { API } from '../src/kube/resources.js';
import { appContainer, appDeployment } from '../test/support/devtools/manifests.js';

/** The image every application starts with, and the one each rollout moves it to. */
export const STABLE_IMAGE = 'bench/app:1';
export const NEW_IMAGE = 'bench/app:2';

/** Metrics every benchmark canary checks: the builtin ones the simulated provider answers. */
export const BENCH_METRICS = ['request-success-rate', 'request-duration'] as const;

/** How the benchmark's canaries analyse and step. */
export interface CanaryShape {
  /** `analysis.interval`, e.g. `10s`. */
  interval: string;
  stepWeight: number;
  maxWeight: number;
  threshold: number;
  /** Metrics to check, from {@link BENCH_METRICS}. */
  metrics: readonly (typeof BENCH_METRICS)[number][];
}

/** The name of the i-th application (`app-00042`). */
export function appName(index: number): string {
  return `app-${String(index).padStart(5, '0')}`;
}

/** A one-replica Deployment running `image`. */
export const benchDeployment = appDeployment;

/** An Istio canary for the Deployment `name`, with the metric checks of `shape`. */
export function benchCanary(namespace: string, name: string, shape: CanaryShape): Canary {
  return {
    apiVersion: API.canary.apiVersion,
    kind: API.canary.kind,
    metadata: { name, namespace },
    spec: {
      provider: 'istio',
      targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name },
      progressDeadlineSeconds: 600,
      service: { port: 8080 },
      analysis: {
        interval: shape.interval,
        threshold: shape.threshold,
        stepWeight: shape.stepWeight,
        maxWeight: shape.maxWeight,
        metrics: shape.metrics.map((metric) =>
          metric === 'request-success-rate'
            ? { name: metric, interval: '1m', thresholdRange: { min: 99 } }
            : { name: metric, interval: '1m', thresholdRange: { max: 500 } },
        ),
      },
    },
  };
}

/** A merge patch that moves a Deployment to `image`. */
export function imagePatch(image: string): Record<string, unknown> {
  // Containers are a list: a merge patch replaces it whole.
  return { spec: { template: { spec: { containers: [appContainer(image)] } } } };
}
