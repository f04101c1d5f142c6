/**
 * The operator verbs of the built `fledge` command against the local kube-apiserver, run as an
 * operator runs them (`--kubeconfig`, `-n`, `-A`, `-o`): `get`, `status`, `status --watch` ending on
 * the rollout of the target's current revision, `pause` / `resume` with their Events. The statuses
 * are written by the test as the controller would write them.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { jest } from '@jest/globals';
import { parse } from 'yaml';
import type { Canary, CanaryStatus } from '../../src/api/schema/canary.js';
import { ClientNodeCluster } from '../../src/kube/client/client-node-cluster.js';
import { loadKubeConfig } from '../../src/kube/client/config.js';
import { API, objectKey, type Deployment, type KubeEvent } from '../../src/kube/resources.js';
import { readTargetRevision } from '../../src/workloads/target-revision.js';
import { CLUSTER_SETUP_TIMEOUT_MS, ensureCluster, type LocalCluster } from '../support/cluster.js';
import { oneReplicaDeployment } from '../support/deployments.js';
import { eventually } from '../support/eventually.js';
import { createNamespace, deleteNamespaceBestEffort } from '../support/namespaces.js';

const CLI = join(process.cwd(), 'dist/src/cli/main.js');

// Each test runs the command up to five times, each a new process that loads and lists its caches.
jest.setTimeout(180_000);
const namespace = `fledge-cli-${randomBytes(3).toString('hex')}`;
let local: LocalCluster;
let admin: ClientNodeCluster;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `fledge ARGS` with the local cluster's kubeconfig; `whileRunning` acts meanwhile. */
async function fledge(
  args: string[],
  whileRunning?: (state: { exited: boolean; stdout: () => string }) => Promise<void>,
): Promise<Run> {
  const child = spawn(process.execPath, [CLI, ...args, '--kubeconfig', local.kubeconfigPath], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const state = { exited: false, stdout: () => stdout };
  const closed = new Promise<number | null>((resolve) =>
    child.once('close', (code) => {
      state.exited = true;
      resolve(code);
    }),
  );
  await whileRunning?.(state);
  return { code: await closed, stdout, stderr };
}

async function createCanary(name: string): Promise<void> {
  await admin.create(oneReplicaDeployment(namespace, name, [{ name: 'app', image: 'podinfo:1' }]));
  await admin.create<Canary>({
    ...API.canary,
    metadata: { name, namespace },
    spec: {
      targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name },
      service: { port: 9898 },
      analysis: { interval: '1m', threshold: 5, stepWeight: 10, maxWeight: 50 },
    },
  });
}

async function setStatus(name: string, status: CanaryStatus): Promise<void> {
  await admin.patchStatus(objectKey(API.canary, namespace, name), status);
}

async function revisionOf(name: string): Promise<string> {
  const target = await admin.get<Deployment>(objectKey(API.deployment, namespace, name));
  return readTargetRevision(admin, namespace, target!);
}

beforeAll(async () => {
  local = await ensureCluster({ output: (t) => process.stdout.write(t) });
  admin = new ClientNodeCluster({ kubeConfig: loadKubeConfig({ kubeconfigPath: local.kubeconfigPath }) });
  await createNamespace(admin, namespace);
  await createCanary('podinfo');
  await createCanary('backend');
}, CLUSTER_SETUP_TIMEOUT_MS);

afterAll(async () => {
  if (admin) await deleteNamespaceBestEffort(admin, namespace);
  admin?.stop();
  await local?.stop();
});

it('get lists the canaries of a namespace, one by name, and every namespace with -A', async () => {
  await setStatus('podinfo', {
    phase: 'Progressing',
    canaryWeight: 20,
    failedChecks: 1,
    checks: [
      { name: 'request-success-rate', kind: 'metric', passed: true, value: 99.5, min: 99, message: 'ok' },
    ],
  });
  const list = await fledge(['get', '-n', namespace]);
  expect(list).toMatchObject({ code: 0, stderr: '' });
  const lines = list.stdout.trimEnd().split('\n');
  expect(lines[0]).toMatch(/^NAME\s+PHASE\s+WEIGHT\s+FAILED\s+ITERATION\s+SUSPENDED\s+AGE\s+CHECKS$/);
  expect(lines.slice(1).map((l) => l.split(/\s+/).slice(0, 4))).toEqual([
    ['backend', 'Pending', '0', '0/5'],
    ['podinfo', 'Progressing', '20', '1/5'],
  ]);
  expect(lines[2]).toContain('request-success-rate 99.5 ✓');

  const all = await fledge(['get', '-A']);
  expect(all.stdout).toMatch(new RegExp(`\\n${namespace}\\s+podinfo\\s+Progressing`));

  const json = await fledge(['get', 'podinfo', '-n', namespace, '-o', 'json']);
  expect((JSON.parse(json.stdout) as Canary).status?.canaryWeight).toBe(20);
  const yaml = await fledge(['get', '-n', namespace, '-o', 'yaml']);
  expect((parse(yaml.stdout) as { items: Canary[] }).items.map((c) => c.metadata.name)).toEqual([
    'backend',
    'podinfo',
  ]);
});

