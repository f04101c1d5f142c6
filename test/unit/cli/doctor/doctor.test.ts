/**
 * `runDoctor` over the in-memory cluster: the objects written by the Istio router itself, a healthy
 * canary that reports no finding, then the same canary broken in each area at once.
 */
import type { MetricsProvider } from '../../../../analysis/provider.js';
import { resolveCanary } from '../../../../src/api/defaults.js';
import type { CanaryStatus } from '../../../../src/api/schema/canary.js';
import { doctorCanary, runDoctor } from '../../../../src/cli/ops/doctor/doctor.js';
import { hasErrors, type Namespace } from '../../../../src/cli/ops/doctor/finding.js';
import { renderReport } from '../../../../src/cli/ops/doctor/render.js';
import type { Cluster, KubeObject, ObjectKey } from '../../../../src/kube/cluster.js';
import { MemoryCluster } from '../../../../src/kube/memory/memory-cluster.js';
import { IstioRouter } from '../../../../src/routers/istio.js';
import { canaryObject, TARGETS } from '../../routers/fixtures.js';
import { deployment, namespaceObject, pod } from './fixtures.js';

/** The in-memory cluster keeps every object in a namespace; Namespaces are read as the API server serves them. */
function withNamespace(cluster: MemoryCluster, ns: Namespace): Cluster {
  return new Proxy(cluster, {
    get(target, prop, receiver) {
      if (prop === 'getFull') {
        return async (key: ObjectKey) => (key.kind === 'Namespace' ? ns : target.getFull(key));
      }
      return Reflect.get(target, prop, receiver) as unknown;
    },
  });
}

const STATUS: CanaryStatus = { phase: 'Progressing', canaryWeight: 20, iterations: 2 };
const ANALYSIS = { metrics: [{ name: 'request-success-rate', thresholdRange: { min: 99 }, interval: '1m' }] };

async function setup(status: CanaryStatus = STATUS) {
  const memory = new MemoryCluster();
  const object = { ...canaryObject({}, ANALYSIS), status };
  const canary = {
    ...resolveCanary(object, { defaultProvider: 'istio' }),
    metricsServer: 'http://prometheus:9090',
  };
  const router = new IstioRouter({ cluster: memory });
  await router.reconcile(canary, TARGETS);
  await router.setRoutes(canary, { primary: 80, canary: 20, mirrored: false });
  for (const o of [
    deployment('podinfo-primary', { app: 'podinfo-primary' }),
    deployment('podinfo', { app: 'podinfo' }),
    pod('podinfo-primary-a', { app: 'podinfo-primary' }, '2026-12-01T10:00:00Z'),
    pod('podinfo-b', { app: 'podinfo' }, '2026-12-01T10:05:00Z'),
  ] as KubeObject[]) {
    await memory.create(o);
  }
  const value = { current: 99.5 as number | undefined };
  const provider: MetricsProvider = { query: async () => value.current };
  const doctor = (ns = namespaceObject({ 'istio-injection': 'enabled' })) =>
    runDoctor(canary, {
      cluster: withNamespace(memory, ns),
      providerFor: () => provider,
      istioRootNamespace: 'istio-system',
    });
  return { memory, doctor, value };
}

describe('runDoctor', () => {
  it('reports no finding for a healthy canary, and the metric value it read', async () => {
    const { doctor } = await setup();
    const report = await doctor();
    expect(report.findings).toEqual([]);
    expect(hasErrors(report)).toBe(false);
    expect(report.metrics).toEqual([
      expect.objectContaining({ metric: 'request-success-rate', value: 99.5, passed: true }),
    ]);
    expect(renderReport(report)).toContain('Canary test/podinfo: no findings');
  });

  it('reports each area once broken, errors first', async () => {
    const { memory, doctor, value } = await setup();
    await memory.create({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: 'podinfo-c',
        namespace: 'test',
        labels: { app: 'podinfo' },
        creationTimestamp: '2026-12-01T11:00:00Z',
      },
      spec: { containers: [{ name: 'app' }] },
    } as KubeObject);
    await memory.create({
      apiVersion: 'security.istio.io/v1',
      kind: 'PeerAuthentication',
      metadata: { name: 'default', namespace: 'test' },
      spec: { mtls: { mode: 'STRICT' } },
    } as KubeObject);
    await memory.patch(
      {
        apiVersion: 'networking.istio.io/v1',
        kind: 'DestinationRule',
        namespace: 'test',
        name: 'podinfo-canary',
      },
      { spec: { trafficPolicy: { tls: { mode: 'DISABLE' } } } },
    );
    await memory.create({
      apiVersion: 'networking.istio.io/v1',
      kind: 'VirtualService',
      metadata: { name: 'podinfo-old', namespace: 'test' },
      spec: { hosts: ['podinfo'] },
    } as KubeObject);
    value.current = undefined;
    const report = await doctor();
    expect(report.findings.map((f) => [f.severity, f.area, f.object])).toEqual([
      ['error', 'sidecar', 'Pod test/podinfo-c'],
      ['error', 'mtls', 'DestinationRule test/podinfo-canary'],
      ['error', 'routing', 'VirtualService test/podinfo-old'],
      ['warning', 'metrics', 'Canary test/podinfo'],
    ]);
    expect(hasErrors(report)).toBe(true);
    const text = renderReport(report);
    expect(text).toContain('Canary test/podinfo: 3 errors, 1 warning, 0 notes');
    expect(text).toContain('ERROR   sidecar   Pod test/podinfo-c');
  });

  it('reports a split changed behind Fledge', async () => {
    const { memory, doctor } = await setup();
    const canary = resolveCanary(
      { ...canaryObject({}, ANALYSIS), status: STATUS },
      { defaultProvider: 'istio' },
    );
    await new IstioRouter({ cluster: memory }).setRoutes(canary, {
      primary: 100,
      canary: 0,
      mirrored: false,
    });
    const report = await doctor();
    expect(report.findings.map((f) => f.saw)).toEqual([
      'routes primary 100% / canary 0%, but the canary is Progressing at canary weight 20, which means primary 80% / canary 20%',
    ]);
  });

  it('reports a Canary the controller refuses, naming the field', async () => {
    const memory = new MemoryCluster();
    const object = canaryObject({}, { threshold: 0 });
    const report = await doctorCanary(
      object,
      { defaultProvider: 'istio' },
      { cluster: memory, providerFor: () => ({ query: async () => 1 }), istioRootNamespace: 'istio-system' },
    );
    expect(report.findings).toEqual([
      expect.objectContaining({ severity: 'error', area: 'spec', object: 'Canary test/podinfo' }),
    ]);
    expect(report.findings[0]?.saw).toContain('spec.analysis.threshold');
  });
});
