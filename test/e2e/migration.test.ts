/**
 * End-to-end: migrating from Flagger without an outage, exactly as README's "Migrating from
 * Flagger" describes it. The objects Flagger leaves for a promoted canary (owned by its Canary,
 * created through Flagger's CRD, with the `-primary` copy of a ConfigMap) carry traffic through the harness; Fledge's Canary of the same
 * name is applied and adopts them; Flagger's Canary is deleted and the garbage collector acts (a
 * probe ConfigMap Flagger's Canary still owns is collected); the apex Service keeps its uid and
 * ClusterIP, every object is still there owned by Fledge's Canary, and no request failed.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Canary } from '../../src/api/schema/canary.js';
import { ClientNodeCluster } from '../../src/kube/client/client-node-cluster.js';
import { loadKubeConfig } from '../../src/kube/client/config.js';
import { keyOf, type KubeObject } from '../../src/kube/cluster.js';
import { API, objectKey, type Deployment, type Service } from '../../src/kube/resources.js';
import {
  FLAGGER_CANARY,
  flaggerCanaryManifest,
  flaggerLeftovers,
  targetDeployment,
  userConfigMap,
} from '../support/flagger-leftovers.js';
import { CLUSTER_SETUP_TIMEOUT_MS, ensureCluster, type LocalCluster } from '../support/cluster.js';
import { createNamespace, deleteNamespaceBestEffort } from '../support/namespaces.js';
import { startTrafficHarness, type TrafficHarness } from './harness/traffic-harness.js';
import { startControllerProcess, type ControllerProcess } from '../support/devtools/controller-process.js';
import { APP, canaryManifest } from './support/scenario.js';

const PORT = 9898;
const namespace = `e2e-migrate-${Math.random().toString(36).slice(2, 7)}`;
let local: LocalCluster;
let kube: ClientNodeCluster;
let controller: ControllerProcess | undefined;
let harness: TrafficHarness | undefined;

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} in ${namespace}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Requests answered, and the ones that failed or found no route, since the harness started. */
function traffic(h: TrafficHarness): { answered: number; failed: number; unrouted: number } {
  let answered = 0;
  let failed = 0;
  let unrouted = 0;
  for (const c of Object.values(h.mesh.traffic())) {
    unrouted += c.unrouted + c.unmapped;
    for (const w of Object.values(c.byWorkload)) {
      answered += w.requests;
      failed += w.errors;
    }
  }
  return { answered, failed, unrouted };
}

beforeAll(async () => {
  local = await ensureCluster({ output: (t) => process.stdout.write(t) });
  kube = new ClientNodeCluster({
    kubeConfig: loadKubeConfig({ kubeconfigPath: local.kubeconfigPath }),
    qps: 50,
    burst: 100,
  });
  // The namespace first: the controller watches only it and holds its Lease there, so that the
  // e2e files running at the same time neither see each other's canaries nor wait for one Lease.
  await createNamespace(kube, namespace);
  controller = await startControllerProcess({
    kubeconfig: local.kubeconfigPath,
    logFile: join(mkdtempSync(join(tmpdir(), 'fledge-e2e-migrate-')), 'controller.log'),
    extraArgs: [`--namespace=${namespace}`, `--leader-election-namespace=${namespace}`],
    env: { REDIS_URL: '' },
  });
}, CLUSTER_SETUP_TIMEOUT_MS);

afterAll(async () => {
  await harness?.stop();
  await controller?.stop();
  if (kube) await deleteNamespaceBestEffort(kube, namespace);
  kube?.stop();
});

afterEach(() => {
  const state = expect.getState();
  if (state.assertionCalls !== state.numPassingAsserts && controller) {
    process.stdout.write(`controller log tail:\n${controller.logTail(60)}\n`);
  }
});

