/**
 * `fledge doctor` as an operator runs it, against the local kube-apiserver with Istio's real CRDs
 * and a real Prometheus. The Istio objects are written by the Istio router itself and the statuses
 * as the controller would write them (the controller does not run); the pods are made by the
 * Deployment controller from templates with and without an `istio-proxy` container.
 *
 * - `healthy`: injected pods, the split the status means, a success rate with traffic, a reachable
 *   gate: no finding, exit 0.
 * - `broken`: canary pods without the proxy, a STRICT PeerAuthentication with the DISABLE
 *   DestinationRules its trafficPolicy makes, another VirtualService on its host, a webhook nobody
 *   listens on, and no series in Prometheus: a finding for each, exit 1.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { jest } from '@jest/globals';
import type { CanarySpec } from '../../src/api/schema/canary.js';
import type { DoctorReport } from '../../src/cli/ops/doctor/finding.js';
import { ClientNodeCluster } from '../../src/kube/client/client-node-cluster.js';
import { loadKubeConfig } from '../../src/kube/client/config.js';
import type { KubeObject } from '../../src/kube/cluster.js';
import { CLUSTER_SETUP_TIMEOUT_MS, ensureCluster, type LocalCluster } from '../support/cluster.js';
import { createDoctorRollout } from '../support/doctor-rollout.js';
import { eventually } from '../support/eventually.js';
import { HttpReceiver } from '../support/http-receiver.js';
import { createNamespace, deleteNamespaceBestEffort } from '../support/namespaces.js';
import { istioFeed, startPrometheus, type PrometheusInstance } from '../support/prometheus.js';
import { runProcess, type ProcessRun } from '../support/run-process.js';

const CLI = join(process.cwd(), 'dist/src/cli/main.js');

jest.setTimeout(180_000);
const namespace = `fledge-doctor-${randomBytes(3).toString('hex')}`;
let local: LocalCluster;
let admin: ClientNodeCluster;
let prometheus: PrometheusInstance;
let loadTester: HttpReceiver;

async function fledge(args: string[]): Promise<ProcessRun> {
  return runProcess(process.execPath, [CLI, ...args, '--kubeconfig', local.kubeconfigPath]);
}

/** A Canary, its two Deployments, and the Istio objects the router writes for its status. */
function rollout(
  name: string,
  options: { canaryContainers: string[]; service: Partial<CanarySpec['service']>; webhook: string },
): Promise<void> {
  return createDoctorRollout(admin, namespace, name, {
    canaryContainers: options.canaryContainers,
    service: options.service,
    metricsServer: prometheus.address,
    analysis: {
      interval: '1m',
      threshold: 5,
      stepWeight: 10,
      maxWeight: 50,
      metrics: [{ name: 'request-success-rate', thresholdRange: { min: 99 }, interval: '1m' }],
      webhooks: [{ name: 'gate', type: 'confirm-rollout', url: options.webhook, timeout: '2s' }],
    },
  });
}

