/**
 * The Helm chart with real helm: `helm lint --strict`, the values schema refusing mistakes, and
 * several value sets rendered with `helm template`, each accepted by the local control plane's
 * server-side dry run and read as RBAC against the permissions the controller checks at start-up
 * (`controllerRequirements`), so the chart and that list cannot drift apart.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { allocatorEnvOf, nodeFlagsOf, readChartNodeFlags } from '../../bench/chart-node-flags.js';
import { controllerRequirements } from '../../src/controller/preflight.js';
import { CLUSTER_SETUP_TIMEOUT_MS, ensureCluster, type LocalCluster } from '../support/cluster.js';
import { CHART_DIR, ChartTool, setArgs } from '../support/helm.js';
import {
  allows,
  parseManifest,
  rulesFor,
  type PolicyRule,
  type RenderedObject,
} from '../support/rbac-rules.js';

const run = Math.random().toString(36).slice(2, 7);
const NS = `chart-${run}`;
const TEAM = `chart-${run}-team`;
const RELEASE = 'fl';
const ACCOUNT = { namespace: NS, name: `${RELEASE}-fledge` };

let local: LocalCluster | undefined;
let tool: ChartTool;

beforeAll(async () => {
  local = await ensureCluster({ output: (t) => process.stdout.write(t) });
  tool = new ChartTool(local);
  for (const ns of [NS, TEAM]) await tool.kubectl(['create', 'namespace', ns]);
}, CLUSTER_SETUP_TIMEOUT_MS);

afterAll(async () => {
  if (local) for (const ns of [NS, TEAM]) await tool.kubectl(['delete', 'namespace', ns, '--wait=false']);
  await local?.stop();
});

/** Renders, checks with the API server's dry run, and returns the objects. */
async function render(values: Record<string, string | number | boolean>): Promise<RenderedObject[]> {
  const manifest = await tool.template(RELEASE, NS, values);
  // Every namespaced object names its namespace (the release one, or the watched one for Roles).
  await tool.kubectl(['apply', '--dry-run=server', '-f', '-'], manifest);
  return parseManifest(manifest);
}

const kinds = (objects: RenderedObject[]) => objects.map((o) => `${o.kind}/${o.metadata.name}`).sort();
const allRules = (objects: RenderedObject[]): PolicyRule[] =>
  objects.flatMap((o) => (o['rules'] as PolicyRule[] | undefined) ?? []);

it('passes helm lint --strict', async () => {
  const result = await tool.helm(['lint', '--strict', CHART_DIR]);
  expect(result.stderr + result.stdout).toContain('0 chart(s) failed');
  expect(result.code).toBe(0);
});

it.each([
  [{ replicaCont: 2 }, "additional properties 'replicaCont' not allowed"],
  [{ replicaCount: 'two' }, 'replicaCount'],
  [{ 'serviceMonitor.intervall': '1m' }, "additional properties 'intervall' not allowed"],
  [{ events: 'some' }, 'events'],
  [{ startupTimeout: 'soon' }, 'startupTimeout'],
  [{ 'dashboards.enabld': true }, "additional properties 'enabld' not allowed"],
])('the schema refuses %j naming it', async (values, message) => {
  const result = await tool.helm(['template', RELEASE, CHART_DIR, ...setArgs(values)]);
  expect(result.code).not.toBe(0);
  expect(result.stderr).toContain("values don't meet the specifications of the schema");
  expect(result.stderr).toContain(message);
});

it('defaults: a ClusterRole with what a tick uses (no delete, no wildcard), the Lease only in the release namespace', async () => {
  const objects = await render({});
  expect(kinds(objects)).toEqual([
    'ClusterRole/fl-fledge',
    'ClusterRoleBinding/fl-fledge',
    'Deployment/fl-fledge',
    'Role/fl-fledge-leader-election',
    'RoleBinding/fl-fledge-leader-election',
    'Service/fl-fledge',
    'ServiceAccount/fl-fledge',
  ]);
  const rules = rulesFor(objects, ACCOUNT);
  const missing = controllerRequirements({ meshProvider: 'istio', leaseNamespace: NS }).filter(
    (r) => !allows(rules, r),
  );
  expect(missing).toEqual([]);
  const verbs = allRules(objects).flatMap((r) => r.verbs);
  expect(verbs).not.toContain('delete');
  expect(verbs).not.toContain('*');
  expect(allRules(objects).flatMap((r) => [...(r.resources ?? []), ...(r.apiGroups ?? [])])).not.toContain(
    '*',
  );
  // Leases: the release namespace only, never cluster-wide or in another namespace.
  const lease = { group: 'coordination.k8s.io', resource: 'leases', verb: 'create', why: '' };
  expect(allows(rules, { ...lease, namespace: NS })).toBe(true);
  expect(allows(rules, { ...lease, namespace: 'kube-system' })).toBe(false);
  const groups = allRules(objects).flatMap((r) => r.apiGroups ?? []);
  expect(groups).toEqual(expect.arrayContaining(['networking.istio.io', 'autoscaling', 'keda.sh']));
});

