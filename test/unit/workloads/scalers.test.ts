/**
 * The primary's copy of the target's autoscaler (HorizontalPodAutoscaler, KEDA ScaledObject) and
 * the replicas the DeploymentController writes with and without one, on the in-memory cluster.
 */
import type { CanarySpec } from '../../../src/api/schema/canary.js';
import {
  API,
  objectKey,
  type Deployment,
  type HorizontalPodAutoscaler,
  type ScaledObject,
} from '../../../src/kube/resources.js';
import { scalerFor } from '../../../src/workloads/scalers/factory.js';
import {
  PAUSED_REPLICAS_ANNOTATION,
  rewriteQueryForPrimary,
} from '../../../src/workloads/scalers/scaled-object.js';
import { AutoscalerNotFoundError } from '../../../src/workloads/scalers/scaler.js';
import { InvalidTargetError } from '../../../src/workloads/workload.js';
import { NS, PRIMARY_KEY, TARGET_KEY, ownerOf, setup, writes } from './fixtures.js';

const HPA_KEY = objectKey(API.horizontalPodAutoscaler, NS, 'podinfo');
const PRIMARY_HPA_KEY = objectKey(API.horizontalPodAutoscaler, NS, 'podinfo-primary');
const SO_KEY = objectKey(API.scaledObject, NS, 'podinfo-so');
const PRIMARY_SO_KEY = objectKey(API.scaledObject, NS, 'podinfo-so-primary');

const HPA_REF: CanarySpec['autoscalerRef'] = {
  apiVersion: 'autoscaling/v2',
  kind: 'HorizontalPodAutoscaler',
  name: 'podinfo',
};

const CPU = {
  type: 'Resource',
  resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } },
};

function targetHpa(spec: Partial<HorizontalPodAutoscaler['spec']> = {}): HorizontalPodAutoscaler {
  return {
    ...API.horizontalPodAutoscaler,
    metadata: { name: 'podinfo', namespace: NS, labels: { 'argocd.argoproj.io/instance': 'shop' } },
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'podinfo' },
      minReplicas: 3,
      maxReplicas: 10,
      metrics: [CPU],
      behavior: { scaleDown: { stabilizationWindowSeconds: 300 } },
      ...spec,
    },
  };
}

function targetScaledObject(): ScaledObject {
  return {
    ...API.scaledObject,
    metadata: { name: 'podinfo-so', namespace: NS },
    spec: {
      scaleTargetRef: { name: 'podinfo' },
      pollingInterval: 15,
      minReplicaCount: 2,
      maxReplicaCount: 8,
      advanced: { horizontalPodAutoscalerConfig: { name: 'podinfo-hpa' } },
      triggers: [
        {
          type: 'prometheus',
          name: 'requests',
          metadata: {
            serverAddress: 'http://prometheus:9090',
            query: 'sum(rate(http_requests_total{app="podinfo"}[1m]))',
            threshold: '100',
          },
        },
        {
          type: 'prometheus',
          metadata: {
            serverAddress: 'http://prometheus:9090',
            query: 'sum(up{deployment="podinfo-canary"})',
            threshold: '1',
          },
        },
        { type: 'cpu', metadata: { type: 'Utilization', value: '60' } },
      ],
    },
  };
}

async function withHpa(autoscalerRef: CanarySpec['autoscalerRef'] = HPA_REF) {
  const env = await setup({ autoscalerRef });
  await env.cluster.create(targetHpa());
  return env;
}

