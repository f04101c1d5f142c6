/** DeploymentController.reconcile, scaling and finalize against the in-memory cluster. */
import type { KubeObject } from '../../../src/kube/cluster.js';
import type { Deployment, Service } from '../../../src/kube/resources.js';
import { API, objectKey } from '../../../src/kube/resources.js';
import { REVISION_ANNOTATION } from '../../../src/workloads/desired-objects.js';
import { InvalidTargetError, TargetNotFoundError } from '../../../src/workloads/workload.js';
import {
  NS,
  PRIMARY_KEY,
  TARGET_KEY,
  ownerOf,
  serviceKey,
  setup,
  targetDeployment,
  writes,
} from './fixtures.js';

describe('DeploymentController.reconcile', () => {
  it('creates the primary as a relabelled copy of the target, owned by the Canary', async () => {
    const { cluster, canary, controller } = await setup();
    await controller.reconcile(canary);

    const primary = (await cluster.get<Deployment>(PRIMARY_KEY)) as Deployment;
    expect(primary.metadata.labels).toEqual({ app: 'podinfo-primary' });
    expect(primary.metadata.ownerReferences).toEqual([ownerOf(canary)]);
    expect(primary.spec.replicas).toBe(2);
    expect(primary.spec.strategy).toEqual({ type: 'RollingUpdate' });
    expect(primary.spec.selector).toEqual({ matchLabels: { app: 'podinfo-primary' } });
    expect(primary.spec.template.metadata?.labels).toEqual({
      app: 'podinfo-primary',
      'app.kubernetes.io/part-of': 'shop',
    });
    expect(primary.spec.template.metadata?.annotations).toEqual({
      'prometheus.io/scrape': 'true',
      [REVISION_ANNOTATION]: (await controller.observe(canary)).revision,
    });
    expect(primary.spec.template.spec).toEqual(targetDeployment().spec.template.spec);
  });

  it('gives a primary of a target scaled to zero one replica', async () => {
    const { cluster, canary, controller } = await setup({ target: targetDeployment({ replicas: 0 }) });
    await controller.reconcile(canary);
    expect((await cluster.get<Deployment>(PRIMARY_KEY))?.spec.replicas).toBe(1);
  });

  it('creates the apex, primary and canary services with exact selectors, ports and metadata', async () => {
    const { cluster, canary, controller } = await setup({
      service: {
        portName: 'http-web',
        targetPort: 'http',
        appProtocol: 'http',
        apex: { labels: { tier: 'apex' }, annotations: { 'example.com/a': '1' } },
        canary: { labels: { tier: 'canary' } },
      },
    });
    await controller.reconcile(canary);

    const ports = [
      { name: 'http-web', port: 9898, targetPort: 'http', protocol: 'TCP', appProtocol: 'http' },
    ];
    const apex = (await cluster.get<Service>(serviceKey('podinfo'))) as Service;
    const primary = (await cluster.get<Service>(serviceKey('podinfo-primary'))) as Service;
    const canarySvc = (await cluster.get<Service>(serviceKey('podinfo-canary'))) as Service;
    expect(apex.spec).toEqual({ type: 'ClusterIP', selector: { app: 'podinfo-primary' }, ports });
    expect(primary.spec).toEqual({ type: 'ClusterIP', selector: { app: 'podinfo-primary' }, ports });
    expect(canarySvc.spec).toEqual({ type: 'ClusterIP', selector: { app: 'podinfo' }, ports });
    expect(apex.metadata.labels).toEqual({ tier: 'apex', app: 'podinfo' });
    expect(apex.metadata.annotations).toEqual({ 'example.com/a': '1' });
    expect(canarySvc.metadata.labels).toEqual({ tier: 'canary', app: 'podinfo-canary' });
    for (const svc of [apex, primary, canarySvc])
      expect(svc.metadata.ownerReferences).toEqual([ownerOf(canary)]);
  });

  it('defaults targetPort to the port and names the port http', async () => {
    const { cluster, canary, controller } = await setup();
    await controller.reconcile(canary);
    const apex = await cluster.get<Service>(serviceKey('podinfo'));
    expect(apex?.spec.ports).toEqual([{ name: 'http', port: 9898, targetPort: 9898, protocol: 'TCP' }]);
  });

  it('with portDiscovery also exposes the other TCP container ports', async () => {
    const target = targetDeployment();
    target.spec.template.spec.containers = [
      {
        name: 'app',
        ports: [
          { name: 'http', containerPort: 9898 },
          { name: 'metrics', containerPort: 9797 },
          { name: 'dns', containerPort: 53, protocol: 'UDP' },
        ],
      },
      { name: 'sidecar', ports: [{ containerPort: 8080 }] },
    ];
    const { cluster, canary, controller } = await setup({ service: { portDiscovery: true }, target });
    await controller.reconcile(canary);
    expect((await cluster.get<Service>(serviceKey('podinfo-canary')))?.spec.ports).toEqual([
      { name: 'http', port: 9898, targetPort: 9898, protocol: 'TCP' },
      { name: 'metrics', port: 9797, targetPort: 9797, protocol: 'TCP' },
      { name: 'tcp-sidecar-8080', port: 8080, targetPort: 8080, protocol: 'TCP' },
    ]);
  });

  it('writes nothing on a second reconcile', async () => {
    const { cluster, canary, controller } = await setup({ service: { subsetRouting: true } });
    await controller.reconcile(canary);
    const before = writes(cluster);
    expect(before).toBeGreaterThan(0);
    await controller.reconcile(canary);
    expect(writes(cluster)).toBe(before);
  });

  it('leaves an existing primary template alone: only promote changes it', async () => {
    const { cluster, canary, controller } = await setup();
    await controller.reconcile(canary);
    const before = writes(cluster);
    const image = 'example.com/podinfo:6.1.0';
    await cluster.patch(TARGET_KEY, {
      spec: { template: { spec: { containers: [{ name: 'podinfo', image }] } } },
    });
    await controller.reconcile(canary);
    expect(writes(cluster)).toBe(before + 1);
    const primary = await cluster.get<Deployment>(PRIMARY_KEY);
    expect(primary?.spec.template.spec.containers[0]?.image).toBe('example.com/podinfo:6.0.0');
  });

  it('puts back a primary selector label and owner reference that were changed', async () => {
    const { cluster, canary, controller } = await setup();
    await controller.reconcile(canary);
    await cluster.patch(PRIMARY_KEY, {
      metadata: { labels: { app: 'other', team: 'a' }, ownerReferences: null },
    });
    await controller.reconcile(canary);
    const primary = await cluster.get<Deployment>(PRIMARY_KEY);
    expect(primary?.metadata.labels).toEqual({ app: 'podinfo-primary', team: 'a' });
    expect(primary?.metadata.ownerReferences).toEqual([ownerOf(canary)]);
  });

  it('refuses a primary whose immutable selector does not select the primary pods', async () => {
    const { cluster, canary, controller } = await setup();
    await cluster.create({
      ...targetDeployment(),
      metadata: { name: 'podinfo-primary', namespace: NS },
      spec: { ...targetDeployment().spec, selector: { matchLabels: { app: 'podinfo' } } },
    });
    const error = await controller.reconcile(canary).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidTargetError);
    expect((error as Error).message).toContain('Deployment test/podinfo-primary');
  });

  it('repairs a drifted service selector and port', async () => {
    const { cluster, canary, controller } = await setup();
    await controller.reconcile(canary);
    await cluster.patch(serviceKey('podinfo'), {
      spec: {
        selector: { app: 'podinfo', extra: 'x' },
        ports: [{ name: 'http', port: 80, protocol: 'TCP' }],
      },
    });
    await controller.reconcile(canary);
    const apex = await cluster.get<Service>(serviceKey('podinfo'));
    expect(apex?.spec.selector).toEqual({ app: 'podinfo-primary' });
    expect(apex?.spec.ports).toEqual([{ name: 'http', port: 9898, targetPort: 9898, protocol: 'TCP' }]);
  });

  it("takes over the user's apex service without owning it or touching its metadata", async () => {
    const { cluster, canary, controller } = await setup({ service: { apex: { labels: { tier: 'apex' } } } });
    await cluster.create<Service>({
      ...API.service,
      metadata: { name: 'podinfo', namespace: NS, labels: { team: 'web' } },
      spec: { type: 'ClusterIP', selector: { app: 'podinfo' }, ports: [{ name: 'http', port: 9898 }] },
    });
    await controller.reconcile(canary);
    const apex = await cluster.get<Service>(serviceKey('podinfo'));
    expect(apex?.metadata.labels).toEqual({ team: 'web' });
    expect(apex?.metadata.ownerReferences).toBeUndefined();
    expect(apex?.spec.selector).toEqual({ app: 'podinfo-primary' });
  });

  it('fails with TargetNotFoundError naming the Deployment and spec.targetRef', async () => {
    const { canary, controller, cluster } = await setup({ target: null });
    const error = await controller.reconcile(canary).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TargetNotFoundError);
    expect((error as Error).message).toContain('Deployment test/podinfo');
    expect((error as Error).message).toContain('spec.targetRef');
    expect(writes(cluster)).toBe(1); // the Canary itself
  });

  it('fails clearly when the target selector has no label to tell the versions apart', async () => {
    const target = targetDeployment({ selector: { matchLabels: { component: 'web' } } });
    const { canary, controller } = await setup({ target });
    const error = await controller.reconcile(canary).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidTargetError);
    expect((error as Error).message).toContain('spec.selector.matchLabels');
  });

  it('picks the first of app, name, app.kubernetes.io/name present in the selector', async () => {
    const labels = { 'app.kubernetes.io/name': 'podinfo-k8s', name: 'podinfo-name' };
    const target = targetDeployment({ selector: { matchLabels: labels } });
    target.spec.template.metadata = { labels };
    const { cluster, canary, controller } = await setup({ target });
    await controller.reconcile(canary);
    const primary = await cluster.get<Deployment>(PRIMARY_KEY);
    expect(primary?.spec.selector.matchLabels).toEqual({ name: 'podinfo-name-primary' });
    expect(primary?.spec.template.metadata?.labels).toMatchObject({
      name: 'podinfo-name-primary',
      'app.kubernetes.io/name': 'podinfo-k8s',
    });
    expect((await controller.observe(canary)).canaryLabels).toEqual({ name: 'podinfo-name' });
  });

  it('in subset routing mode selects both versions from the apex by their shared labels', async () => {
    const { cluster, canary, controller } = await setup({ service: { subsetRouting: true } });
    await controller.reconcile(canary);
    expect((await cluster.get<Service>(serviceKey('podinfo')))?.spec.selector).toEqual({
      'app.kubernetes.io/part-of': 'shop',
    });
    expect((await cluster.get<Service>(serviceKey('podinfo-canary')))?.spec.selector).toEqual({
      app: 'podinfo',
    });
    const seen = await controller.observe(canary);
    expect(seen.primaryLabels).toEqual({ app: 'podinfo-primary' });
    expect(seen.canaryLabels).toEqual({ app: 'podinfo' });
  });

  it('in subset routing mode refuses a target with no label shared by both versions', async () => {
    const target = targetDeployment();
    target.spec.template.metadata = { labels: { app: 'podinfo' } };
    const { canary, controller } = await setup({ service: { subsetRouting: true }, target });
    const error = await controller.reconcile(canary).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidTargetError);
    expect((error as Error).message).toMatch(/subsetRouting needs a pod label shared by both versions/);
    expect((error as Error).message).toContain('app.kubernetes.io/part-of');
  });

  it('refuses a DaemonSet target', async () => {
    const { canary, controller } = await setup();
    canary.spec.targetRef.kind = 'DaemonSet';
    await expect(controller.reconcile(canary)).rejects.toThrow(/spec\.targetRef\.kind DaemonSet/);
  });
});

