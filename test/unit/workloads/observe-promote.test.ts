/** DeploymentController.observe (revision, config tracking, readiness) and promote. */
import { jest } from '@jest/globals';
import { ConflictError } from '../../../src/kube/cluster.js';
import type { ConfigMap, Deployment, Secret } from '../../../src/kube/resources.js';
import { API } from '../../../src/kube/resources.js';
import { ConfigNotFoundError } from '../../../src/workloads/workload.js';
import {
  NS,
  PRIMARY_KEY,
  TARGET_KEY,
  configMapKey,
  ownerOf,
  rolledOut,
  secretKey,
  setStatus,
  setup,
  targetDeployment,
  writes,
} from './fixtures.js';

/** A target that references configs in every way a pod spec can. */
function targetWithConfigs(): Deployment {
  const target = targetDeployment();
  target.spec.template.spec = {
    containers: [
      {
        name: 'podinfo',
        image: 'example.com/podinfo:6.0.0',
        env: [
          { name: 'LEVEL', valueFrom: { configMapKeyRef: { name: 'podinfo-env', key: 'level' } } },
          { name: 'OPT', valueFrom: { configMapKeyRef: { name: 'absent', key: 'x', optional: true } } },
        ],
        envFrom: [{ secretRef: { name: 'podinfo-secret' } }],
      },
    ],
    volumes: [
      { name: 'config', configMap: { name: 'podinfo-config' } },
      { name: 'both', projected: { sources: [{ secret: { name: 'podinfo-tls' } }] } },
    ],
  };
  return target;
}

async function createConfigs(cluster: Awaited<ReturnType<typeof setup>>['cluster']): Promise<void> {
  const meta = (name: string) => ({ name, namespace: NS });
  await cluster.create<ConfigMap>({
    ...API.configMap,
    metadata: meta('podinfo-env'),
    data: { level: 'info' },
  });
  await cluster.create<ConfigMap>({
    ...API.configMap,
    metadata: meta('podinfo-config'),
    data: { 'a.yaml': 'a: 1' },
  });
  await cluster.create<Secret>({
    ...API.secret,
    metadata: meta('podinfo-secret'),
    type: 'Opaque',
    data: { t: 'eA==' },
  });
  await cluster.create<Secret>({
    ...API.secret,
    metadata: meta('podinfo-tls'),
    type: 'kubernetes.io/tls',
    data: { 'tls.crt': 'Yw==', 'tls.key': 'aw==' },
  });
}

