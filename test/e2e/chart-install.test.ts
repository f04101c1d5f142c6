/**
 * End-to-end through the chart: `helm install` on the local control plane, then `fledge controller`
 * as a process authenticated as the chart's ServiceAccount (a TokenRequest token, not the admin
 * certificate) drives a promotion and a rollback on real traffic and Prometheus. The API server
 * must refuse none of its requests: the chart grants everything a tick uses. Each controller
 * watches one namespace (other e2e files run at the same time); what watching every namespace
 * needs is checked with the controller's own start-up access reviews.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClientNodeCluster } from '../../src/kube/client/client-node-cluster.js';
import { loadKubeConfig } from '../../src/kube/client/config.js';
import type { Canary } from '../../src/api/schema/canary.js';
import { runPreflight } from '../../src/controller/preflight.js';
import { API, objectKey } from '../../src/kube/resources.js';
import { CLUSTER_SETUP_TIMEOUT_MS, ensureCluster, type LocalCluster } from '../support/cluster.js';
import { CHART_DIR, ChartTool } from '../support/helm.js';
import { startControllerProcess, type ControllerProcess } from '../support/devtools/controller-process.js';
import { APP, Scenario, canaryManifest } from './support/scenario.js';

const run = Math.random().toString(36).slice(2, 7);
const RELEASE_NS = `fledge-chart-${run}`;
const RELEASE = 'fl';
const logDir = mkdtempSync(join(tmpdir(), 'fledge-e2e-chart-'));

let local: LocalCluster;
let tool: ChartTool;
let kube: ClientNodeCluster;
let controller: ControllerProcess | undefined;
let clusterWideKubeconfig: string;
let deniedBefore: number;
/** Release namespaces installed, uninstalled at the end. */
const installed: string[] = [];
const scenarios: Scenario[] = [];

/** `helm install` into its own namespace; resolves to a kubeconfig of the release's ServiceAccount. */
async function install(releaseNamespace: string, values: string[] = []): Promise<string> {
  const result = await tool.helm([
    'install',
    RELEASE,
    CHART_DIR,
    '-n',
    releaseNamespace,
    '--create-namespace',
    ...values,
  ]);
  if (result.code !== 0) throw new Error(`helm install failed: ${result.stderr}`);
  installed.push(releaseNamespace);
  return tool.serviceAccountKubeconfig(
    releaseNamespace,
    `${RELEASE}-fledge`,
    join(logDir, `${releaseNamespace}.kubeconfig`),
  );
}

beforeAll(async () => {
  local = await ensureCluster({ output: (t) => process.stdout.write(t) });
  tool = new ChartTool(local);
  kube = new ClientNodeCluster({
    kubeConfig: loadKubeConfig({ kubeconfigPath: local.kubeconfigPath }),
    qps: 50,
    burst: 100,
  });
  clusterWideKubeconfig = await install(RELEASE_NS);
  deniedBefore = await tool.deniedRequests();
}, CLUSTER_SETUP_TIMEOUT_MS);

/**
 * A controller with the cluster-wide account that watches only `namespace`: e2e files run at the
 * same time, and one watching every namespace would tick their canaries. As in the Pod, the Lease
 * is in the release namespace (POD_NAMESPACE), hence one such controller at a time.
 */
function startClusterWideAccountController(namespace: string): Promise<ControllerProcess> {
  return startControllerProcess({
    kubeconfig: clusterWideKubeconfig,
    logFile: join(logDir, `controller-${namespace}.log`),
    extraArgs: [`--namespace=${namespace}`],
    env: { REDIS_URL: '', POD_NAMESPACE: RELEASE_NS },
  });
}

afterAll(async () => {
  await controller?.stop();
  await Promise.allSettled(scenarios.map((s) => s.stop()));
  kube?.stop();
  for (const namespace of installed) {
    const uninstall = await tool.helm(['uninstall', RELEASE, '-n', namespace, '--wait']);
    if (uninstall.code !== 0) process.stdout.write(`helm uninstall failed: ${uninstall.stderr}\n`);
    await tool.kubectl(['delete', 'namespace', namespace, '--wait=false']).catch(() => undefined);
  }
  await local?.stop();
  process.stdout.write(`e2e: chart controller logs in ${logDir}\n`);
});

