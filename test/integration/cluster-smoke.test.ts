/**
 * The local control plane behaves like a real cluster: CRDs are Established, a Deployment becomes
 * available (controller-manager, scheduler and kwok at work), and the garbage collector removes
 * dependents of a deleted owner; there is room for a few hundred canaries' Services. Talks to the API server over HTTPS with the admin client cert.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { CLUSTER_SETUP_TIMEOUT_MS, ensureCluster, type LocalCluster } from '../support/cluster.js';
import { setTimeout as sleep } from 'node:timers/promises';

interface KubeResponse {
  status: number;
  body: Record<string, unknown>;
}

interface Condition {
  type: string;
  status: string;
}

let cluster: LocalCluster | undefined;
let tls: { ca: Buffer; cert: Buffer; key: Buffer };
const namespace = `fledge-smoke-${randomBytes(3).toString('hex')}`;

function connected(): LocalCluster {
  if (!cluster) throw new Error('the control plane did not start (see beforeAll)');
  return cluster;
}

async function kube(method: string, path: string, body?: unknown): Promise<KubeResponse> {
  const url = new URL(path, connected().server);
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      url,
      {
        method,
        ...tls,
        headers: {
          accept: 'application/json',
          ...(payload
            ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }
            : {}),
        },
        timeout: 15_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: Record<string, unknown> = {};
          try {
            parsed = text ? (JSON.parse(text) as Record<string, unknown>) : {};
          } catch {
            parsed = { text };
          }
          resolve({ status: res.statusCode ?? 0, body: parsed });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${path} timed out`)));
    req.on('error', reject);
    req.end(payload);
  });
}

async function expectStatus(response: Promise<KubeResponse>, expected: number[]): Promise<KubeResponse> {
  const result = await response;
  if (!expected.includes(result.status)) {
    throw new Error(
      `expected HTTP ${expected.join(' or ')}, got ${result.status}: ${JSON.stringify(result.body)}`,
    );
  }
  return result;
}

/** Polls `probe` until it returns a value, failing with the last observation after `timeoutMs`. */
async function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs}ms waiting for ${what}`, { cause: last });
    await sleep(250);
  }
}

function conditions(object: Record<string, unknown>): Condition[] {
  const status = (object['status'] ?? {}) as { conditions?: Condition[] };
  return status.conditions ?? [];
}

function isTrue(object: Record<string, unknown>, type: string): boolean {
  return conditions(object).some((c) => c.type === type && c.status === 'True');
}

beforeAll(async () => {
  cluster = await ensureCluster();
  tls = {
    ca: readFileSync(cluster.caFile),
    cert: readFileSync(cluster.certFile),
    key: readFileSync(cluster.keyFile),
  };
  await expectStatus(
    kube('POST', '/api/v1/namespaces', {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: namespace },
    }),
    [201],
  );
}, CLUSTER_SETUP_TIMEOUT_MS);

afterAll(async () => {
  if (cluster) {
    await kube('DELETE', `/api/v1/namespaces/${namespace}`);
    // The namespace controller must empty and remove it; a namespace stuck Terminating fails here.
    await eventually(
      `namespace ${namespace} to be deleted`,
      async () => ((await kube('GET', `/api/v1/namespaces/${namespace}`)).status === 404 ? true : undefined),
      90_000,
    );
  }
  await cluster?.stop();
}, 180_000);

describe('local control plane', () => {
  it('serves the Fledge and third-party CRDs as Established', async () => {
    const names = [
      'canaries.fledge.dev',
      'metrictemplates.fledge.dev',
      'alertproviders.fledge.dev',
      'virtualservices.networking.istio.io',
      'destinationrules.networking.istio.io',
      'httproutes.gateway.networking.k8s.io',
      'trafficsplits.split.smi-spec.io',
    ];
    for (const name of names) {
      const crd = await expectStatus(
        kube('GET', `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${name}`),
        [200],
      );
      expect({ name, established: isTrue(crd.body, 'Established') }).toEqual({ name, established: true });
    }
    // Served means usable: an empty list comes back from the new endpoints.
    const list = await expectStatus(
      kube('GET', `/apis/networking.istio.io/v1/namespaces/${namespace}/virtualservices`),
      [200],
    );
    expect(list.body['kind']).toBe('VirtualServiceList');
  });

  it('makes a Deployment available with Ready pods on kwok nodes', async () => {
    const labels = { app: 'smoke' };
    await expectStatus(
      kube('POST', `/apis/apps/v1/namespaces/${namespace}/deployments`, {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'smoke' },
        spec: {
          replicas: 2,
          selector: { matchLabels: labels },
          template: {
            metadata: { labels },
            spec: { containers: [{ name: 'app', image: 'example.com/podinfo:6.0.0' }] },
          },
        },
      }),
      [201],
    );
    const deployment = await eventually('deployment smoke to be available', async () => {
      const got = await kube('GET', `/apis/apps/v1/namespaces/${namespace}/deployments/smoke`);
      const status = (got.body['status'] ?? {}) as { availableReplicas?: number; updatedReplicas?: number };
      return isTrue(got.body, 'Available') && status.availableReplicas === 2 && status.updatedReplicas === 2
        ? got.body
        : undefined;
    });
    expect((deployment['status'] as { readyReplicas?: number }).readyReplicas).toBe(2);

    const pods = await expectStatus(
      kube('GET', `/api/v1/namespaces/${namespace}/pods?labelSelector=app%3Dsmoke`),
      [200],
    );
    const items = pods.body['items'] as { spec: { nodeName?: string }; status: { phase?: string } }[];
    expect(items).toHaveLength(2);
    for (const pod of items) {
      expect(pod.status.phase).toBe('Running');
      expect(pod.spec.nodeName).toMatch(/^kwok-node-/);
      expect(isTrue(pod as unknown as Record<string, unknown>, 'Ready')).toBe(true);
    }
  });

  it('garbage-collects a dependent when its owner is deleted', async () => {
    const owner = await expectStatus(
      kube('POST', `/api/v1/namespaces/${namespace}/configmaps`, {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'owner' },
        data: { role: 'owner' },
      }),
      [201],
    );
    const uid = (owner.body['metadata'] as { uid: string }).uid;
    await expectStatus(
      kube('POST', `/api/v1/namespaces/${namespace}/configmaps`, {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: {
          name: 'dependent',
          ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid }],
        },
        data: { role: 'dependent' },
      }),
      [201],
    );
    await expectStatus(kube('DELETE', `/api/v1/namespaces/${namespace}/configmaps/owner`), [200]);
    const gone = await eventually('the dependent ConfigMap to be garbage-collected', async () =>
      (await kube('GET', `/api/v1/namespaces/${namespace}/configmaps/dependent`)).status === 404
        ? true
        : undefined,
    );
    expect(gone).toBe(true);
  });

  it("has room for 300 Services, more than the apiserver's own /24 holds", async () => {
    const cidr = await expectStatus(
      kube('GET', '/apis/networking.k8s.io/v1/servicecidrs/fledge-services'),
      [200],
    );
    expect(isTrue(cidr.body, 'Ready')).toBe(true);
    // 100 canaries need 300 Services (apex, -primary, -canary); the /24 has 254 addresses.
    const ips: string[] = [];
    const create = async (i: number): Promise<void> => {
      const created = await expectStatus(
        kube('POST', `/api/v1/namespaces/${namespace}/services`, {
          apiVersion: 'v1',
          kind: 'Service',
          metadata: { name: `room-${i}` },
          spec: { ports: [{ port: 80 }] },
        }),
        [201],
      );
      ips.push((created.body['spec'] as { clusterIP: string }).clusterIP);
    };
    for (let i = 0; i < 300; i += 10) {
      await Promise.all(Array.from({ length: 10 }, (_, j) => create(i + j)));
    }
    expect(new Set(ips).size).toBe(300);
    expect(ips.some((ip) => ip.startsWith('10.96.'))).toBe(true);
  }, 120_000);
});