describe('HorizontalPodAutoscaler: the primary copy', () => {
  it("creates <name>-primary from the target's HPA, scaling the primary, with primaryScalerReplicas", async () => {
    const { cluster, canary, controller } = await withHpa({
      ...HPA_REF,
      primaryScalerReplicas: { minReplicas: 4, maxReplicas: 20 },
    });
    await controller.reconcile(canary);

    const primary = await cluster.get<HorizontalPodAutoscaler>(PRIMARY_HPA_KEY);
    expect(primary?.metadata.ownerReferences).toEqual([ownerOf(canary)]);
    // The GitOps tool's tracking label is not copied: the tool would prune the copy.
    expect(primary?.metadata.labels).toBeUndefined();
    expect(primary?.spec).toEqual({
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'podinfo-primary' },
      minReplicas: 4,
      maxReplicas: 20,
      metrics: [CPU],
      behavior: { scaleDown: { stabilizationWindowSeconds: 300 } },
    });
    // The target's HPA keeps scaling the target.
    expect((await cluster.get<HorizontalPodAutoscaler>(HPA_KEY))?.spec).toEqual(targetHpa().spec);
    const before = writes(cluster);
    await controller.reconcile(canary);
    expect(writes(cluster)).toBe(before);
  });

  it('waits for a promotion to take a changed target HPA, as Flagger, then writes it once', async () => {
    const { cluster, canary, controller } = await withHpa();
    await controller.reconcile(canary);
    const memory = {
      type: 'Resource',
      resource: { name: 'memory', target: { type: 'Utilization', averageUtilization: 70 } },
    };
    await cluster.replace(targetHpa({ maxReplicas: 30, metrics: [memory] }));

    const before = writes(cluster);
    await controller.reconcile(canary);
    expect(writes(cluster)).toBe(before);
    expect((await cluster.get<HorizontalPodAutoscaler>(PRIMARY_HPA_KEY))?.spec.maxReplicas).toBe(10);

    await controller.promote(canary, (await controller.observe(canary)).revision);
    const primary = await cluster.get<HorizontalPodAutoscaler>(PRIMARY_HPA_KEY);
    expect(primary?.spec.maxReplicas).toBe(30);
    expect(primary?.spec.metrics).toEqual([memory]);
    expect(primary?.spec.scaleTargetRef.name).toBe('podinfo-primary');
    const after = writes(cluster);
    await controller.promote(canary, (await controller.observe(canary)).revision);
    expect(writes(cluster)).toBe(after);
  });

  it('applies a changed primaryScalerReplicas at once, without waiting for a promotion', async () => {
    const { cluster, canary, controller } = await withHpa();
    await controller.reconcile(canary);
    canary.spec.autoscalerRef = { ...HPA_REF, primaryScalerReplicas: { maxReplicas: 40 } };
    await controller.reconcile(canary);
    const primary = await cluster.get<HorizontalPodAutoscaler>(PRIMARY_HPA_KEY);
    expect(primary?.spec.maxReplicas).toBe(40);
    expect(primary?.spec.minReplicas).toBe(3);
  });

  it('names spec.autoscalerRef when the target HPA does not exist', async () => {
    const { canary, controller } = await setup({ autoscalerRef: HPA_REF });
    const failure = controller.reconcile(canary);
    await expect(failure).rejects.toBeInstanceOf(AutoscalerNotFoundError);
    await expect(failure).rejects.toThrow(
      'HorizontalPodAutoscaler test/podinfo not found: spec.autoscalerRef of Canary test/podinfo names an autoscaler that does not exist',
    );
  });
});

describe('HorizontalPodAutoscaler: replicas', () => {
  it("scales the canary up from zero to the HPA's minReplicas, then leaves the replicas to the HPA", async () => {
    const { cluster, canary, controller } = await withHpa();
    await controller.reconcile(canary);
    await controller.scaleCanaryToZero(canary);
    expect((await cluster.get<Deployment>(TARGET_KEY))?.spec.replicas).toBe(0);

    await controller.scaleCanaryUp(canary);
    expect((await cluster.get<Deployment>(TARGET_KEY))?.spec.replicas).toBe(3);
    // The HPA scales the canary: Fledge must not write its count back on the next ticks.
    await cluster.patch(TARGET_KEY, { spec: { replicas: 7 } });
    const before = writes(cluster);
    await controller.scaleCanaryUp(canary);
    await controller.scaleCanaryUp(canary);
    expect(writes(cluster)).toBe(before);
    expect((await cluster.get<Deployment>(TARGET_KEY))?.spec.replicas).toBe(7);
  });

  it("keeps the primary's replicas (its HPA's) on promotion", async () => {
    const { cluster, canary, controller } = await withHpa();
    await controller.reconcile(canary);
    await cluster.patch(PRIMARY_KEY, { spec: { replicas: 6 } });
    await cluster.patch(TARGET_KEY, {
      spec: { replicas: 4, template: { metadata: { labels: { app: 'podinfo', v: '2' } } } },
    });
    await controller.promote(canary, (await controller.observe(canary)).revision);
    const primary = await cluster.get<Deployment>(PRIMARY_KEY);
    expect(primary?.spec.template.metadata?.labels?.v).toBe('2');
    expect(primary?.spec.replicas).toBe(6);
  });
});