it('fails with a message naming the canary that does not exist', async () => {
  const missing = await fledge(['status', 'nope', '-n', namespace]);
  expect(missing.code).toBe(1);
  expect(missing.stderr).toBe(`fledge status: canary ${namespace}/nope not found\n`);
});

it('status shows the steps, the checks and the Events', async () => {
  const run = await fledge(['status', 'podinfo', '-n', namespace]);
  expect(run.code).toBe(0);
  expect(run.stdout).toContain(`Canary ${namespace}/podinfo  (canary, target Deployment/podinfo)`);
  expect(run.stdout).toContain('weights: 10 ✓  [20]  30  40  50  then promote');
  expect(run.stdout).toMatch(/request-success-rate\s+metric\s+99\.5\s+min 99\s+pass/);
});

it('pause and resume set and remove spec.suspend, each recorded in an Event', async () => {
  const paused = await fledge(['pause', 'backend', '-n', namespace]);
  expect(paused).toMatchObject({ code: 0, stdout: `canary ${namespace}/backend paused\n` });
  const stored = async () => (await fresh()).spec.suspend;
  const fresh = async () => {
    const client = new ClientNodeCluster({
      kubeConfig: loadKubeConfig({ kubeconfigPath: local.kubeconfigPath }),
    });
    try {
      return (await client.get<Canary>(objectKey(API.canary, namespace, 'backend')))!;
    } finally {
      client.stop();
    }
  };
  expect(await stored()).toBe(true);
  expect((await fledge(['get', 'backend', '-n', namespace])).stdout).toMatch(
    /backend\s+Pending\s+0\s+0\/5\s+-\s+true/,
  );
  expect((await fledge(['pause', 'backend', '-n', namespace])).stdout).toBe(
    `canary ${namespace}/backend is already paused\n`,
  );
  expect((await fledge(['resume', 'backend', '-n', namespace])).code).toBe(0);
  // Removed, not set to false: a GitOps copy without the field stays in sync.
  expect(await stored()).toBeUndefined();

  await eventually(async () => {
    const events = (await admin.list<KubeEvent>({ ...API.event, namespace })).filter(
      (e) => e.regarding.name === 'backend',
    );
    expect(events.map((e) => [e.reason, e.reportingController])).toEqual(
      expect.arrayContaining([
        ['Paused', 'fledge.dev/cli'],
        ['Resumed', 'fledge.dev/cli'],
      ]),
    );
    // Who: the user the API server authenticated (the local cluster's admin certificate).
    expect(events.find((e) => e.reason === 'Paused')?.note).toMatch(/^paused by \S+ with fledge pause$/);
    expect(events.find((e) => e.reason === 'Paused')?.note).not.toContain('local user');
  });
});

describe('status --watch', () => {
  it('waits through the previous revision, then exits 0 when the current one is promoted', async () => {
    const previous = await revisionOf('podinfo');
    await setStatus('podinfo', {
      phase: 'Succeeded',
      canaryWeight: 0,
      lastAppliedSpec: previous,
      checks: [],
    });
    await admin.patch(objectKey(API.deployment, namespace, 'podinfo'), {
      spec: { template: { spec: { containers: [{ name: 'app', image: 'podinfo:2' }] } } },
    });
    const current = await revisionOf('podinfo');
    let exitedEarly = false;
    const run = await fledge(
      ['status', 'podinfo', '-n', namespace, '--watch', '--timeout', '60s'],
      async (state) => {
        // Still Succeeded, for the previous revision: the watch must not end on it.
        await eventually(() => expect(state.stdout()).toContain('phase:     Succeeded'), {
          timeoutMs: 60_000,
        });
        await new Promise((resolve) => setTimeout(resolve, 2_000));
        exitedEarly = state.exited;
        await setStatus('podinfo', { phase: 'Progressing', canaryWeight: 10, lastAppliedSpec: current });
        await eventually(() => expect(state.stdout()).toContain('phase:     Progressing'), {
          timeoutMs: 60_000,
        });
        await setStatus('podinfo', { phase: 'Succeeded', canaryWeight: 0, lastAppliedSpec: current });
      },
    );
    expect(exitedEarly).toBe(false);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("(the controller has not picked up the target's revision yet)");
    expect(run.stdout).toContain('phase:     Progressing');
    expect(run.stderr).toContain(`canary ${namespace}/podinfo: Succeeded`);
  });

  it('exits 1 when the current revision is rolled back, and 1 on --timeout', async () => {
    await setStatus('podinfo', {
      phase: 'Failed',
      canaryWeight: 0,
      lastAppliedSpec: await revisionOf('podinfo'),
    });
    const failed = await fledge(['status', 'podinfo', '-n', namespace, '--watch']);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain('Failed, rolled back');

    await setStatus('podinfo', { phase: 'Progressing', canaryWeight: 10 });
    const started = Date.now();
    const timedOut = await fledge(['status', 'podinfo', '-n', namespace, '--watch', '--timeout', '2s']);
    expect(timedOut.code).toBe(1);
    expect(timedOut.stderr).toContain('still Progressing after 2 s; giving up');
    expect(Date.now() - started).toBeGreaterThanOrEqual(2_000);
  });
});