it.each([
  [{ meshProvider: 'linkerd' }, 'linkerd'],
  [{ 'providers[0]': 'smi:v1alpha2' }, 'smi:v1alpha2'],
])('%j grants the TrafficSplits the %s router writes; the default does not', async (values, provider) => {
  const rules = rulesFor(await render(values), ACCOUNT);
  const needed = controllerRequirements({ meshProvider: provider, leaseNamespace: NS });
  expect(needed.filter((r) => !allows(rules, r))).toEqual([]);
  const defaults = rulesFor(await render({}), ACCOUNT);
  expect(needed.filter((r) => r.group === 'split.smi-spec.io').some((r) => allows(defaults, r))).toBe(false);
});

it('rbac.autoscaling=false and rbac.keda=false drop those rules; rbac.create=false renders no RBAC', async () => {
  const without = await render({ 'rbac.autoscaling': false, 'rbac.keda': false });
  const groups = allRules(without).flatMap((r) => r.apiGroups ?? []);
  expect(groups).not.toContain('autoscaling');
  expect(groups).not.toContain('keda.sh');
  const none = await render({ 'rbac.create': false });
  expect(kinds(none).filter((k) => k.includes('Role'))).toEqual([]);
});

it('namespaced mode: Roles in the watched namespace, no cluster-wide grant', async () => {
  const objects = await render({ namespace: TEAM });
  expect(kinds(objects).filter((k) => k.startsWith('Cluster'))).toEqual([]);
  const role = objects.find((o) => o.kind === 'Role' && o.metadata.name === 'fl-fledge');
  expect(role?.metadata.namespace).toBe(TEAM);
  const rules = rulesFor(objects, ACCOUNT);
  const needed = controllerRequirements({ namespace: TEAM, meshProvider: 'istio', leaseNamespace: NS });
  expect(needed.filter((r) => !allows(rules, r))).toEqual([]);
  // Nothing in other namespaces: the same requests elsewhere are refused.
  const elsewhere = needed
    .filter((r) => r.namespace === TEAM)
    .filter((r) => allows(rules, { ...r, namespace: 'default' }));
  expect(elsewhere).toEqual([]);
  const deployment = objects.find((o) => o.kind === 'Deployment') as unknown as {
    spec: { template: { spec: { containers: { args: string[] }[] } } };
  };
  expect(deployment.spec.template.spec.containers[0]?.args).toContain(`--namespace=${TEAM}`);
});

it('serviceAccount.create=false binds the named account of the release namespace', async () => {
  const objects = await render({ 'serviceAccount.create': false, 'serviceAccount.name': 'deployer' });
  expect(kinds(objects).filter((k) => k.startsWith('ServiceAccount/'))).toEqual([]);
  const subjects = objects
    .filter((o) => o.kind.endsWith('RoleBinding'))
    .flatMap((o) => o['subjects'] as { kind: string; name: string; namespace: string }[]);
  expect(subjects.length).toBeGreaterThan(0);
  for (const s of subjects) expect(s).toEqual({ kind: 'ServiceAccount', name: 'deployer', namespace: NS });
});