describe('no autoscaler: replicas', () => {
  it("copies the target's replicas to the primary on promotion (3 -> 10 reaches production)", async () => {
    const { cluster, canary, controller } = await setup();
    await controller.reconcile(canary);
    await cluster.patch(PRIMARY_KEY, { spec: { replicas: 3 } });
    await cluster.patch(TARGET_KEY, {
      spec: { replicas: 10, template: { metadata: { labels: { app: 'podinfo', v: '2' } } } },
    });
    await controller.scaleCanaryUp(canary);
    expect((await cluster.get<Deployment>(TARGET_KEY))?.spec.replicas).toBe(10);
    await controller.promote(canary, (await controller.observe(canary)).revision);
    expect((await cluster.get<Deployment>(PRIMARY_KEY))?.spec.replicas).toBe(10);
  });

  it('keeps a running target at its own replicas rather than writing the primary count every tick', async () => {
    const { cluster, canary, controller } = await setup();
    await controller.reconcile(canary);
    await cluster.patch(PRIMARY_KEY, { spec: { replicas: 3 } });
    const before = writes(cluster);
    await controller.scaleCanaryUp(canary);
    expect(writes(cluster)).toBe(before);
    expect((await cluster.get<Deployment>(TARGET_KEY))?.spec.replicas).toBe(2);
  });

  it('does not copy a target scaled to zero to the primary', async () => {
    const { cluster, canary, controller } = await setup();
    await controller.reconcile(canary);
    await controller.scaleCanaryToZero(canary);
    await controller.promote(canary);
    expect((await cluster.get<Deployment>(PRIMARY_KEY))?.spec.replicas).toBe(2);
  });
});