describe('DeploymentController scaling', () => {
  it('scales the canary up to the primary replicas, then to zero, writing only when needed', async () => {
    const { cluster, canary, controller } = await setup();
    await controller.reconcile(canary);
    await cluster.patch(PRIMARY_KEY, { spec: { replicas: 3 } });
    await controller.scaleCanaryToZero(canary);
    expect((await cluster.get<Deployment>(TARGET_KEY))?.spec.replicas).toBe(0);
    const before = writes(cluster);
    await controller.scaleCanaryToZero(canary);
    expect(writes(cluster)).toBe(before);

    await controller.scaleCanaryUp(canary);
    expect((await cluster.get<Deployment>(TARGET_KEY))?.spec.replicas).toBe(3);
    await controller.scaleCanaryUp(canary);
    expect(writes(cluster)).toBe(before + 1);
  });

  it('scales the canary up to at least one replica', async () => {
    const { cluster, canary, controller } = await setup();
    await controller.reconcile(canary);
    await cluster.patch(PRIMARY_KEY, { spec: { replicas: 0 } });
    await controller.scaleCanaryToZero(canary);
    await controller.scaleCanaryUp(canary);
    expect((await cluster.get<Deployment>(TARGET_KEY))?.spec.replicas).toBe(1);
  });
});

describe('DeploymentController.finalize', () => {
  it('scales the target back up and leaves the apex on the target pods after the Canary is gone', async () => {
    const { cluster, canary, controller } = await setup();
    await controller.reconcile(canary);
    await cluster.patch(PRIMARY_KEY, { spec: { replicas: 4 } });
    await controller.scaleCanaryToZero(canary);

    await controller.finalize(canary);
    expect((await cluster.get<Deployment>(TARGET_KEY))?.spec.replicas).toBe(4);
    const apex = await cluster.get<Service>(serviceKey('podinfo'));
    expect(apex?.spec.selector).toEqual({ app: 'podinfo' });

    await cluster.delete(objectKey(API.canary, NS, 'podinfo'));
    const left = cluster.snapshot().map((o: KubeObject) => `${o.kind}/${o.metadata.name}`);
    expect(left.sort()).toEqual(['Deployment/podinfo', 'Service/podinfo']);
  });

  it('does nothing and does not fail when the target is gone', async () => {
    const { cluster, canary, controller } = await setup({ target: null });
    await controller.finalize(canary);
    expect(writes(cluster)).toBe(1);
  });
});