it("migrates from Flagger without an outage: Fledge adopts Flagger's objects, deleting Flagger's Canary removes nothing", async () => {
  const started = Date.now();
  // As Flagger leaves a promoted canary: the target at zero, the rest owned by Flagger's Canary.
  const config = { GREETING: 'hello' };
  await kube.create(userConfigMap(namespace, APP, config));
  await kube.create(targetDeployment(namespace, APP, 'podinfo:1', 0, true));
  const flagger = await kube.create(flaggerCanaryManifest(namespace, APP, PORT));
  await kube.patchStatus(keyOf(flagger), { phase: 'Succeeded', canaryWeight: 0, failedChecks: 0 });
  const leftovers = flaggerLeftovers({
    namespace,
    name: APP,
    flaggerUid: flagger.metadata.uid!,
    image: 'podinfo:1',
    port: PORT,
    config,
  });
  // Still owned by Flagger's Canary after the migration: its disappearance shows the collector acted.
  const probe = { ...API.configMap, metadata: { ...leftovers[0]!.metadata, name: `${APP}-gc-probe` } };
  for (const o of [...leftovers, probe]) await kube.create(o);
  const apexKey = objectKey(API.service, namespace, APP);
  const apexBefore = (await waitFor(
    'the apex ClusterIP',
    async () => {
      const s = await kube.get<Service>(apexKey);
      return s?.spec['clusterIP'] ? s : undefined;
    },
    10_000,
  ))!;

  harness = await startTrafficHarness({ cluster: kube, namespace, apex: APP, requestsPerSecond: 40 });
  // The harness sends from its start, and finds no route until its watch has delivered Flagger's
  // VirtualService (up to a few hundred ms on a loaded API server): those requests say nothing of
  // the migration, so the record starts once the routes are seen.
  await harness.mesh.waitForRoutes(() => true, 10_000);
  const beforeRoutes = harness.mesh.resetTraffic();
  const unroutedBefore = Object.values(beforeRoutes).reduce((n, c) => n + c.unrouted, 0);
  process.stdout.write(`e2e: migration: ${unroutedBefore} requests sent before the routes were seen\n`);
  await waitFor(
    'traffic through the primary',
    async () => (traffic(harness!).answered > 20 ? true : undefined),
    15_000,
  );

  // Step 2 of the migration: Fledge's Canary, same namespace and name as Flagger's.
  const fledge = await kube.create<Canary>(canaryManifest(namespace, 'http://127.0.0.1:1'));
  const ownedByFledge = (o: KubeObject | undefined) =>
    o?.metadata.ownerReferences?.length === 1 &&
    o.metadata.ownerReferences[0]!.uid === fledge.metadata.uid &&
    o.metadata.ownerReferences[0]!.controller === true;
  await waitFor(
    'every object adopted by Fledge',
    async () => {
      const objects = await Promise.all(leftovers.map((o) => kube.get(keyOf(o))));
      return objects.every(ownedByFledge) ? true : undefined;
    },
    30_000,
  );
  const initialized = await waitFor(
    'Initialized',
    async () => {
      const c = await kube.get<Canary>(keyOf(fledge));
      return c?.status?.phase === 'Initialized' ? c : undefined;
    },
    30_000,
  );
  expect(initialized.status?.lastPromotedSpec).toBe(initialized.status?.lastAppliedSpec);

  // Step 3: delete Flagger's Canary; the garbage collector collects what it still owns.
  await kube.delete(objectKey(FLAGGER_CANARY, namespace, APP));
  await waitFor(
    'the collector to remove the probe',
    async () => ((await kube.get(keyOf(probe))) ? undefined : true),
    60_000,
  );
  const answeredAtDeletion = traffic(harness).answered;
  await new Promise((r) => setTimeout(r, 2_000));

  for (const o of leftovers) expect(ownedByFledge(await kube.get(keyOf(o)))).toBe(true);
  const apexAfter = (await kube.get<Service>(apexKey))!;
  expect(apexAfter.metadata.uid).toBe(apexBefore.metadata.uid);
  expect(apexAfter.spec['clusterIP']).toBe(apexBefore.spec['clusterIP']);
  expect(apexAfter.spec.selector).toEqual({ app: `${APP}-primary` });
  const target = await kube.get<Deployment>(objectKey(API.deployment, namespace, APP));
  expect(target?.spec.replicas).toBe(0);
  const seen = traffic(harness);
  expect(seen.answered).toBeGreaterThan(answeredAtDeletion);
  expect({ failed: seen.failed, unrouted: seen.unrouted }).toEqual({ failed: 0, unrouted: 0 });
  expect(harness.mesh.seen()).toEqual({ other: { [`${APP}-primary`]: seen.answered } });
  process.stdout.write(`e2e: migration took ${((Date.now() - started) / 1000).toFixed(1)}s\n`);
}, 90_000);