it('monitors on: a ServiceMonitor and a PodMonitor on the http port, accepted by the Prometheus Operator CRDs', async () => {
  const objects = await render({
    'serviceMonitor.enabled': true,
    'serviceMonitor.labels.release': 'prom',
    'podMonitor.enabled': true,
    'podMonitor.interval': '15s',
  });
  expect(kinds(objects)).toEqual(
    expect.arrayContaining(['ServiceMonitor/fl-fledge', 'PodMonitor/fl-fledge']),
  );
  const sm = objects.find((o) => o.kind === 'ServiceMonitor') as RenderedObject & {
    spec: { endpoints: { port: string; path: string }[] };
  };
  expect(sm.spec.endpoints).toEqual([{ port: 'http', path: '/metrics', interval: '30s' }]);
  const pm = objects.find((o) => o.kind === 'PodMonitor') as RenderedObject & {
    spec: { podMetricsEndpoints: unknown[] };
  };
  expect(pm.spec.podMetricsEndpoints).toEqual([{ port: 'http', path: '/metrics', interval: '15s' }]);
});

it('dashboards on: a ConfigMap labelled grafana_dashboard "1" carrying the dashboard file, where asked', async () => {
  const objects = await render({
    'dashboards.enabled': true,
    'dashboards.namespace': TEAM,
    'dashboards.annotations.grafana_folder': 'Fledge',
  });
  const configMap = objects.find((o) => o.kind === 'ConfigMap') as
    (RenderedObject & { data: Record<string, string> }) | undefined;
  expect(configMap?.metadata).toMatchObject({
    name: 'fl-fledge-dashboards',
    namespace: TEAM,
    labels: { grafana_dashboard: '1' },
    annotations: { grafana_folder: 'Fledge' },
  });
  const file = readFileSync(join(CHART_DIR, 'dashboards', 'fledge.json'), 'utf8');
  expect(JSON.parse(configMap?.data['fledge.json'] ?? '')).toEqual(JSON.parse(file));
});

it('pdb on with Redis: a PodDisruptionBudget, every flag as set, and no Lease Role (BullMQ schedules)', async () => {
  const objects = await render({
    'podDisruptionBudget.enabled': true,
    replicaCount: 2,
    'redis.url': 'redis://redis:6379',
    noCrossNamespaceRefs: true,
    minInterval: '30s',
    'extraArgs[0]': '--log-level=debug',
    priorityClassName: 'system-cluster-critical',
  });
  const pdb = objects.find((o) => o.kind === 'PodDisruptionBudget') as RenderedObject & {
    spec: { minAvailable?: number; maxUnavailable?: number };
  };
  expect(pdb.spec).toMatchObject({ minAvailable: 1 });
  expect(kinds(objects)).not.toContain('Role/fl-fledge-leader-election');
  const pod = (
    objects.find((o) => o.kind === 'Deployment') as unknown as {
      spec: { template: { spec: { priorityClassName: string; containers: { args: string[] }[] } } };
    }
  ).spec.template.spec;
  expect(pod.priorityClassName).toBe('system-cluster-critical');
  expect(pod.containers[0]?.args).toEqual(
    expect.arrayContaining(['--no-cross-namespace-refs', '--min-interval=30s', '--log-level=debug']),
  );
});

/** The values of the controller container's variable `name` as the chart renders it with `values`. */
async function renderedEnv(name: string, values: Record<string, string | number | boolean>) {
  const objects = parseManifest(await tool.template(RELEASE, NS, values));
  const deployment = objects.find((o) => o.kind === 'Deployment') as unknown as {
    spec: { template: { spec: { containers: { env?: { name: string; value?: string }[] }[] } } };
  };
  const env = deployment.spec.template.spec.containers[0]?.env ?? [];
  // String(): `--set env[0].value=1` renders a number, which the API server would refuse; a user writes a string.
  return env.filter((e) => e.name === name).map((e) => String(e.value));
}

/** The controller container's `command` as the chart renders it with `values` (undefined: the image's entrypoint). */
async function renderedCommand(values: Record<string, string | number | boolean>) {
  const objects = parseManifest(await tool.template(RELEASE, NS, values));
  const deployment = objects.find((o) => o.kind === 'Deployment') as unknown as {
    spec: { template: { spec: { containers: { command?: string[] }[] } } };
  };
  return deployment.spec.template.spec.containers[0]?.command;
}

/** The image's ENTRYPOINT (Dockerfile), which the chart's `command` repeats with node's flags. */
function imageEntrypoint(): string[] {
  const line = /^ENTRYPOINT (.+)$/m.exec(readFileSync(join(CHART_DIR, '../../Dockerfile'), 'utf8'));
  if (!line?.[1]) throw new Error('Dockerfile: no ENTRYPOINT');
  return JSON.parse(line[1]) as string[];
}

