/**
 * Many canaries in one namespace for the multi-replica e2e tests and the benchmark's soak: each has its own Deployment and
 * VirtualService, and steps on time alone (no metrics, so no traffic or Prometheus is needed: these
 * tests are about who ticks, not about analysis). A failing canary has one check that fails
 * without traffic (its MetricTemplate does not exist). Every weight split written to each
 * VirtualService is recorded through a watch.
 */
import type { Canary } from '../../../src/api/schema/canary.js';
import type { Cluster, KubeObject } from '../../../src/kube/cluster.js';
import { API, objectKey, type Deployment } from '../../../src/kube/resources.js';
import { appDeployment } from './manifests.js';
import { createNamespace, deleteNamespaceBestEffort } from '../namespaces.js';

/** `analysis.stepWeight` and `analysis.maxWeight` of every herd canary. */
export const HERD_STEP_WEIGHT = 10;
export const HERD_MAX_WEIGHT = 50;

/** Every split of a canary that steps 10 -> 50 and is promoted (`primary/canary`). */
export const STEPPED_ROLLOUT = ['100/0', '90/10', '80/20', '70/30', '60/40', '50/50', '100/0'];
/** Every split of a canary rolled back at its first step after two failed checks. */
export const ROLLED_BACK = ['100/0', '90/10', '100/0'];

interface VirtualService extends KubeObject {
  spec: { http?: { route?: { weight?: number }[] }[] };
}

/** Options of {@link CanaryHerd}. */
export interface CanaryHerdOptions {
  namespace: string;
  count: number;
  /** Which canaries (by index) get a check that always fails (default: none). */
  failing?: (index: number) => boolean;
  /** `analysis.interval` (default `2s`). */
  interval?: string;
}

/** N step-only canaries in one namespace, and the weights their VirtualServices went through. */
export class CanaryHerd {
  /** Canary (and Deployment and VirtualService) names: `app-00`, `app-01`, ... */
  readonly names: string[];
  /** Every distinct split each VirtualService was written with, in order, by canary name. */
  readonly weights = new Map<string, string[]>();
  private unwatch: (() => void) | undefined;

  constructor(
    readonly kube: Cluster,
    readonly o: CanaryHerdOptions,
  ) {
    this.names = Array.from({ length: o.count }, (_, i) => `app-${String(i).padStart(2, '0')}`);
    for (const name of this.names) this.weights.set(name, []);
  }

  get namespace(): string {
    return this.o.namespace;
  }

  /** Whether canary `name` was made to fail. */
  isFailing(name: string): boolean {
    return this.o.failing?.(this.names.indexOf(name)) ?? false;
  }

  /** Creates the namespace, starts recording weights, then creates the Deployments and Canaries. */
  async start(image = 'podinfo:1'): Promise<void> {
    await createNamespace(this.kube, this.namespace);
    this.unwatch = this.kube.watch<VirtualService>(
      { ...API.virtualService, namespace: this.namespace },
      (e) => {
        const recorded = this.weights.get(e.object.metadata.name);
        if (!recorded || e.type === 'DELETED') return;
        const split = (e.object.spec.http?.[0]?.route ?? []).map((r) => r.weight ?? 0).join('/');
        if (recorded.at(-1) !== split) recorded.push(split);
      },
    );
    for (const name of this.names) await this.kube.create(appDeployment(this.namespace, name, image));
    for (const name of this.names) {
      await this.kube.create(stepCanary(this.namespace, name, this.isFailing(name), this.o.interval ?? '2s'));
    }
  }

  /** Stops recording and deletes the namespace. */
  async stop(): Promise<void> {
    this.unwatch?.();
    await deleteNamespaceBestEffort(this.kube, this.namespace);
  }

  async canaries(): Promise<Canary[]> {
    return this.kube.list<Canary>({ ...API.canary, namespace: this.namespace });
  }

  /** Resolves once every canary is in one of `phases`; rejects naming those that are not. */
  async waitForAll(phases: string[], timeoutMs: number): Promise<Map<string, Canary>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const byName = new Map((await this.canaries()).map((c) => [c.metadata.name, c]));
      const behind = this.names.filter((n) => !phases.includes(byName.get(n)?.status?.phase ?? ''));
      if (behind.length === 0) return byName;
      if (Date.now() > deadline) {
        const report = behind.map((n) => `${n}: ${byName.get(n)?.status?.phase ?? 'no status'}`).join(', ');
        throw new Error(`${this.namespace}: not ${phases.join('|')} after ${timeoutMs} ms: ${report}`);
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  }

  async deployment(name: string): Promise<Deployment | undefined> {
    return this.kube.get<Deployment>(objectKey(API.deployment, this.namespace, name));
  }

  /** Sets the container image of every target Deployment: a new revision for every canary. */
  async setImage(image: string): Promise<void> {
    for (const name of this.names) await this.setImageOf(name, image);
  }

  /** Sets the container image of the target Deployment of canary `name`: a new revision of it. */
  async setImageOf(name: string, image: string): Promise<void> {
    const d = await this.deployment(name);
    if (!d) throw new Error(`${this.namespace}/${name}: no target Deployment to set image ${image} on`);
    await this.kube.patch(objectKey(API.deployment, this.namespace, name), {
      spec: { template: { spec: { containers: [{ ...d.spec.template.spec.containers[0], image }] } } },
    });
  }

  /** The split sequence each canary should show, from how it was made. */
  expected(name: string): string[] {
    return this.isFailing(name) ? ROLLED_BACK : STEPPED_ROLLOUT;
  }

  /** Canaries whose recorded splits differ from {@link expected}, with what was recorded. */
  wrongWeights(): Record<string, string[]> {
    const wrong: Record<string, string[]> = {};
    for (const name of this.names) {
      const seen = this.weights.get(name)!;
      if (seen.join(' ') !== this.expected(name).join(' ')) wrong[name] = seen;
    }
    return wrong;
  }
}

/** A canary that steps 10 -> 50 every `interval` with no analysis, or one whose only check fails. */
function stepCanary(namespace: string, name: string, failing: boolean, interval: string): Canary {
  return {
    apiVersion: 'fledge.dev/v1alpha1',
    kind: 'Canary',
    metadata: { name, namespace },
    spec: {
      provider: 'istio',
      targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name },
      progressDeadlineSeconds: 120,
      service: { port: 9898 },
      analysis: {
        interval,
        threshold: 2,
        stepWeight: HERD_STEP_WEIGHT,
        maxWeight: HERD_MAX_WEIGHT,
        metrics: failing
          ? [{ name: 'error-budget', templateRef: { name: 'missing' }, thresholdRange: { max: 1 } }]
          : [],
      },
    },
  };
}
