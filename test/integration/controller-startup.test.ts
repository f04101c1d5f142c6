/**
 * `fledge controller` that cannot start, against the local control plane: an API server that does
 * not answer, an account without permissions (a client certificate of a user no RBAC rule names,
 * then one allowed to read but not to write), and Fledge's CRDs missing (a proxy that answers 404
 * for the fledge.dev API group, as the API server does without the CRDs). Each time the process must
 * retry for its start-up timeout, say why it is not ready, then exit non-zero naming the cause.
 */
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ClientNodeCluster } from '../../src/kube/client/client-node-cluster.js';
import { loadKubeConfig } from '../../src/kube/client/config.js';
import type { KubeObject } from '../../src/kube/cluster.js';
import { freePort } from '../support/devtools/processes.js';
import { CLUSTER_SETUP_TIMEOUT_MS, ensureCluster, type LocalCluster } from '../support/cluster.js';
import { FaultProxy } from './kube/fault-proxy.js';

const CLI = join(process.cwd(), 'dist/src/cli/main.js');
const STARTUP_TIMEOUT = '4s';

let local: LocalCluster | undefined;
let admin: ClientNodeCluster | undefined;
let dir: string;

function cluster(): LocalCluster {
  if (!local) throw new Error('the control plane did not start (see beforeAll)');
  return local;
}

interface Outcome {
  code: number | null;
  output: string;
  /** What /readyz answered while the controller was still trying. */
  readyz?: { status: number; body: string };
  healthz?: number;
}

/** Runs `fledge controller` until it exits (killed after `limitMs`). */
async function runController(kubeconfig: string, limitMs = 60_000): Promise<Outcome> {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [
      CLI,
      'controller',
      `--kubeconfig=${kubeconfig}`,
      `--listen-address=127.0.0.1:${port}`,
      `--startup-timeout=${STARTUP_TIMEOUT}`,
      '--log-level=warn',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, REDIS_URL: '' } },
  );
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const killer = setTimeout(() => child.kill('SIGKILL'), limitMs);
  const outcome: Outcome = { code: null, output: '' };
  // Probe the endpoints while it is still retrying.
  const probeUntil = Date.now() + limitMs;
  while (child.exitCode === null && Date.now() < probeUntil) {
    await sleep(100);
    const readyz = await fetch(`http://127.0.0.1:${port}/readyz`).then(
      async (r) => ({ status: r.status, body: await r.text() }),
      () => undefined,
    );
    if (readyz && readyz.body !== '' && !readyz.body.startsWith('starting: checking')) {
      outcome.readyz = readyz;
      outcome.healthz = await fetch(`http://127.0.0.1:${port}/healthz`).then(
        (r) => r.status,
        () => 0,
      );
      break;
    }
  }
  outcome.code = await exited;
  clearTimeout(killer);
  outcome.output = output;
  return outcome;
}

function writeKubeconfig(name: string, server: string, user: Record<string, string>): string {
  const path = join(dir, `${name}.kubeconfig`);
  // client-node refuses plain http unless TLS verification is off (the proxy listens on loopback).
  const ca = server.startsWith('https:')
    ? `    certificate-authority: ${cluster().caFile}\n`
    : '    insecure-skip-tls-verify: true\n';
  const userLines = Object.entries(user)
    .map(([k, v]) => `    ${k}: ${v}\n`)
    .join('');
  writeFileSync(
    path,
    `apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: ${server}\n${ca}users:\n- name: u\n  user:\n${userLines || '    {}\n'}contexts:\n- name: c\n  context:\n    cluster: c\n    user: u\ncurrent-context: c\n`,
  );
  return path;
}

