/**
 * The workload controller's autoscaler and replica writes through the real cluster adapter, checked
 * as kube-apiserver stored them (local control plane, KEDA's ScaledObject CRD installed): the
 * primary's HorizontalPodAutoscaler and ScaledObject, KEDA's pause annotation, no write on a second
 * pass (the server's defaulting must not make every tick a write), and without an autoscaler the
 * target's replicas reaching the primary on promotion.
 */
import { randomBytes } from 'node:crypto';
import { resolveCanary, type ResolvedCanary } from '../../src/api/defaults.js';
import type { Canary, CanarySpec } from '../../src/api/schema/canary.js';
import type { KubeObject, ObjectKey } from '../../src/kube/cluster.js';
import { ClientNodeCluster } from '../../src/kube/client/client-node-cluster.js';
import { loadKubeConfig } from '../../src/kube/client/config.js';
import {
  API,
  objectKey,
  type Deployment,
  type HorizontalPodAutoscaler,
  type ScaledObject,
} from '../../src/kube/resources.js';
import { DeploymentController } from '../../src/workloads/deployment-controller.js';
import { PAUSED_REPLICAS_ANNOTATION } from '../../src/workloads/scalers/scaled-object.js';
import { CLUSTER_SETUP_TIMEOUT_MS, ensureCluster, type LocalCluster } from '../support/cluster.js';
import { parseAllDocuments } from 'yaml';
import { ChartTool } from '../support/helm.js';
import { eventually } from '../support/eventually.js';
import { createNamespace, deleteNamespaceBestEffort } from '../support/namespaces.js';

const namespace = `fledge-scalers-${randomBytes(3).toString('hex')}`;
let local: LocalCluster | undefined;
let admin: ClientNodeCluster | undefined;

function client(): ClientNodeCluster {
  if (!local) throw new Error('the control plane did not start (see beforeAll)');
  return new ClientNodeCluster({ kubeConfig: loadKubeConfig({ kubeconfigPath: local.kubeconfigPath }) });
}

function adminCluster(): ClientNodeCluster {
  if (!admin) throw new Error('no admin client (see beforeAll)');
  return admin;
}

/** Reads an object as the API server has it now: a fresh client lists it, nothing cached before. */
async function stored<T extends KubeObject>(key: ObjectKey): Promise<T | undefined> {
  const fresh = client();
  try {
    return await fresh.get<T>(key);
  } finally {
    fresh.stop();
  }
}

function deployment(name: string, replicas: number, image = 'podinfo:1'): Deployment {
  const labels = { app: name };
  return {
    ...API.deployment,
    metadata: { name, namespace },
    spec: {
      replicas,
      selector: { matchLabels: labels },
      template: { metadata: { labels }, spec: { containers: [{ name: 'app', image }] } },
    },
  };
}

/** Stores the Canary (the server gives it the uid its dependents reference) and resolves it. */
async function canary(name: string, autoscalerRef?: CanarySpec['autoscalerRef']): Promise<ResolvedCanary> {
  const object = await adminCluster().create<Canary>({
    ...API.canary,
    metadata: { name, namespace },
    spec: {
      targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name },
      ...(autoscalerRef ? { autoscalerRef } : {}),
      service: { port: 9898 },
      analysis: { interval: '1m', threshold: 5, stepWeight: 10, maxWeight: 50 },
    },
  });
  return resolveCanary(object, { defaultProvider: 'istio' });
}

/** `verb resource[.group]` of every request the tests' controllers made, for the RBAC check. */
const used = new Set<string>();

function stopAndRecord(cluster: ClientNodeCluster): void {
  for (const key of Object.keys(cluster.requests)) if (!key.startsWith('discovery ')) used.add(key);
  cluster.stop();
}

function writes(cluster: ClientNodeCluster): number {
  return Object.entries(cluster.requests)
    .filter(([key]) => /^(create|update|patch|delete) /.test(key))
    .reduce((sum, [, n]) => sum + n, 0);
}

beforeAll(async () => {
  local = await ensureCluster();
  admin = client();
  await createNamespace(admin, namespace);
}, CLUSTER_SETUP_TIMEOUT_MS);

afterAll(async () => {
  if (admin) {
    await deleteNamespaceBestEffort(admin, namespace);
    admin.stop();
  }
  await local?.stop();
}, 120_000);