afterEach(() => {
  const state = expect.getState();
  if (state.assertionCalls !== state.numPassingAsserts && controller)
    process.stdout.write(`controller log tail:\n${controller.logTail(60)}\n`);
});

function scenario(name: string, withConfigMap = false): Scenario {
  const s = new Scenario(kube, {
    namespace: `chart-${name}-${run}`,
    canary: (ns, prom) => canaryManifest(ns, prom),
    withConfigMap,
  });
  scenarios.push(s);
  return s;
}

it('as the chart ServiceAccount: promotes one canary and rolls back a faulty one, with no request forbidden', async () => {
  // What the controller checks at start-up when it watches every namespace: the account may do all
  // of it cluster-wide (the controllers below each watch one namespace, see above).
  const account = new ClientNodeCluster({
    kubeConfig: loadKubeConfig({ kubeconfigPath: clusterWideKubeconfig }),
  });
  try {
    expect(await runPreflight(account, { meshProvider: 'istio', leaseNamespace: RELEASE_NS })).toEqual([]);
  } finally {
    account.stop();
  }
  // The ConfigMap makes config tracking write its -primary copy too.
  const promote = scenario('promote', true);
  const faulty = scenario('faults');
  await Promise.all([promote.start(), faulty.start()]);
  const rollOut = async (s: Scenario, prepare?: () => Promise<void>): Promise<Canary> => {
    controller = await startClusterWideAccountController(s.namespace);
    await s.waitForPhase(['Initialized']);
    await prepare?.();
    await s.setImage('podinfo:2');
    const c = await s.waitForPhase(['Succeeded', 'Failed']);
    await controller.stop();
    return c;
  };
  const promoted = await rollOut(promote);
  const failed = await rollOut(faulty, () =>
    faulty.harness.canary.setFaults({ abort: { percentage: 20, httpStatus: 500 } }),
  );

  // The server's count first (the phases would only say that something failed): the admin clients
  // of this test are never refused, so any 403 is the controller's.
  expect((await tool.deniedRequests()) - deniedBefore).toBe(0);
  expect(promoted.status?.phase).toBe('Succeeded');
  expect((await promote.deployment(`${APP}-primary`))?.spec.template.spec.containers[0]?.image).toBe(
    'podinfo:2',
  );
  expect(failed.status).toMatchObject({ phase: 'Failed', canaryWeight: 0 });
  expect((await faulty.deployment(`${APP}-primary`))?.spec.template.spec.containers[0]?.image).toBe(
    'podinfo:1',
  );
  expect(await kube.get(objectKey(API.configMap, promote.namespace, 'podinfo-config-primary'))).toBeDefined();
  // The Events of both prove the account may write them (recorded after the status write).
  await promote.eventsOnce((e) => e.reason === 'Promoted');
  await faulty.eventsOnce((e) => e.reason === 'RollingBack');

  for (const s of [promote, faulty]) {
    const log = readFileSync(join(logDir, `controller-${s.namespace}.log`), 'utf8');
    expect(log.match(/.*forbidden.*/gi) ?? []).toEqual([]);
  }
}, 180_000);

it('namespaced mode: with Roles in the watched namespace only, the controller promotes a canary there', async () => {
  const s = scenario('team');
  await s.start();
  const releaseNamespace = `${RELEASE_NS}-ns`;
  const kubeconfig = await install(releaseNamespace, ['--set', `namespace=${s.namespace}`]);
  const before = await tool.deniedRequests();
  controller = await startControllerProcess({
    kubeconfig,
    logFile: join(logDir, 'controller-namespaced.log'),
    extraArgs: [`--namespace=${s.namespace}`],
    env: { REDIS_URL: '', POD_NAMESPACE: releaseNamespace },
  });
  await s.waitForPhase(['Initialized']);
  await s.setImage('podinfo:2');
  const c = await s.waitForPhase(['Succeeded', 'Failed']);
  expect((await tool.deniedRequests()) - before).toBe(0);
  expect(c.status?.phase).toBe('Succeeded');
  expect(readFileSync(controller.logFile, 'utf8').match(/.*forbidden.*/gi) ?? []).toEqual([]);
}, 120_000);