describe('DeploymentController.observe: revision and config tracking', () => {
  it('tracks every referenced config that exists and gives the primary -primary copies', async () => {
    const { cluster, canary, controller } = await setup({ target: targetWithConfigs() });
    await createConfigs(cluster);
    await controller.reconcile(canary);

    const seen = await controller.observe(canary);
    expect(Object.keys(seen.trackedConfigs).sort()).toEqual([
      'configmap/podinfo-config',
      'configmap/podinfo-env',
      'secret/podinfo-secret',
      'secret/podinfo-tls',
    ]);
    for (const checksum of Object.values(seen.trackedConfigs)) expect(checksum).toMatch(/^[0-9a-f]{16}$/);
    expect(seen.revision).toMatch(/^[0-9a-f]{16}$/);
    expect(seen.primaryRevision).toBe(seen.revision);

    const copy = await cluster.getFull<ConfigMap>(configMapKey('podinfo-env-primary'));
    expect(copy?.data).toEqual({ level: 'info' });
    expect(copy?.metadata.ownerReferences).toEqual([ownerOf(canary)]);
    const tls = await cluster.getFull<Secret>(secretKey('podinfo-tls-primary'));
    expect(tls?.type).toBe('kubernetes.io/tls');
    expect(tls?.data).toEqual({ 'tls.crt': 'Yw==', 'tls.key': 'aw==' });

    const spec = (await cluster.get<Deployment>(PRIMARY_KEY))?.spec.template.spec;
    expect(spec?.containers[0]?.env?.map((e) => e.valueFrom?.configMapKeyRef?.name)).toEqual([
      'podinfo-env-primary',
      'absent',
    ]);
    expect(spec?.containers[0]?.envFrom?.[0]?.secretRef?.name).toBe('podinfo-secret-primary');
    expect(spec?.volumes?.[0]?.configMap?.name).toBe('podinfo-config-primary');
    expect(spec?.volumes?.[1]?.projected?.sources?.[0]?.secret?.name).toBe('podinfo-tls-primary');
  });

  it('reads config contents only to write a copy: unchanged configs cost no full read', async () => {
    const { cluster, canary, controller } = await setup({ target: targetWithConfigs() });
    await createConfigs(cluster);
    await controller.reconcile(canary);
    const getFull = jest.spyOn(cluster, 'getFull');
    const { revision } = await controller.observe(canary);
    await controller.reconcile(canary);
    await controller.promote(canary, revision);
    expect(getFull).not.toHaveBeenCalled();
    await cluster.patch(configMapKey('podinfo-env'), { data: { level: 'debug' } });
    await controller.promote(canary, (await controller.observe(canary)).revision);
    // The changed source and its copy; nothing of the three unchanged configs.
    expect(getFull.mock.calls.map(([key]) => key.name).sort()).toEqual([
      'podinfo-env',
      'podinfo-env-primary',
    ]);
  });

  it('gives a new revision and checksum when a referenced ConfigMap changes, and only then', async () => {
    const { cluster, canary, controller } = await setup({ target: targetWithConfigs() });
    await createConfigs(cluster);
    await controller.reconcile(canary);
    const first = await controller.observe(canary);
    const again = await controller.observe(canary);
    expect(again.revision).toBe(first.revision);

    await cluster.patch(configMapKey('podinfo-env'), { data: { level: 'debug' } });
    const changed = await controller.observe(canary);
    expect(changed.revision).not.toBe(first.revision);
    expect(changed.trackedConfigs['configmap/podinfo-env']).not.toBe(
      first.trackedConfigs['configmap/podinfo-env'],
    );
    expect(changed.trackedConfigs['secret/podinfo-secret']).toBe(
      first.trackedConfigs['secret/podinfo-secret'],
    );
    expect(changed.primaryRevision).toBe(first.revision);
    // The primary's copy only changes on promotion.
    expect((await cluster.getFull<ConfigMap>(configMapKey('podinfo-env-primary')))?.data).toEqual({
      level: 'info',
    });
  });

  it('gives a new revision when the pod template changes but not when the target is scaled', async () => {
    const { cluster, canary, controller } = await setup();
    const first = await controller.observe(canary);
    await cluster.patch(TARGET_KEY, { spec: { replicas: 0 } });
    expect((await controller.observe(canary)).revision).toBe(first.revision);
    await cluster.patch(TARGET_KEY, {
      spec: { template: { metadata: { annotations: { restartedAt: 'now' } } } },
    });
    expect((await controller.observe(canary)).revision).not.toBe(first.revision);
  });

  it('does not track configs with tracking disabled, nor image pull secrets', async () => {
    const target = targetWithConfigs();
    const { cluster, canary, controller } = await setup({ target });
    await createConfigs(cluster);
    await cluster.patch(configMapKey('podinfo-config'), {
      metadata: { annotations: { 'flagger.app/config-tracking': 'disabled' } },
    });
    await cluster.patch(secretKey('podinfo-secret'), { type: 'kubernetes.io/dockerconfigjson' });
    await controller.reconcile(canary);
    const seen = await controller.observe(canary);
    expect(Object.keys(seen.trackedConfigs).sort()).toEqual(['configmap/podinfo-env', 'secret/podinfo-tls']);
    expect(await cluster.get(configMapKey('podinfo-config-primary'))).toBeUndefined();
    const spec = (await cluster.get<Deployment>(PRIMARY_KEY))?.spec.template.spec;
    expect(spec?.volumes?.[0]?.configMap?.name).toBe('podinfo-config');
  });

  it('reports a missing required config in the canary readiness and refuses to create the primary', async () => {
    const { cluster, canary, controller } = await setup({ target: targetWithConfigs() });
    await createConfigs(cluster);
    await cluster.delete(configMapKey('podinfo-env'));

    const seen = await controller.observe(canary);
    expect(seen.trackedConfigs).not.toHaveProperty('configmap/podinfo-env');
    expect(seen.canary.ready).toBe(false);
    expect(seen.canary.message).toContain(
      'ConfigMap test/podinfo-env (spec.template.spec.containers[0].env[0].valueFrom.configMapKeyRef) not found',
    );
    await expect(controller.reconcile(canary)).rejects.toBeInstanceOf(ConfigNotFoundError);
    expect(await cluster.get(PRIMARY_KEY)).toBeUndefined();
  });
});

