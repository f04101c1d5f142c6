/**
 * `fledge doctor` findings that `doctor.test.ts` does not make, each exhibited by one canary of a
 * namespace on the local kube-apiserver (Istio's real CRDs, pods made by the Deployment controller
 * and run by kwok), no controller running, no metrics and no webhooks, so that each canary shows
 * its one finding and nothing else:
 *
 * - `drifted`: the VirtualService routes 50/50 while the status says Progressing at 20%;
 * - `unselected`: subset routing whose primary subset names labels no pod carries;
 * - `gatewayless`: the VirtualService binds to an Istio Gateway that does not exist;
 * - `relaxed`: a workload PeerAuthentication PERMISSIVE where the namespace's says STRICT;
 * - `meshed` (a namespace of its own): a namespace PeerAuthentication PERMISSIVE where the mesh's
 *   (in the root namespace `--istio-root-namespace` names) says STRICT;
 * - `early`: pods created before the namespace asked for injection, so without the proxy;
 * - `unattached` (Gateway API): the HTTPRoute's parentRefs name a Gateway that does not exist;
 * - `classless` (NGINX): the Ingress names an IngressClass that does not exist.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { jest } from '@jest/globals';
import type { DoctorReport, Finding, Pod } from '../../src/cli/ops/doctor/finding.js';
import { ClientNodeCluster } from '../../src/kube/client/client-node-cluster.js';
import { loadKubeConfig } from '../../src/kube/client/config.js';
import type { KubeObject } from '../../src/kube/cluster.js';
import { API } from '../../src/kube/resources.js';
import { CLUSTER_SETUP_TIMEOUT_MS, ensureCluster, type LocalCluster } from '../support/cluster.js';
import {
  createDoctorRollout,
  doctorDeployment,
  type DoctorRolloutOptions,
} from '../support/doctor-rollout.js';
import { eventually } from '../support/eventually.js';
import { createNamespace, deleteNamespaceBestEffort, namespaceKey } from '../support/namespaces.js';
import { runProcess } from '../support/run-process.js';

const CLI = join(process.cwd(), 'dist/src/cli/main.js');

jest.setTimeout(180_000);
const run = randomBytes(3).toString('hex');
const namespace = `fledge-findings-${run}`;
const meshNamespace = `${namespace}-mesh`;
const rootNamespace = `${namespace}-root`;
/** IngressClasses are cluster-wide: a name no other test uses. */
const ingressClass = `nginx-${run}`;
let local: LocalCluster;
let admin: ClientNodeCluster;

/** No metrics, no webhooks: nothing to query or probe, only the cluster's objects to judge. */
const ANALYSIS: DoctorRolloutOptions['analysis'] = {
  interval: '1m',
  threshold: 5,
  stepWeight: 10,
  maxWeight: 50,
};

const rollout = (name: string, o: Omit<DoctorRolloutOptions, 'analysis'> = {}) =>
  createDoctorRollout(admin, namespace, name, { analysis: ANALYSIS, ...o });

async function pods(prefix: string): Promise<Pod[]> {
  const all = await admin.list<Pod>({ apiVersion: 'v1', kind: 'Pod', namespace });
  return all.filter((p) => p.metadata.name.startsWith(prefix));
}

/** The findings of `fledge doctor NAME -o json`, and its exit code. */
async function doctor(
  name: string,
  ns = namespace,
  flags: string[] = [],
): Promise<{ code: number | null; findings: Finding[] }> {
  const run = await runProcess(process.execPath, [
    CLI,
    'doctor',
    name,
    '-n',
    ns,
    '-o',
    'json',
    ...flags,
    '--kubeconfig',
    local.kubeconfigPath,
  ]);
  expect(run.stderr).toBe('');
  return { code: run.code, findings: (JSON.parse(run.stdout) as DoctorReport).findings };
}

const what = (findings: Finding[]) => findings.map((f) => [f.severity, f.area, f.object]);

