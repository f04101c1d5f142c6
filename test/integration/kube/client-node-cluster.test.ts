/**
 * ClientNodeCluster against a real kube-apiserver (the local control plane, with the Fledge and
 * Istio CRDs installed): the Cluster contract, then what only the real adapter has: cache-served
 * reads, read-your-writes while the watch lags, watch recovery (dropped stream, 410 Gone), error
 * mapping with the server's messages, why only merge patches are sent, status-subresource rules and
 * events.k8s.io Events. The run uses its own random namespace and deletes it afterwards.
 */
import { randomBytes } from 'node:crypto';
import { request as httpsRequest } from 'node:https';
import {
  AlreadyExistsError,
  ConflictError,
  InvalidError,
  NotFoundError,
  type ConfigSummary,
  type KubeObject,
} from '../../../src/kube/cluster.js';
import { ClientNodeCluster } from '../../../src/kube/client/client-node-cluster.js';
import { loadKubeConfig } from '../../../src/kube/client/config.js';
import { contentChecksum } from '../../../src/kube/cache-shape.js';
import { API, objectKey, type ConfigMap, type KubeEvent } from '../../../src/kube/resources.js';
import { describeAutoscalerContract } from '../../contract/autoscaler-contract.js';
import { describeClusterContract } from '../../contract/cluster-contract.js';
import { CLUSTER_SETUP_TIMEOUT_MS, ensureCluster, type LocalCluster } from '../../support/cluster.js';
import { FaultProxy, adminTls } from './fault-proxy.js';
import { eventually } from '../../support/eventually.js';
import { createNamespace, deleteNamespaceBestEffort } from '../../support/namespaces.js';

/** The caches keep a ConfigMap's checksum in place of its data: reads are compared by checksum. */
const checksumOf = (data: Record<string, string>) =>
  contentChecksum({ ...API.configMap, metadata: { name: '' }, data } as ConfigMap);

const namespace = `fledge-kube-${randomBytes(3).toString('hex')}`;
let local: LocalCluster | undefined;
/** Talks to the API server directly: setup, cleanup, and "another writer" in the tests. */
let admin: ClientNodeCluster | undefined;

function connected(): LocalCluster {
  if (!local) throw new Error('the control plane did not start (see beforeAll)');
  return local;
}

function directCluster(): ClientNodeCluster {
  return new ClientNodeCluster({
    kubeConfig: loadKubeConfig({ kubeconfigPath: connected().kubeconfigPath }),
  });
}

function adminCluster(): ClientNodeCluster {
  if (!admin) throw new Error('no admin client (see beforeAll)');
  return admin;
}