beforeAll(async () => {
  local = await ensureCluster({ output: (t) => process.stdout.write(t) });
  admin = new ClientNodeCluster({ kubeConfig: loadKubeConfig({ kubeconfigPath: local.kubeconfigPath }) });
  loadTester = (await HttpReceiver.start()).loadTester();
  const rates = {
    namespace,
    workload: 'healthy',
    requestsPerSecondByCode: { '200': 10 },
    bucketsPerSecond: [['+Inf', 10]] as [string, number][],
    latencySumPerSecond: 100,
  };
  prometheus = await startPrometheus({ feed: istioFeed([rates]) });
  await prometheus.waitFor(
    `count_over_time(istio_requests_total{destination_workload="healthy"}[1m])`,
    (v) => (v[0] ?? 0) >= 2,
  );
  await createNamespace(admin, namespace, { 'istio-injection': 'enabled' });
  await rollout('healthy', {
    canaryContainers: ['app', 'istio-proxy'],
    service: {},
    webhook: loadTester.url('/gate/check'),
  });
  await rollout('broken', {
    canaryContainers: ['app'],
    service: { trafficPolicy: { tls: { mode: 'DISABLE' } } },
    webhook: 'http://127.0.0.1:1/gate/check',
  });
  await admin.create({
    apiVersion: 'security.istio.io/v1',
    kind: 'PeerAuthentication',
    metadata: { name: 'broken-strict', namespace },
    spec: { selector: { matchLabels: { app: 'broken' } }, mtls: { mode: 'STRICT' } },
  } as KubeObject);
  await admin.create({
    apiVersion: 'networking.istio.io/v1',
    kind: 'VirtualService',
    metadata: { name: 'broken-legacy', namespace },
    spec: {
      hosts: [`broken.${namespace}.svc.cluster.local`],
      http: [{ route: [{ destination: { host: 'broken' } }] }],
    },
  } as KubeObject);
  // The Deployment controller makes the pods from the templates.
  await eventually(
    async () => {
      const pods = await admin.list({ apiVersion: 'v1', kind: 'Pod', namespace });
      expect(pods.length).toBeGreaterThanOrEqual(4);
    },
    { timeoutMs: 60_000 },
  );
}, CLUSTER_SETUP_TIMEOUT_MS);

afterAll(async () => {
  if (admin) await deleteNamespaceBestEffort(admin, namespace);
  admin?.stop();
  await prometheus?.stop();
  await loadTester?.close();
  await local?.stop();
});

it('reports no finding for a healthy canary and exits 0', async () => {
  const run = await fledge(['doctor', 'healthy', '-n', namespace]);
  expect(run).toMatchObject({ code: 0, stderr: '' });
  expect(run.stdout).toContain(`Canary ${namespace}/healthy: no findings`);
  expect(run.stdout).toMatch(/pass {2}request-success-rate {2}100 /);
  expect(run.stdout).toContain(
    `ok    webhook gate (confirm-rollout)  ${loadTester.url('/gate/check')}  HTTP 403 Forbidden`,
  );
  // The probe carried nothing a gate could act on.
  expect(loadTester.requests.map((r) => [r.method, r.path, r.body])).toEqual([['HEAD', '/gate/check', '']]);
});

it('reports each finding of a broken canary, as text and as JSON, and exits 1', async () => {
  const run = await fledge(['doctor', 'broken', '-n', namespace, '-o', 'json']);
  expect(run.code).toBe(1);
  const report = JSON.parse(run.stdout) as DoctorReport;
  const seen = report.findings.map((f) => [f.severity, f.area, f.object]);
  expect(seen).toEqual(
    expect.arrayContaining([
      [
        'error',
        'sidecar',
        expect.stringMatching(new RegExp(`^Pod ${namespace}/broken-[a-z0-9]+-[a-z0-9]+$`)),
      ],
      ['error', 'mtls', `DestinationRule ${namespace}/broken-canary`],
      ['error', 'routing', `VirtualService ${namespace}/broken-legacy`],
      ['warning', 'metrics', `Canary ${namespace}/broken`],
      ['error', 'webhooks', `Canary ${namespace}/broken`],
    ]),
  );
  expect(seen).toHaveLength(5);
  const saw = (area: string) => report.findings.find((f) => f.area === area)?.saw;
  expect(saw('sidecar')).toContain('has no istio-proxy');
  expect(saw('mtls')).toContain(
    `sets tls.mode DISABLE while PeerAuthentication ${namespace}/broken-strict (workload scope)`,
  );
  expect(saw('metrics')).toContain('request-success-rate: no data; no series matches istio_requests_total{');
  expect(saw('webhooks')).toContain('ECONNREFUSED');

  const text = await fledge(['doctor', '-n', namespace]);
  expect(text.code).toBe(1);
  expect(text.stdout).toContain(`Canary ${namespace}/broken: 4 errors, 1 warning, 0 notes`);
  expect(text.stdout).toContain(`Canary ${namespace}/healthy: no findings`);
  process.stdout.write(`fledge doctor -n ${namespace}:\n${text.stdout}\n`);
});
