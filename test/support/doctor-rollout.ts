/**
 * Objects for the `fledge doctor` integration tests: a Canary, its primary and canary Deployments
 * (the Deployment controller makes their pods, kwok runs them), a status written as the controller
 * would write it, and the routing objects written by the provider's router itself for that status.
 */
import { resolveCanary } from '../../src/api/defaults.js';
import type { Canary, CanarySpec, CanaryStatus } from '../../src/api/schema/canary.js';
import type { Cluster } from '../../src/kube/cluster.js';
import { API, objectKey, type Deployment } from '../../src/kube/resources.js';
import { createRouter } from '../../src/routers/factory.js';
import type { Routes } from '../../src/routers/router.js';
import { oneReplicaDeployment } from './deployments.js';

/** A one-replica Deployment whose pods are labelled `app: NAME` and run `containers`. */
export function doctorDeployment(namespace: string, name: string, containers: string[]): Deployment {
  return oneReplicaDeployment(
    namespace,
    name,
    containers.map((c) => ({ name: c, image: `${c}:1` })),
  );
}

/** What differs between the rollouts of a test. */
export interface DoctorRolloutOptions {
  /** `spec.provider` (default `istio`), with the fields it needs (`spec`, e.g. `ingressRef`). */
  provider?: string;
  spec?: Partial<CanarySpec>;
  /** Containers of the primary's and the canary's pods (default: `app` and `istio-proxy`). */
  primaryContainers?: string[];
  canaryContainers?: string[];
  service?: Partial<CanarySpec['service']>;
  analysis: CanarySpec['analysis'];
  metricsServer?: string;
  /** The status written (default Progressing at 20%) and the split the router writes (80/20). */
  status?: CanaryStatus;
  routes?: Routes;
  /** The pod labels the router is told the primary has (default: its Deployment's). */
  primaryLabels?: Record<string, string>;
  /** Create the Deployments now; false when the test created them earlier. */
  createDeployments?: boolean;
}

/** Creates the rollout `name` in `namespace` through `cluster`, as described by `o`. */
export async function createDoctorRollout(
  cluster: Cluster,
  namespace: string,
  name: string,
  o: DoctorRolloutOptions,
): Promise<void> {
  const proxied = ['app', 'istio-proxy'];
  if (o.createDeployments !== false) {
    await cluster.create(doctorDeployment(namespace, `${name}-primary`, o.primaryContainers ?? proxied));
    await cluster.create(doctorDeployment(namespace, name, o.canaryContainers ?? proxied));
  }
  const created = await cluster.create<Canary>({
    ...API.canary,
    metadata: { name, namespace },
    spec: {
      provider: o.provider ?? 'istio',
      ...o.spec,
      ...(o.metricsServer ? { metricsServer: o.metricsServer } : {}),
      targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name },
      service: { port: 9898, ...o.service },
      analysis: o.analysis,
    },
  });
  const status: CanaryStatus = o.status ?? { phase: 'Progressing', canaryWeight: 20, iterations: 1 };
  await cluster.patchStatus(objectKey(API.canary, namespace, name), status);
  const canary = resolveCanary({ ...created, status }, { defaultProvider: 'istio' });
  const router = createRouter(canary.provider, { cluster });
  await router.reconcile(canary, {
    primaryLabels: o.primaryLabels ?? { app: `${name}-primary` },
    canaryLabels: { app: name },
  });
  await router.setRoutes(canary, o.routes ?? { primary: 80, canary: 20, mirrored: false });
}
