/**
 * The writes the scalers (`src/workloads/scalers/`) make, as one contract both Cluster
 * implementations are held to: an `autoscaling/v2` HorizontalPodAutoscaler and a KEDA ScaledObject
 * (a custom resource) are stored, merge patched, and KEDA's pause annotation set and removed.
 */
import type { ContractEnvironment } from './cluster-contract.js';
import type { Cluster } from '../../src/kube/cluster.js';
import { API, objectKey, type HorizontalPodAutoscaler, type ScaledObject } from '../../src/kube/resources.js';

const PAUSED = 'autoscaling.keda.sh/paused-replicas';

/** Registers the autoscaler contract tests for one Cluster implementation. */
export function describeAutoscalerContract(
  name: string,
  makeCluster: () => Promise<ContractEnvironment>,
): void {
  describe(`Autoscaler contract: ${name}`, () => {
    let env: ContractEnvironment;
    let cluster: Cluster;
    let run: string;

    beforeEach(async () => {
      env = await makeCluster();
      cluster = env.cluster;
      run = `a${Math.random().toString(36).slice(2, 10)}`;
    });
    afterEach(async () => {
      await env.cleanup();
    });

    it('stores and merge patches an autoscaling/v2 HorizontalPodAutoscaler', async () => {
      const cpu = {
        type: 'Resource',
        resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } },
      };
      const key = objectKey(API.horizontalPodAutoscaler, env.namespace, `${run}-hpa`);
      await cluster.create<HorizontalPodAutoscaler>({
        ...API.horizontalPodAutoscaler,
        metadata: { name: key.name, namespace: env.namespace, labels: { run } },
        spec: {
          scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'podinfo-primary' },
          minReplicas: 2,
          maxReplicas: 5,
          metrics: [cpu],
        },
      });
      const hpa = await cluster.patch<HorizontalPodAutoscaler>(key, { spec: { maxReplicas: 9 } });
      expect(hpa.apiVersion).toBe(API.horizontalPodAutoscaler.apiVersion);
      expect(hpa.spec.scaleTargetRef).toEqual({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        name: 'podinfo-primary',
      });
      expect([hpa.spec.minReplicas, hpa.spec.maxReplicas]).toEqual([2, 9]);
      expect(hpa.spec.metrics).toEqual([cpu]);
    });

    it("sets and removes KEDA's pause annotation on a ScaledObject, keeping its triggers", async () => {
      const key = objectKey(API.scaledObject, env.namespace, `${run}-so`);
      const trigger = { type: 'prometheus', name: 'requests', metadata: { query: 'up', threshold: '1' } };
      await cluster.create<ScaledObject>({
        ...API.scaledObject,
        metadata: { name: key.name, namespace: env.namespace, labels: { run } },
        spec: { scaleTargetRef: { name: 'podinfo' }, minReplicaCount: 1, triggers: [trigger] },
      });
      const paused = await cluster.patch<ScaledObject>(key, {
        metadata: { annotations: { [PAUSED]: '0' } },
      });
      expect(paused.metadata.annotations).toEqual({ [PAUSED]: '0' });
      const resumed = await cluster.patch<ScaledObject>(key, {
        metadata: { annotations: { [PAUSED]: null } },
      });
      expect(resumed.metadata.annotations ?? {}).toEqual({});
      expect(resumed.spec.triggers).toEqual([trigger]);
      expect(resumed.spec.scaleTargetRef).toEqual({ name: 'podinfo' });
    });
  });
}
