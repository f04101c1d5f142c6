/** A cluster holding a Canary and its target Deployment, for the workload controller tests. */
import { resolveCanary, type ResolvedCanary } from '../../../src/api/defaults.js';
import type { Canary, CanarySpec } from '../../../src/api/schema/canary.js';
import { MemoryCluster } from '../../../src/kube/memory/memory-cluster.js';
import { API, objectKey, type Deployment } from '../../../src/kube/resources.js';
import { DeploymentController } from '../../../src/workloads/deployment-controller.js';

export const NS = 'test';
export const TARGET_KEY = objectKey(API.deployment, NS, 'podinfo');
export const PRIMARY_KEY = objectKey(API.deployment, NS, 'podinfo-primary');
export const serviceKey = (name: string) => objectKey(API.service, NS, name);
export const configMapKey = (name: string) => objectKey(API.configMap, NS, name);
export const secretKey = (name: string) => objectKey(API.secret, NS, name);

/** The user's Deployment: two replicas of podinfo, selected by `app`. */
export function targetDeployment(patch: Partial<Deployment['spec']> = {}): Deployment {
  return {
    ...API.deployment,
    metadata: {
      name: 'podinfo',
      namespace: NS,
      labels: { app: 'podinfo', 'argocd.argoproj.io/instance': 'shop' },
    },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: 'podinfo' } },
      strategy: { type: 'RollingUpdate' },
      template: {
        metadata: {
          labels: { app: 'podinfo', 'app.kubernetes.io/part-of': 'shop' },
          annotations: { 'prometheus.io/scrape': 'true' },
        },
        spec: {
          containers: [
            {
              name: 'podinfo',
              image: 'example.com/podinfo:6.0.0',
              ports: [{ name: 'http', containerPort: 9898 }],
            },
          ],
        },
      },
      ...patch,
    },
  };
}

/** Writes by verb-less total: every request that changes the cluster. */
export function writes(cluster: MemoryCluster): number {
  const r = cluster.requests;
  return r.create + r.replace + r.patch + r.patchStatus + r.delete;
}

/** A cluster with the Canary (its uid assigned by the cluster) and, unless `target` is null, its target. */
export async function setup(
  options: {
    service?: Partial<CanarySpec['service']>;
    analysis?: Partial<CanarySpec['analysis']>;
    target?: Deployment | null;
    autoscalerRef?: CanarySpec['autoscalerRef'];
    now?: () => Date;
  } = {},
) {
  const cluster = new MemoryCluster();
  const stored = await cluster.create<Canary>({
    apiVersion: 'fledge.dev/v1alpha1',
    kind: 'Canary',
    metadata: { name: 'podinfo', namespace: NS },
    spec: {
      targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'podinfo' },
      service: { port: 9898, ...options.service },
      analysis: { interval: '1m', threshold: 5, stepWeight: 10, maxWeight: 50, ...options.analysis },
      ...(options.autoscalerRef ? { autoscalerRef: options.autoscalerRef } : {}),
    },
  });
  const canary: ResolvedCanary = resolveCanary(stored, { defaultProvider: 'istio' });
  if (options.target !== null) await cluster.create(options.target ?? targetDeployment());
  const controller = new DeploymentController({ cluster, ...(options.now ? { now: options.now } : {}) });
  return { cluster, canary, controller };
}

/** The owner reference every generated object carries. */
export function ownerOf(canary: ResolvedCanary) {
  return {
    apiVersion: 'fledge.dev/v1alpha1',
    kind: 'Canary',
    name: 'podinfo',
    uid: canary.uid,
    controller: true,
    blockOwnerDeletion: true,
  };
}

/** Reports the Deployment's status as a real cluster would once `ready` of its replicas are up. */
export async function setStatus(
  cluster: MemoryCluster,
  key: typeof TARGET_KEY,
  status: NonNullable<Deployment['status']>,
): Promise<void> {
  await cluster.patchStatus(key, status);
}

/** The status of a finished rollout of `replicas` at generation `generation`. */
export function rolledOut(replicas: number, generation: number): NonNullable<Deployment['status']> {
  return {
    observedGeneration: generation,
    replicas,
    updatedReplicas: replicas,
    readyReplicas: replicas,
    availableReplicas: replicas,
    conditions: [{ type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable' }],
  };
}