/** A client certificate for `user`, signed by the control plane's CA: authenticated, no rights. */
function userCertificate(user: string): { 'client-certificate': string; 'client-key': string } {
  const caDir = dirname(cluster().caFile);
  const key = join(dir, `${user}.key`);
  const csr = join(dir, `${user}.csr`);
  const crt = join(dir, `${user}.crt`);
  execFileSync('openssl', [
    'genpkey',
    '-algorithm',
    'EC',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-out',
    key,
  ]);
  execFileSync('openssl', ['req', '-new', '-key', key, '-subj', `/CN=${user}`, '-out', csr]);
  execFileSync('openssl', [
    'x509',
    '-req',
    '-in',
    csr,
    '-CA',
    join(caDir, 'ca.crt'),
    '-CAkey',
    join(caDir, 'ca.key'),
    '-set_serial',
    `0x${randomBytes(8).toString('hex')}`,
    '-days',
    '1',
    '-out',
    crt,
  ]);
  return { 'client-certificate': crt, 'client-key': key };
}

beforeAll(async () => {
  local = await ensureCluster();
  admin = new ClientNodeCluster({ kubeConfig: loadKubeConfig({ kubeconfigPath: local.kubeconfigPath }) });
  dir = mkdtempSync(join(tmpdir(), 'fledge-startup-'));
}, CLUSTER_SETUP_TIMEOUT_MS);

afterAll(async () => {
  admin?.stop();
  await local?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('fledge controller start-up', () => {
  it('exits naming the address when the API server does not answer', async () => {
    const port = await freePort();
    const kubeconfig = writeKubeconfig('unreachable', `https://127.0.0.1:${port}`, {
      'client-certificate': cluster().certFile,
      'client-key': cluster().keyFile,
    });
    const outcome = await runController(kubeconfig);
    expect(outcome.code).toBe(1);
    expect(outcome.output).toContain('cannot start: API server unreachable');
    expect(outcome.output).toContain(`127.0.0.1:${port}`);
    // While retrying: alive, not ready, and saying why.
    expect(outcome.healthz).toBe(200);
    expect(outcome.readyz?.status).toBe(503);
    expect(outcome.readyz?.body).toContain('API server unreachable');
  }, 60_000);

  it('exits naming the verbs and resources its account lacks', async () => {
    const user = `fledge-startup-${randomBytes(3).toString('hex')}`;
    const kubeconfig = writeKubeconfig('nobody', cluster().server, userCertificate(user));

    const none = await runController(kubeconfig);
    expect(none.code).toBe(1);
    expect(none.output).toMatch(/forbidden: .*cannot list resource "canaries" in API group "fledge.dev"/);

    // Allowed to read Fledge's kinds, nothing else: the writes a tick needs are named.
    const role: KubeObject & Record<string, unknown> = {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: user },
      rules: [
        {
          apiGroups: ['fledge.dev'],
          resources: ['canaries', 'metrictemplates', 'alertproviders'],
          verbs: ['get', 'list', 'watch'],
        },
      ],
    };
    const binding: KubeObject & Record<string, unknown> = {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: user },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: user },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: user }],
    };
    await admin!.create(role);
    await admin!.create(binding);
    try {
      const readOnly = await runController(kubeconfig);
      expect(readOnly.code).toBe(1);
      expect(readOnly.output).toContain(
        "forbidden: the controller's account may not patch canaries.fledge.dev",
      );
      expect(readOnly.output).toContain('patch canaries/status.fledge.dev in all namespaces');
      expect(readOnly.output).toContain('create deployments.apps in all namespaces');
      expect(readOnly.output).toContain('create leases.coordination.k8s.io in namespace default');
      expect(readOnly.output).not.toContain('may not list canaries');
    } finally {
      await admin!.delete({ ...binding, namespace: '', name: user });
      await admin!.delete({ ...role, namespace: '', name: user });
    }
  }, 120_000);

  it("exits naming the CRD when Fledge's API group is not served", async () => {
    const proxy = new FaultProxy(cluster());
    await proxy.start();
    try {
      proxy.hide('/apis/fledge.dev/');
      const url = proxy.kubeConfig().getCurrentCluster()?.server ?? '';
      const outcome = await runController(writeKubeconfig('no-crds', url, {}));
      expect(outcome.code).toBe(1);
      expect(outcome.output).toContain('CustomResourceDefinition canaries.fledge.dev is not installed');
      expect(outcome.output).toContain(
        'CustomResourceDefinition metrictemplates.fledge.dev is not installed',
      );
    } finally {
      await proxy.stop();
    }
  }, 60_000);
});