beforeAll(async () => {
  local = await ensureCluster({ output: (t) => process.stdout.write(t) });
  admin = new ClientNodeCluster({ kubeConfig: loadKubeConfig({ kubeconfigPath: local.kubeconfigPath }) });
  // Injection is not asked for yet: the `early` pods are made without the proxy.
  await createNamespace(admin, namespace);
  await admin.create(doctorDeployment(namespace, 'early-primary', ['app']));
  await admin.create(doctorDeployment(namespace, 'early', ['app']));
  await eventually(async () => expect(await pods('early')).toHaveLength(2), { timeoutMs: 60_000 });
  // creationTimestamp counts whole seconds: the pods made after injection must be a second later.
  await new Promise((r) => setTimeout(r, 1_100));
  await admin.patch(namespaceKey(namespace), { metadata: { labels: { 'istio-injection': 'enabled' } } });
  await rollout('early', { createDeployments: false });
  await rollout('drifted', { routes: { primary: 50, canary: 50, mirrored: false } });
  await rollout('unselected', {
    service: { subsetRouting: true },
    primaryLabels: { app: 'unselected-primary', track: 'stable' },
  });
  await rollout('gatewayless', { service: { gateways: ['public-gateway'], hosts: ['app.example.com'] } });
  await rollout('relaxed');
  await rollout('unattached', {
    provider: 'gatewayapi:v1',
    service: { gatewayRefs: [{ name: 'missing-gateway' }] },
  });
  await admin.create({
    ...API.ingress,
    metadata: { name: 'classless', namespace },
    spec: {
      ingressClassName: ingressClass,
      rules: [
        {
          http: {
            paths: [
              {
                path: '/',
                pathType: 'Prefix',
                backend: { service: { name: 'classless', port: { number: 9898 } } },
              },
            ],
          },
        },
      ],
    },
  } as KubeObject);
  await rollout('classless', {
    provider: 'nginx',
    spec: { ingressRef: { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', name: 'classless' } },
  });
  for (const [name, selector, mode] of [
    ['namespace-strict', undefined, 'STRICT'],
    ['relaxed-permissive', { app: 'relaxed' }, 'PERMISSIVE'],
  ] as const) {
    await admin.create({
      apiVersion: 'security.istio.io/v1',
      kind: 'PeerAuthentication',
      metadata: { name, namespace },
      spec: { ...(selector ? { selector: { matchLabels: selector } } : {}), mtls: { mode } },
    } as KubeObject);
  }
  await createNamespace(admin, meshNamespace, { 'istio-injection': 'enabled' });
  await createNamespace(admin, rootNamespace);
  await createDoctorRollout(admin, meshNamespace, 'meshed', { analysis: ANALYSIS });
  for (const [ns, name, mode] of [
    [rootNamespace, 'default', 'STRICT'],
    [meshNamespace, 'legacy-permissive', 'PERMISSIVE'],
  ] as const) {
    await admin.create({
      apiVersion: 'security.istio.io/v1',
      kind: 'PeerAuthentication',
      metadata: { name, namespace: ns },
      spec: { mtls: { mode } },
    } as KubeObject);
  }
  await eventually(
    async () => {
      const meshed = await admin.list<Pod>({ apiVersion: 'v1', kind: 'Pod', namespace: meshNamespace });
      expect(meshed.filter((p) => p.status?.phase === 'Running')).toHaveLength(2);
      const running = (await pods('')).filter((p) => p.status?.phase === 'Running');
      expect(running).toHaveLength(14);
    },
    { timeoutMs: 60_000 },
  );
}, CLUSTER_SETUP_TIMEOUT_MS);

afterAll(async () => {
  for (const name of [namespace, meshNamespace, rootNamespace]) {
    if (admin) await deleteNamespaceBestEffort(admin, name);
  }
  admin?.stop();
  await local?.stop();
});

it('names the split the VirtualService routes when it differs from the status', async () => {
  const { code, findings } = await doctor('drifted');
  expect(code).toBe(1);
  expect(what(findings)).toEqual([['error', 'routing', `VirtualService ${namespace}/drifted`]]);
  expect(findings[0]?.saw).toBe(
    'routes primary 50% / canary 50%, but the canary is Progressing at canary weight 20, which means primary 80% / canary 20%',
  );
});

it('names the DestinationRule subset whose labels no pod has', async () => {
  const { code, findings } = await doctor('unselected');
  expect(code).toBe(1);
  expect(what(findings)).toEqual([['error', 'routing', `DestinationRule ${namespace}/unselected`]]);
  expect(findings[0]?.saw).toBe(
    `subset primary selects pods labelled {"app":"unselected-primary","track":"stable"} and no pod in ${namespace} has them: its share of traffic gets 503 no healthy upstream`,
  );
});

it('names the Istio Gateway the VirtualService binds to that does not exist', async () => {
  const { code, findings } = await doctor('gatewayless');
  expect(code).toBe(1);
  expect(what(findings)).toEqual([['error', 'routing', `VirtualService ${namespace}/gatewayless`]]);
  expect(findings[0]?.saw).toBe(
    `binds to Gateway ${namespace}/public-gateway, which does not exist: traffic through it is not routed`,
  );
});

it('warns of a PERMISSIVE PeerAuthentication where the namespace expects STRICT', async () => {
  const { code, findings } = await doctor('relaxed');
  expect(code).toBe(0); // a warning: traffic flows, only less protected than meant
  expect(what(findings)).toEqual([['warning', 'mtls', `PeerAuthentication ${namespace}/relaxed-permissive`]]);
  expect(findings[0]?.saw).toBe(
    `sets PERMISSIVE for the canary pods (workload scope) where PeerAuthentication ${namespace}/namespace-strict expects STRICT (namespace scope): they accept plain text`,
  );
});

it('warns of a PERMISSIVE namespace PeerAuthentication where the mesh root expects STRICT', async () => {
  const { code, findings } = await doctor('meshed', meshNamespace, ['--istio-root-namespace', rootNamespace]);
  expect(code).toBe(0);
  expect(what(findings)).toEqual([
    ['warning', 'mtls', `PeerAuthentication ${meshNamespace}/legacy-permissive`],
  ]);
  expect(findings[0]?.saw).toBe(
    `sets PERMISSIVE for the primary and canary pods (namespace scope) where PeerAuthentication ${rootNamespace}/default expects STRICT (mesh scope): they accept plain text`,
  );
  // Without the flag, doctor looks in istio-system, where this test put nothing of its own.
  expect((await doctor('meshed', meshNamespace)).findings.filter((f) => f.area === 'mtls')).toEqual([]);
});

it('names the pods created before injection was working, with the restart that fixes them', async () => {
  const { code, findings } = await doctor('early');
  expect(code).toBe(1);
  const pod = (role: string) =>
    expect.stringMatching(new RegExp(`^Pod ${namespace}/early${role}-[a-z0-9]+-[a-z0-9]+$`));
  expect(what(findings)).toEqual([
    ['error', 'sidecar', pod('-primary')],
    ['error', 'sidecar', pod('')],
  ]);
  for (const f of findings) {
    expect(f.saw).toMatch(
      / pod created \S+, before injection was working \(the first pod with istio-proxy in the namespace was created \S+\): it has no istio-proxy$/,
    );
  }
  expect(findings.map((f) => f.fix)).toEqual([
    `restart the pods so they are injected: kubectl rollout restart deployment/early-primary -n ${namespace}`,
    `restart the pods so they are injected: kubectl rollout restart deployment/early -n ${namespace}`,
  ]);
});

it('names the Gateway an HTTPRoute attaches to that does not exist (Gateway API)', async () => {
  const { code, findings } = await doctor('unattached');
  expect(code).toBe(1);
  expect(what(findings)).toEqual([['error', 'routing', `HTTPRoute ${namespace}/unattached`]]);
  expect(findings[0]?.saw).toBe(
    `parentRefs names Gateway ${namespace}/missing-gateway, which does not exist: the route is attached to nothing and no request follows its split`,
  );
});

it("names the IngressClass an NGINX canary's Ingress names that does not exist", async () => {
  const { code, findings } = await doctor('classless');
  expect(code).toBe(1);
  expect(what(findings)).toEqual([['error', 'routing', `Ingress ${namespace}/classless`]]);
  expect(findings[0]?.saw).toBe(
    `spec.ingressClassName names IngressClass ${ingressClass}, which does not exist: no ingress controller serves this Ingress or its canary copy`,
  );

  // Once the class exists (created by installing the controller), the finding goes.
  await admin.create({
    apiVersion: 'networking.k8s.io/v1',
    kind: 'IngressClass',
    metadata: { name: ingressClass },
    spec: { controller: 'k8s.io/ingress-nginx' },
  } as KubeObject);
  try {
    expect(await doctor('classless')).toEqual({ code: 0, findings: [] });
  } finally {
    await admin.delete({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'IngressClass',
      namespace: '',
      name: ingressClass,
    });
  }
});