/** One raw request as the cluster admin, outside the adapter. */
async function rawRequest(
  method: string,
  path: string,
  body: unknown,
  contentType: string,
): Promise<{ status: number; body: { message?: string; reason?: string } }> {
  const payload = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      new URL(path, connected().server),
      {
        method,
        ...adminTls(connected()),
        headers: {
          accept: 'application/json',
          'content-type': contentType,
          'content-length': Buffer.byteLength(payload),
        },
        timeout: 15_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            body: JSON.parse(Buffer.concat(chunks).toString() || '{}') as { message?: string },
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

beforeAll(async () => {
  local = await ensureCluster();
  admin = directCluster();
  await createNamespace(admin, namespace);
}, CLUSTER_SETUP_TIMEOUT_MS);

afterAll(async () => {
  if (admin) {
    // A test that failed half-way may leave finalizers, which would hold the namespace in Terminating.
    const leftovers = await admin.list({ ...API.canary, namespace }).catch(() => []);
    for (const canary of leftovers.filter((c) => c.metadata.finalizers?.length))
      await admin
        .patch(objectKey(API.canary, namespace, canary.metadata.name), { metadata: { finalizers: null } })
        .catch(() => undefined);
    await deleteNamespaceBestEffort(admin, namespace);
    admin.stop();
  }
  await local?.stop();
}, 120_000);

// The garbage collector learns about newly installed CRDs (the Canary owner in the GC tests) when it
// next refreshes its discovery, every 30 s: on a control plane started moments ago, collecting a
// dependent of a Canary can take that long.
describeClusterContract(
  'client-node',
  async () => {
    const cluster = directCluster();
    return { cluster, namespace, cleanup: async () => cluster.stop() };
  },
  { eventuallyTimeoutMs: 50_000 },
);

describeAutoscalerContract('client-node', async () => {
  const cluster = directCluster();
  return { cluster, namespace, cleanup: async () => cluster.stop() };
});

interface TestCanary extends KubeObject {
  spec: Record<string, unknown> & { analysis: Record<string, unknown> };
  status?: Record<string, unknown>;
}

describe('ClientNodeCluster on a real API server', () => {
  let proxy: FaultProxy;
  let cluster: ClientNodeCluster;
  let run: string;

  const configMap = (suffix: string, data: Record<string, string> = { a: '1' }): ConfigMap => ({
    ...API.configMap,
    metadata: { name: `${run}-${suffix}`, namespace, labels: { run } },
    data,
  });
  const cmKey = (suffix: string) => objectKey(API.configMap, namespace, `${run}-${suffix}`);
  const canary = (suffix: string, analysis: Record<string, unknown> = {}): TestCanary => ({
    ...API.canary,
    metadata: { name: `${run}-${suffix}`, namespace, labels: { run } },
    spec: {
      provider: 'istio',
      targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'podinfo' },
      service: { port: 9898 },
      analysis: { interval: '1m', threshold: 5, maxWeight: 50, stepWeight: 10, ...analysis },
    },
  });
  const canaryKey = (suffix: string) => objectKey(API.canary, namespace, `${run}-${suffix}`);
  const lists = (plural: string) =>
    proxy.count((r) => r.method === 'GET' && r.path.endsWith(`/${plural}`) && r.query['watch'] !== 'true');
  const reads = () => proxy.count((r) => r.method === 'GET' && r.query['watch'] !== 'true');

  beforeEach(async () => {
    run = `k${randomBytes(4).toString('hex')}`;
    proxy = new FaultProxy(connected());
    await proxy.start();
    cluster = new ClientNodeCluster({
      kubeConfig: proxy.kubeConfig(),
      informers: { backoff: { initialMs: 50, maxMs: 500 } },
    });
  });
  afterEach(async () => {
    cluster.stop();
    await proxy.stop();
  });

  it('serves reads from its cache once synced: a second get sends no GET', async () => {
    await cluster.create(configMap('cached'));
    expect((await cluster.get<ConfigSummary>(cmKey('cached')))?.contentChecksum).toBe(checksumOf({ a: '1' }));
    const before = reads();
    expect((await cluster.get<ConfigSummary>(cmKey('cached')))?.contentChecksum).toBe(checksumOf({ a: '1' }));
    expect(await cluster.get(cmKey('missing'))).toBeUndefined();
    expect(await cluster.list({ ...API.configMap, namespace }, { run })).toHaveLength(1);
    expect(reads()).toBe(before);
    expect(cluster.requests).toMatchObject({
      'discovery v1': 1,
      'create configmaps': 1,
      'list configmaps': 1,
      'watch configmaps': 1,
    });
    expect(cluster.requests['get configmaps']).toBeUndefined();
  });

  it('reads its own writes while the watch stream lags', async () => {
    await cluster.create(canary('ryw'));
    await cluster.get(canaryKey('ryw'));
    await eventually(() => expect(proxy.openWatches()).toBe(1));
    proxy.hold();
    await cluster.patch(canaryKey('ryw'), { spec: { analysis: { stepWeight: 20 } } });
    expect((await cluster.get<TestCanary>(canaryKey('ryw')))?.spec.analysis.stepWeight).toBe(20);
    await cluster.patchStatus(canaryKey('ryw'), { phase: 'Progressing' });
    const read = await cluster.get<TestCanary>(canaryKey('ryw'));
    expect(read?.status?.phase).toBe('Progressing');
    expect(read?.spec.analysis.stepWeight).toBe(20);
    expect(cluster.informerStats()[0]?.pendingWrites).toBe(1);
    proxy.release();
    await eventually(() => expect(cluster.informerStats()[0]?.pendingWrites).toBe(0));
    expect((await cluster.get<TestCanary>(canaryKey('ryw')))?.status?.phase).toBe('Progressing');
    expect(cluster.requests['patch canaries.fledge.dev/status']).toBe(1);
  });

  it('resumes a dropped watch from its resourceVersion, and relists on 410 Gone', async () => {
    await cluster.create(configMap('w'));
    await cluster.get(cmKey('w'));
    await eventually(() => expect(proxy.openWatches()).toBe(1));
    expect(lists('configmaps')).toBe(1);

    proxy.dropWatches();
    await adminCluster().patch(cmKey('w'), { data: { a: 'while-down' } });
    await eventually(async () =>
      expect((await cluster.get<ConfigSummary>(cmKey('w')))?.contentChecksum).toBe(
        checksumOf({ a: 'while-down' }),
      ),
    );
    expect(lists('configmaps')).toBe(1);

    proxy.expireNextWatch();
    proxy.dropWatches();
    await adminCluster().patch(cmKey('w'), { data: { a: 'after-410' } });
    await eventually(() => expect(lists('configmaps')).toBe(2));
    await eventually(async () =>
      expect((await cluster.get<ConfigSummary>(cmKey('w')))?.contentChecksum).toBe(
        checksumOf({ a: 'after-410' }),
      ),
    );
    expect(cluster.informerStats()[0]?.restarts).toBeGreaterThanOrEqual(2);
  });

  it('maps the API server answers to the port errors, keeping its messages', async () => {
    const invalid = cluster.create(canary('bad', { threshold: 'abc' }));
    await expect(invalid).rejects.toBeInstanceOf(InvalidError);
    await expect(invalid).rejects.toThrow(`create Canary ${namespace}/${run}-bad:`);
    await expect(invalid).rejects.toThrow(/spec\.analysis\.threshold/);

    const created = await cluster.create(canary('rv'));
    await expect(cluster.create(canary('rv'))).rejects.toBeInstanceOf(AlreadyExistsError);
    await cluster.patch(canaryKey('rv'), { metadata: { labels: { moved: 'yes' } } });
    const stale = cluster.patch(
      canaryKey('rv'),
      { spec: { suspend: true } },
      { resourceVersion: created.metadata.resourceVersion },
    );
    await expect(stale).rejects.toBeInstanceOf(ConflictError);
    await expect(stale).rejects.toThrow(/the object has been modified/);

    await expect(cluster.patch(canaryKey('gone'), { spec: { suspend: true } })).rejects.toBeInstanceOf(
      NotFoundError,
    );
    await expect(cluster.patch(canaryKey('gone'), { spec: { suspend: true } })).rejects.toThrow(
      `patch Canary ${namespace}/${run}-gone:`,
    );
    expect(await cluster.get(canaryKey('gone'))).toBeUndefined();
  });

  it('merge patches custom resources, which refuse a strategic merge patch (415)', async () => {
    const vsKey = objectKey(API.virtualService, namespace, `${run}-vs`);
    await cluster.create({
      ...API.virtualService,
      metadata: { name: vsKey.name, namespace },
      spec: {
        hosts: ['podinfo'],
        http: [{ route: [{ destination: { host: 'podinfo-primary' }, weight: 100 }] }],
      },
    });
    const path = `/apis/networking.istio.io/v1/namespaces/${namespace}/virtualservices/${vsKey.name}`;
    const strategic = await rawRequest(
      'PATCH',
      path,
      { spec: { hosts: ['other'] } },
      'application/strategic-merge-patch+json',
    );
    expect(strategic.status).toBe(415);
    expect(strategic.body.message).toContain('application/merge-patch+json');
    const patched = await cluster.patch<KubeObject & { spec: { hosts: string[] } }>(vsKey, {
      spec: { hosts: ['other'] },
    });
    expect(patched.spec.hosts).toEqual(['other']);
    expect(proxy.requests.filter((r) => r.method === 'PATCH')).toHaveLength(1);
  });

  it('writes status only through the status subresource', async () => {
    await cluster.create(configMap('nostatus'));
    const patchesBefore = proxy.count((r) => r.method === 'PATCH');
    await expect(cluster.patchStatus(cmKey('nostatus'), { phase: 'x' })).rejects.toThrow(
      /ConfigMap has no status subresource/,
    );
    expect(proxy.count((r) => r.method === 'PATCH')).toBe(patchesBefore);

    await cluster.create(canary('st'));
    const withStatus = await cluster.patchStatus<TestCanary>(canaryKey('st'), { phase: 'Initialized' });
    expect(withStatus.status).toMatchObject({ phase: 'Initialized' });
    const viaMain = await cluster.patch<TestCanary>(canaryKey('st'), { status: { phase: 'Failed' } });
    expect(viaMain.status?.phase).toBe('Initialized');
    const statusPatch = proxy.requests.filter((r) => r.method === 'PATCH' && r.path.endsWith('/status'));
    expect(statusPatch).toHaveLength(1);
  });

  it('creates events.k8s.io/v1 Events with every field kept', async () => {
    const owner = await cluster.create(canary('evt'));
    const event: KubeEvent = {
      ...API.event,
      metadata: { name: `${run}-evt.1`, namespace },
      eventTime: '2024-05-01T10:00:00.000000Z',
      reportingController: 'fledge.dev/controller',
      reportingInstance: 'fledge-0',
      action: 'Progressing',
      reason: 'Synced',
      note: 'Advance podinfo canary weight 10',
      type: 'Normal',
      regarding: {
        apiVersion: owner.apiVersion,
        kind: owner.kind,
        namespace,
        name: owner.metadata.name,
        uid: owner.metadata.uid ?? '',
      },
    };
    const created = await cluster.create(event);
    expect(created).toMatchObject({
      note: event.note,
      reason: 'Synced',
      action: 'Progressing',
      reportingController: 'fledge.dev/controller',
      regarding: { kind: 'Canary', name: owner.metadata.name, uid: owner.metadata.uid },
    });
    const listed = await cluster.list<KubeEvent>({ ...API.event, namespace });
    expect(listed.find((e) => e.metadata.name === event.metadata.name)?.note).toBe(event.note);
    expect(cluster.requests['create events.events.k8s.io']).toBe(1);
  });
});