describe('DeploymentController.observe: readiness', () => {
  it('reports a missing primary as not ready', async () => {
    const { canary, controller } = await setup();
    const seen = await controller.observe(canary);
    expect(seen.primary).toEqual({
      ready: false,
      retriable: true,
      message: 'Deployment test/podinfo-primary not found',
    });
    expect(seen.primaryRevision).toBeUndefined();
  });

  it('judges the primary by primaryReadyThreshold and the canary by canaryReadyThreshold', async () => {
    const { cluster, canary, controller } = await setup({
      analysis: { primaryReadyThreshold: 50, canaryReadyThreshold: 100 },
    });
    await controller.reconcile(canary);
    const halfUp = { ...rolledOut(2, 1), availableReplicas: 1, readyReplicas: 1 };
    await setStatus(cluster, PRIMARY_KEY, halfUp);
    await setStatus(cluster, TARGET_KEY, halfUp);
    const seen = await controller.observe(canary);
    expect(seen.primary.ready).toBe(true);
    expect(seen.canary).toEqual({
      ready: false,
      retriable: true,
      message: 'waiting for rollout of Deployment test/podinfo: 1 of 2 updated replicas are available',
    });
    expect(seen.canaryReplicas).toBe(2);
  });

  it('reports a canary scaled to zero as not ready, saying so', async () => {
    const { cluster, canary, controller } = await setup();
    await controller.reconcile(canary);
    await controller.scaleCanaryToZero(canary);
    await setStatus(cluster, TARGET_KEY, rolledOut(0, 2));
    const seen = await controller.observe(canary);
    expect(seen.canaryReplicas).toBe(0);
    expect(seen.canary).toEqual({
      ready: false,
      retriable: true,
      message: 'Deployment test/podinfo is scaled to zero',
    });
  });

  it('reports an exceeded progress deadline as not retriable', async () => {
    const { cluster, canary, controller } = await setup();
    await setStatus(cluster, TARGET_KEY, {
      ...rolledOut(2, 1),
      availableReplicas: 0,
      conditions: [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded' }],
    });
    const seen = await controller.observe(canary);
    expect(seen.canary.ready).toBe(false);
    expect(seen.canary.retriable).toBe(false);
    expect(seen.canary.message).toContain('Deployment test/podinfo exceeded its progress deadline');
  });
});

describe('DeploymentController.promote', () => {
  it('copies the target template to the primary, removing what the target no longer has', async () => {
    const { cluster, canary, controller } = await setup();
    await controller.reconcile(canary);
    await cluster.patch(PRIMARY_KEY, { spec: { replicas: 5 } });
    const image = 'example.com/podinfo:6.1.0';
    const target = (await cluster.get<Deployment>(TARGET_KEY)) as Deployment;
    target.spec.template.metadata = { labels: { app: 'podinfo', version: 'v2' } };
    target.spec.template.spec = { containers: [{ name: 'podinfo', image }] };
    await cluster.replace(target);
    const { revision } = await controller.observe(canary);

    await controller.promote(canary, revision);
    const primary = (await cluster.get<Deployment>(PRIMARY_KEY)) as Deployment;
    expect(primary.spec.template.spec).toEqual({ containers: [{ name: 'podinfo', image }] });
    expect(primary.spec.template.metadata).toEqual({
      labels: { app: 'podinfo-primary', version: 'v2' },
      annotations: { 'fledge.dev/revision': revision },
    });
    // No autoscaler: the target's replicas (the user's 2), not the primary's 5, reach the primary.
    expect(primary.spec.replicas).toBe(2);
    expect(primary.spec.selector).toEqual({ matchLabels: { app: 'podinfo-primary' } });
    expect((await controller.observe(canary)).primaryRevision).toBe(revision);

    const before = writes(cluster);
    await controller.promote(canary, revision);
    expect(writes(cluster)).toBe(before);
  });

  it('refreshes the -primary config copies and restarts the primary when only a config changed', async () => {
    const { cluster, canary, controller } = await setup({ target: targetWithConfigs() });
    await createConfigs(cluster);
    await controller.reconcile(canary);
    const before = await controller.observe(canary);
    await cluster.patch(configMapKey('podinfo-env'), { data: { level: null, format: 'json' } });
    const { revision } = await controller.observe(canary);

    await controller.promote(canary, revision);
    expect((await cluster.getFull<ConfigMap>(configMapKey('podinfo-env-primary')))?.data).toEqual({
      format: 'json',
    });
    const primary = await cluster.get<Deployment>(PRIMARY_KEY);
    expect(primary?.spec.template.metadata?.annotations?.['fledge.dev/revision']).toBe(revision);
    expect(revision).not.toBe(before.revision);
  });

  it('refuses to promote a revision other than the analysed one, writing nothing', async () => {
    const { cluster, canary, controller } = await setup();
    await controller.reconcile(canary);
    const { revision } = await controller.observe(canary);
    await cluster.patch(TARGET_KEY, {
      spec: { template: { metadata: { annotations: { unanalysed: 'yes' } } } },
    });
    const before = writes(cluster);
    await expect(controller.promote(canary, revision)).rejects.toBeInstanceOf(ConflictError);
    expect(writes(cluster)).toBe(before);
  });
});
