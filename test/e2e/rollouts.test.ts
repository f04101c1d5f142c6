/**
 * End-to-end: `fledge controller` as a separate process against the local control plane, with the
 * builtin Istio queries run unmodified on a real Prometheus that scrapes the traffic harness.
 * Assertions are on what reached the API server: VirtualService weights seen through a watch,
 * Deployments, Canary status and Events.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClientNodeCluster } from '../../src/kube/client/client-node-cluster.js';
import { loadKubeConfig } from '../../src/kube/client/config.js';
import { ensureCluster, type LocalCluster } from '../support/cluster.js';
import { startControllerProcess, type ControllerProcess } from './support/controller-process.js';
import { APP, Scenario, canaryManifest } from './support/scenario.js';

const FULL_ROLLOUT = ['100/0', '90/10', '80/20', '70/30', '60/40', '50/50', '100/0'];

let local: LocalCluster;
let kube: ClientNodeCluster;
let controller: ControllerProcess;
const logDir = mkdtempSync(join(tmpdir(), 'fledge-e2e-'));
const run = Math.random().toString(36).slice(2, 7);
const scenarios: Scenario[] = [];

function scenario(name: string, o: Omit<ConstructorParameters<typeof Scenario>[1], 'namespace'>): Scenario {
  const s = new Scenario(kube, { ...o, namespace: `e2e-${name}-${run}` });
  scenarios.push(s);
  return s;
}

function phaseTimer(label: string): () => void {
  const started = Date.now();
  return () => process.stdout.write(`e2e: ${label} took ${((Date.now() - started) / 1000).toFixed(1)}s\n`);
}

beforeAll(async () => {
  const done = phaseTimer('control plane');
  local = await ensureCluster({ output: (t) => process.stdout.write(t) });
  done();
  kube = new ClientNodeCluster({
    kubeConfig: loadKubeConfig({ kubeconfigPath: local.kubeconfigPath }),
    qps: 50,
    burst: 100,
  });
  controller = await startControllerProcess({
    kubeconfig: local.kubeconfigPath,
    logFile: join(logDir, 'controller.log'),
  });
}, 45 * 60_000);

afterAll(async () => {
  await controller?.stop();
  await Promise.allSettled(scenarios.map((s) => s.stop()));
  kube?.stop();
  process.stdout.write(`e2e: controller logs in ${logDir}\n`);
});

afterEach(() => {
  const state = expect.getState();
  if (state.assertionCalls !== state.numPassingAsserts && controller) {
    process.stdout.write(`controller log tail:\n${controller.logTail(60)}\n`);
  }
});

it('1. promotes a new pod template: 10% -> 50%, primary runs it, canary scaled to zero', async () => {
  const done = phaseTimer('scenario 1');
  const s = scenario('promote', { canary: (ns, prom) => canaryManifest(ns, prom) });
  await s.start();
  await s.waitForPhase(['Initialized']);
  await s.setImage('podinfo:2');
  const c = await s.waitForPhase(['Succeeded', 'Failed']);
  expect(c.status?.phase).toBe('Succeeded');
  expect(s.weights).toEqual(FULL_ROLLOUT);
  expect((await s.deployment(`${APP}-primary`))?.spec.template.spec.containers[0]?.image).toBe('podinfo:2');
  expect((await s.deployment(APP))?.spec.replicas).toBe(0);
  const reasons = (await s.events()).map((e) => e.reason);
  expect(reasons).toEqual(expect.arrayContaining(['NewRevision', 'WeightAdvanced', 'Promoted']));
  done();
}, 180_000);