describe('autoscalers on kube-apiserver', () => {
  it('creates the primary HPA as stored by the server, writes nothing more, and syncs it on promotion', async () => {
    const cluster = client();
    try {
      await adminCluster().create(deployment('web', 2));
      const hpa: HorizontalPodAutoscaler = {
        ...API.horizontalPodAutoscaler,
        metadata: { name: 'web', namespace },
        spec: {
          scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' },
          minReplicas: 2,
          maxReplicas: 10,
          metrics: [
            {
              type: 'Resource',
              resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } },
            },
          ],
          // Partly set: the server defaults the rest of the scale-up and scale-down rules.
          behavior: { scaleDown: { stabilizationWindowSeconds: 120 } },
        },
      };
      await adminCluster().create(hpa);
      const c = await canary('web', {
        apiVersion: 'autoscaling/v2',
        kind: 'HorizontalPodAutoscaler',
        name: 'web',
        primaryScalerReplicas: { minReplicas: 3, maxReplicas: 12 },
      });
      const controller = new DeploymentController({ cluster });
      await controller.reconcile(c);

      const primaryKey = objectKey(API.horizontalPodAutoscaler, namespace, 'web-primary');
      const primary = await eventually(async () => {
        const found = await stored<HorizontalPodAutoscaler>(primaryKey);
        if (!found) throw new Error('web-primary HPA not stored yet');
        return found;
      });
      const target = (await stored<HorizontalPodAutoscaler>(
        objectKey(API.horizontalPodAutoscaler, namespace, 'web'),
      ))!;
      expect(primary.spec.scaleTargetRef).toEqual({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        name: 'web-primary',
      });
      expect(primary.spec.minReplicas).toBe(3);
      expect(primary.spec.maxReplicas).toBe(12);
      expect(primary.spec.metrics).toEqual(target.spec.metrics);
      expect(primary.spec.behavior).toEqual(target.spec.behavior);
      expect(primary.metadata.ownerReferences).toEqual([
        expect.objectContaining({ kind: 'Canary', name: 'web', uid: c.uid, controller: true }),
      ]);

      // Another pass and a promotion of an unchanged HPA: the server's defaults are no difference.
      const before = writes(cluster);
      await controller.reconcile(c);
      await controller.promote(c);
      // promote copies the pod template once (the first promotion records the revision).
      const afterPromote = writes(cluster);
      expect(afterPromote - before).toBeLessThanOrEqual(1);
      await controller.promote(c);
      expect(writes(cluster)).toBe(afterPromote);

      await adminCluster().patch(objectKey(API.horizontalPodAutoscaler, namespace, 'web'), {
        spec: { maxReplicas: 30 },
      });
      c.spec.autoscalerRef = { kind: 'HorizontalPodAutoscaler', name: 'web' };
      await eventually(async () => {
        await controller.promote(c);
        const synced = await stored<HorizontalPodAutoscaler>(primaryKey);
        expect(synced?.spec.maxReplicas).toBe(30);
        expect(synced?.spec.minReplicas).toBe(2);
      });
    } finally {
      stopAndRecord(cluster);
    }
  });

  it('creates the primary ScaledObject with the queries replaced, and pauses and resumes the target one', async () => {
    const cluster = client();
    try {
      await adminCluster().create(deployment('worker', 2));
      const so: ScaledObject = {
        ...API.scaledObject,
        metadata: { name: 'worker-so', namespace },
        spec: {
          scaleTargetRef: { name: 'worker' },
          minReplicaCount: 2,
          maxReplicaCount: 8,
          triggers: [
            {
              type: 'prometheus',
              name: 'requests',
              metadata: {
                serverAddress: 'http://prometheus:9090',
                query: 'sum(rate(http_requests_total{app="worker"}[1m]))',
                threshold: '100',
              },
            },
          ],
        },
      };
      await adminCluster().create(so);
      const primaryQuery = 'sum(rate(http_requests_total{app="worker-primary"}[1m]))';
      const c = await canary('worker', {
        apiVersion: 'keda.sh/v1alpha1',
        kind: 'ScaledObject',
        name: 'worker-so',
        primaryScalerQueries: { requests: primaryQuery },
        primaryScalerReplicas: { minReplicas: 3 },
      });
      const controller = new DeploymentController({ cluster });
      await controller.reconcile(c);

      const primary = await eventually(async () => {
        const found = await stored<ScaledObject>(objectKey(API.scaledObject, namespace, 'worker-so-primary'));
        if (!found) throw new Error('worker-so-primary not stored yet');
        return found;
      });
      expect(primary.spec.scaleTargetRef.name).toBe('worker-primary');
      expect(primary.spec.minReplicaCount).toBe(3);
      expect(primary.spec.maxReplicaCount).toBe(8);
      expect(primary.spec.triggers).toEqual([
        { ...so.spec.triggers[0], metadata: { ...so.spec.triggers[0]!.metadata, query: primaryQuery } },
      ]);
      expect(primary.metadata.ownerReferences?.[0]?.uid).toBe(c.uid);

      const targetKey = objectKey(API.scaledObject, namespace, 'worker-so');
      await controller.scaleCanaryToZero(c);
      await eventually(async () => {
        expect(
          (await stored<ScaledObject>(targetKey))?.metadata.annotations?.[PAUSED_REPLICAS_ANNOTATION],
        ).toBe('0');
        expect(
          (await stored<Deployment>(objectKey(API.deployment, namespace, 'worker')))?.spec.replicas,
        ).toBe(0);
      });
      await controller.scaleCanaryUp(c);
      await eventually(async () => {
        const resumed = await stored<ScaledObject>(targetKey);
        expect(resumed?.metadata.annotations ?? {}).not.toHaveProperty(PAUSED_REPLICAS_ANNOTATION);
        expect(
          (await stored<Deployment>(objectKey(API.deployment, namespace, 'worker')))?.spec.replicas,
        ).toBe(2);
      });
    } finally {
      stopAndRecord(cluster);
    }
  });

  it('without an autoscaler, promotes the target replicas with the new revision (3 -> 10)', async () => {
    const cluster = client();
    try {
      await adminCluster().create(deployment('api', 3));
      const c = await canary('api');
      const controller = new DeploymentController({ cluster });
      await controller.reconcile(c);
      const primaryKey = objectKey(API.deployment, namespace, 'api-primary');
      await eventually(async () => expect((await stored<Deployment>(primaryKey))?.spec.replicas).toBe(3));
      await controller.scaleCanaryToZero(c);

      // Git: a new image and replicas 3 -> 10 in one apply.
      const targetKey = objectKey(API.deployment, namespace, 'api');
      await adminCluster().patch(targetKey, {
        spec: { replicas: 10, template: { spec: { containers: [{ name: 'app', image: 'podinfo:2' }] } } },
      });
      await eventually(async () => {
        const seen = await controller.observe(c);
        expect(seen.canaryReplicas).toBe(10);
      });
      await controller.scaleCanaryUp(c);
      const { revision } = await controller.observe(c);
      // The primary's status moves while it rolls out, so the write may lose a race (409); a tick
      // would try again on the next interval, this test at once.
      await eventually(() => controller.promote(c, revision));
      await eventually(async () => {
        const primary = await stored<Deployment>(primaryKey);
        expect(primary?.spec.replicas).toBe(10);
        expect(primary?.spec.template.spec.containers[0]?.image).toBe('podinfo:2');
        expect((await stored<Deployment>(targetKey))?.spec.replicas).toBe(10);
      });
    } finally {
      stopAndRecord(cluster);
    }
  });

  it("the chart's ClusterRole allows every request these controllers made", async () => {
    // The ClusterRole as the chart renders it with its default values (autoscaling and KEDA on).
    const rendered = await new ChartTool(local!).template('fledge', 'fledge-system', {});
    const clusterRole = parseAllDocuments(rendered)
      .map((d) => d.toJS() as { kind?: string; rules?: unknown[] } | null)
      .find((d) => d?.kind === 'ClusterRole');
    const rules = clusterRole?.rules;
    expect(rules?.length).toBeGreaterThan(0);
    const role = `fledge-scalers-test-${randomBytes(3).toString('hex')}`;
    await adminCluster().create({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: role },
      rules,
    });
    await adminCluster().create({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: role },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: role }],
    });
    try {
      // Reads come from informers: a list is also a watch.
      const requests = [
        ...new Set(
          [...used].flatMap((key) => (key.startsWith('list ') ? [key, `watch ${key.slice(5)}`] : [key])),
        ),
      ];
      expect(requests).toEqual(
        expect.arrayContaining([
          'create horizontalpodautoscalers.autoscaling',
          'patch scaledobjects.keda.sh',
          'watch scaledobjects.keda.sh',
        ]),
      );
      const denied: string[] = [];
      for (const request of requests) {
        const [verb, label] = request.split(' ') as [string, string];
        const [resourcePath, group = ''] = [label.split('.')[0]!, label.split('.').slice(1).join('.')];
        const [resource, subresource] = resourcePath.split('/');
        await eventually(
          async () => {
            const review = await adminCluster().create<{ status?: { allowed?: boolean } } & KubeObject>({
              apiVersion: 'authorization.k8s.io/v1',
              kind: 'SubjectAccessReview',
              metadata: { name: '' },
              spec: {
                user: role,
                resourceAttributes: {
                  namespace,
                  verb,
                  group,
                  resource,
                  ...(subresource ? { subresource } : {}),
                },
              },
            } as KubeObject);
            // The binding takes a moment to reach the authorizer's cache: retry before calling it denied.
            if (!review.status?.allowed) throw new Error(request);
          },
          { timeoutMs: 5_000, pollMs: 100 },
        ).catch(() => denied.push(request));
      }
      expect(denied).toEqual([]);
    } finally {
      await adminCluster()
        .delete({
          apiVersion: 'rbac.authorization.k8s.io/v1',
          kind: 'ClusterRoleBinding',
          namespace: '',
          name: role,
        })
        .catch(() => undefined);
      await adminCluster()
        .delete({
          apiVersion: 'rbac.authorization.k8s.io/v1',
          kind: 'ClusterRole',
          namespace: '',
          name: role,
        })
        .catch(() => undefined);
    }
  });
});
