/**
 * Autoscalers and replicas through whole rollouts, one tick at a time on the in-memory cluster:
 * the primary's HPA, the target's replicas left to its HPA while the canary runs, and without an
 * autoscaler the user's replicas reaching the primary.
 */
import type { Canary } from '../../../src/api/schema/canary.js';
import { API, objectKey, type HorizontalPodAutoscaler } from '../../../src/kube/resources.js';
import { NS, canaryObject, deploymentObject, harnessPerTest } from './harness.js';

const harness = harnessPerTest({ healthy: ['podinfo'] });

const HPA_KEY = objectKey(API.horizontalPodAutoscaler, NS, 'podinfo');
const PRIMARY_HPA_KEY = objectKey(API.horizontalPodAutoscaler, NS, 'podinfo-primary');

function hpa(maxReplicas: number): HorizontalPodAutoscaler {
  return {
    ...API.horizontalPodAutoscaler,
    metadata: { name: 'podinfo', namespace: NS },
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'podinfo' },
      minReplicas: 2,
      maxReplicas,
      metrics: [
        {
          type: 'Resource',
          resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } },
        },
      ],
    },
  };
}

describe('reconciler with an autoscaler', () => {
  it('gives the primary an HPA, leaves the canary replicas to the HPA and syncs the HPA on promotion', async () => {
    const h = await harness();
    await h.cluster.create(deploymentObject('podinfo', 'podinfo:1'));
    await h.cluster.create(hpa(10));
    const canary: Canary = canaryObject('podinfo');
    canary.spec.autoscalerRef = {
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      name: 'podinfo',
      primaryScalerReplicas: { minReplicas: 3 },
    };
    await h.cluster.create(canary);
    await h.tickUntil('podinfo', ['Initialized']);
    const primaryHpa = await h.cluster.get<HorizontalPodAutoscaler>(PRIMARY_HPA_KEY);
    expect(primaryHpa?.spec.scaleTargetRef.name).toBe('podinfo-primary');
    expect(primaryHpa?.spec.minReplicas).toBe(3);
    expect((await h.deployment('podinfo'))?.spec.replicas).toBe(0);

    await h.setImage('podinfo', 'podinfo:2');
    await h.tickUntil('podinfo', ['Progressing']);
    // Scaled up from zero to the HPA's minReplicas.
    expect((await h.deployment('podinfo'))?.spec.replicas).toBe(2);
    // The target's HPA scales the canary; the next ticks must not write its count back.
    await h.cluster.patch(objectKey(API.deployment, NS, 'podinfo'), { spec: { replicas: 5 } });
    await h.cluster.replace({
      ...(await h.cluster.get<HorizontalPodAutoscaler>(HPA_KEY))!,
      spec: hpa(20).spec,
    });
    await h.settle();
    await h.tick('podinfo');
    expect((await h.canary('podinfo')).status?.canaryWeight).toBeGreaterThan(0);
    expect((await h.deployment('podinfo'))?.spec.replicas).toBe(5);
    // The changed target HPA reaches the primary with the promotion, not before.
    expect((await h.cluster.get<HorizontalPodAutoscaler>(PRIMARY_HPA_KEY))?.spec.maxReplicas).toBe(10);

    await h.tickUntil('podinfo', ['Succeeded']);
    const promoted = await h.cluster.get<HorizontalPodAutoscaler>(PRIMARY_HPA_KEY);
    expect(promoted?.spec.maxReplicas).toBe(20);
    expect(promoted?.spec.minReplicas).toBe(3);
    expect((await h.deployment('podinfo'))?.spec.replicas).toBe(0);
    expect((await h.deployment('podinfo-primary'))?.spec.template.spec.containers[0]?.image).toBe(
      'podinfo:2',
    );
  });

  it('reports a missing target HPA on the Canary, naming spec.autoscalerRef', async () => {
    const h = await harness();
    await h.cluster.create(deploymentObject('podinfo', 'podinfo:1'));
    const canary: Canary = canaryObject('podinfo');
    canary.spec.autoscalerRef = { kind: 'HorizontalPodAutoscaler', name: 'podinfo' };
    await h.cluster.create(canary);
    const result = await h.tick('podinfo');
    expect(result.error?.message).toContain('spec.autoscalerRef of Canary test/podinfo');
    const reconciled = (await h.canary('podinfo')).status?.conditions?.find((c) => c.type === 'Reconciled');
    expect(reconciled?.message).toContain('HorizontalPodAutoscaler test/podinfo not found');
  });
});

describe('reconciler without an autoscaler', () => {
  it('promotes the replicas of the target with the new revision (3 -> 10 reaches the primary)', async () => {
    const h = await harness();
    await h.cluster.create({
      ...deploymentObject('podinfo', 'podinfo:1'),
      spec: { ...deploymentObject('podinfo', 'podinfo:1').spec, replicas: 3 },
    });
    await h.cluster.create(canaryObject('podinfo'));
    await h.tickUntil('podinfo', ['Initialized']);
    expect((await h.deployment('podinfo-primary'))?.spec.replicas).toBe(3);

    // Git: a new image and replicas 3 -> 10, applied together.
    const target = (await h.deployment('podinfo'))!;
    target.spec.replicas = 10;
    target.spec.template.spec.containers[0]!.image = 'podinfo:2';
    await h.cluster.replace(target);
    await h.settle();
    await h.tickUntil('podinfo', ['Progressing']);
    expect((await h.deployment('podinfo'))?.spec.replicas).toBe(10);
    await h.tickUntil('podinfo', ['Succeeded']);
    expect((await h.deployment('podinfo-primary'))?.spec.replicas).toBe(10);
    expect((await h.deployment('podinfo'))?.spec.replicas).toBe(0);
  });
});