it('gives node the heap cap (heapLimitPercent of the memory limit) and v8Flags on its command line, none when env sets NODE_OPTIONS', async () => {
  const [node, script] = imageEntrypoint();
  expect(node).toBe('node');
  const command = (flags: string[]) => [node, ...flags, script];
  // The benchmark runs its controllers with what it reads from values.yaml: the chart must render the same.
  const chart = readChartNodeFlags(CHART_DIR);
  expect(await renderedCommand({})).toEqual(command(nodeFlagsOf(chart)));
  expect(await renderedEnv('NODE_OPTIONS', {})).toEqual([]);
  const withV8 = (heap: string) => command([heap, ...chart.v8Flags]);
  expect(await renderedCommand({ 'resources.limits.memory': '1Gi' })).toEqual(
    withV8('--max-old-space-size=768'),
  );
  expect(await renderedCommand({ 'resources.limits.memory': '1G', heapLimitPercent: 50 })).toEqual(
    withV8('--max-old-space-size=476'),
  );
  expect(await renderedCommand({ v8Flags: 'null' })).toEqual(command(['--max-old-space-size=384']));
  // Flags node refuses in NODE_OPTIONS are fine on its command line.
  expect(
    await renderedCommand({ v8Flags: '{--max-semi-space-size=2,--lite-mode}', heapLimitPercent: 0 }),
  ).toEqual(command(['--max-semi-space-size=2', '--lite-mode']));
  // No flags: the image's own entrypoint.
  expect(await renderedCommand({ heapLimitPercent: 0, v8Flags: 'null' })).toBeUndefined();
  expect(await renderedCommand({ 'resources.limits': 'null', v8Flags: 'null' })).toBeUndefined();
  const userOptions = { 'env[0].name': 'NODE_OPTIONS', 'env[0].value': '--max-old-space-size=300' };
  expect(await renderedCommand(userOptions)).toBeUndefined();
  expect(await renderedEnv('NODE_OPTIONS', userOptions)).toEqual(['--max-old-space-size=300']);
  // The command reaches the API server as rendered: the default set through a server-side dry run.
  await render({});
  const bad = await tool.helm([
    'template',
    RELEASE,
    CHART_DIR,
    ...setArgs({ 'resources.limits.memory': 'lots' }),
  ]);
  expect(bad.code).not.toBe(0);
  expect(bad.stderr).toContain('resources.limits.memory: "lots" is not a memory quantity');
  const schema = await tool.helm(['template', RELEASE, CHART_DIR, ...setArgs({ heapLimitPercent: 120 })]);
  expect(schema.stderr).toContain('heapLimitPercent');
  // The heap cap is heapLimitPercent's; a flag is one item, --name or --name=value.
  for (const refused of ['--max-old-space-size=100', 'max-semi-space-size=1', '--max-opt=2 --jitless']) {
    const flag = await tool.helm(['template', RELEASE, CHART_DIR, ...setArgs({ v8Flags: `{${refused}}` })]);
    expect(flag.code).not.toBe(0);
    expect(flag.stderr).toContain('/v8Flags/0');
  }
});

it('sets MALLOC_ARENA_MAX from mallocArenaMax, none at 0, and leaves it to env when set there', async () => {
  const arenas = (values: Record<string, string | number | boolean>) =>
    renderedEnv('MALLOC_ARENA_MAX', values);
  // The benchmark runs its controllers with what it reads from values.yaml: the chart must render the same.
  expect(await arenas({})).toEqual(Object.values(allocatorEnvOf(readChartNodeFlags(CHART_DIR))));
  expect(await arenas({ mallocArenaMax: 4 })).toEqual(['4']);
  expect(await arenas({ mallocArenaMax: 0 })).toEqual([]);
  expect(await arenas({ 'env[0].name': 'MALLOC_ARENA_MAX', 'env[0].value': '1' })).toEqual(['1']);
  const schema = await tool.helm(['template', RELEASE, CHART_DIR, ...setArgs({ mallocArenaMax: -1 })]);
  expect(schema.code).not.toBe(0);
  expect(schema.stderr).toContain('/mallocArenaMax');
});