describe('KEDA ScaledObject', () => {
  const ref: CanarySpec['autoscalerRef'] = {
    apiVersion: 'keda.sh/v1alpha1',
    kind: 'ScaledObject',
    name: 'podinfo-so',
    primaryScalerQueries: { requests: 'sum(rate(http_requests_total{app="podinfo-primary"}[1m]))' },
    primaryScalerReplicas: { minReplicas: 3, maxReplicas: 12 },
  };

  async function withScaledObject(autoscalerRef: CanarySpec['autoscalerRef'] = ref) {
    const env = await setup({ autoscalerRef });
    await env.cluster.create(targetScaledObject());
    return env;
  }

  it('copies the ScaledObject for the primary, with primaryScalerQueries by trigger name and the replica overrides', async () => {
    const { cluster, canary, controller } = await withScaledObject();
    await controller.reconcile(canary);
    const primary = await cluster.get<ScaledObject>(PRIMARY_SO_KEY);
    expect(primary?.metadata.ownerReferences).toEqual([ownerOf(canary)]);
    const target = targetScaledObject().spec;
    expect(primary?.spec).toEqual({
      ...target,
      scaleTargetRef: { name: 'podinfo-primary' },
      minReplicaCount: 3,
      maxReplicaCount: 12,
      advanced: { horizontalPodAutoscalerConfig: { name: 'podinfo-hpa-primary' } },
      triggers: [
        {
          ...target.triggers[0],
          metadata: { ...target.triggers[0]!.metadata, query: ref!.primaryScalerQueries!.requests },
        },
        // Not named in primaryScalerQueries: the target's query, as Flagger.
        target.triggers[1],
        target.triggers[2],
      ],
    });
  });

  it('rewrites each query to name the primary without primaryScalerQueries', async () => {
    const { cluster, canary, controller } = await withScaledObject({
      kind: 'ScaledObject',
      name: 'podinfo-so',
    });
    await controller.reconcile(canary);
    const triggers = (await cluster.get<ScaledObject>(PRIMARY_SO_KEY))?.spec.triggers ?? [];
    expect(triggers.map((t) => t.metadata.query)).toEqual([
      'sum(rate(http_requests_total{app="podinfo-primary"}[1m]))',
      'sum(up{deployment="podinfo-primary"})',
      undefined,
    ]);
  });

  it('pauses the target ScaledObject at zero while the target is scaled down, and resumes it to scale up', async () => {
    const { cluster, canary, controller } = await withScaledObject();
    await controller.reconcile(canary);
    await controller.scaleCanaryToZero(canary);
    const paused = await cluster.get<ScaledObject>(SO_KEY);
    expect(paused?.metadata.annotations?.[PAUSED_REPLICAS_ANNOTATION]).toBe('0');
    expect((await cluster.get<Deployment>(TARGET_KEY))?.spec.replicas).toBe(0);
    const before = writes(cluster);
    await controller.scaleCanaryToZero(canary);
    expect(writes(cluster)).toBe(before);

    await controller.scaleCanaryUp(canary);
    expect((await cluster.get<ScaledObject>(SO_KEY))?.metadata.annotations ?? {}).not.toHaveProperty(
      PAUSED_REPLICAS_ANNOTATION,
    );
    expect((await cluster.get<Deployment>(TARGET_KEY))?.spec.replicas).toBe(2);
  });

  it('resumes the target ScaledObject when finalizing, so it scales the target again', async () => {
    const { cluster, canary, controller } = await withScaledObject();
    await controller.reconcile(canary);
    await controller.scaleCanaryToZero(canary);
    await controller.finalize(canary);
    expect((await cluster.get<ScaledObject>(SO_KEY))?.metadata.annotations ?? {}).not.toHaveProperty(
      PAUSED_REPLICAS_ANNOTATION,
    );
    expect((await cluster.get<Deployment>(TARGET_KEY))?.spec.replicas).toBe(2);
  });

  it.each([
    ['sum(rate(x{deployment="podinfo"}[1m]))', 'sum(rate(x{deployment="podinfo-primary"}[1m]))'],
    ['sum(x{pod=~"podinfo-canary-.*"})', 'sum(x{pod=~"podinfo-primary-.*"})'],
    ['sum(x{pod=~"podinfo-[a-z0-9]+"})', 'sum(x{pod=~"podinfo-primary-[a-z0-9]+"})'],
    ['sum(x{deployment="podinfo-primary"})', 'sum(x{deployment="podinfo-primary"})'],
    ['sum(x{deployment="mypodinfo"})', 'sum(x{deployment="mypodinfo"})'],
    ['sum(x{deployment="podinfo2"})', 'sum(x{deployment="podinfo2"})'],
  ])('rewrites %s for the primary as %s', (query, expected) => {
    expect(rewriteQueryForPrimary(query, 'podinfo')).toBe(expected);
  });
});

describe('scalerFor', () => {
  it('refuses an unknown kind, naming the field', async () => {
    const { cluster, canary } = await setup();
    canary.spec.autoscalerRef = { kind: 'VerticalPodAutoscaler' as 'ScaledObject', name: 'x' };
    expect(() => scalerFor(canary, cluster)).toThrow(InvalidTargetError);
    expect(() => scalerFor(canary, cluster)).toThrow(
      /spec\.autoscalerRef\.kind VerticalPodAutoscaler is not supported/,
    );
  });
});
