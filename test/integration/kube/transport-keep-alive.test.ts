/**
 * The transport reuses its TLS connections to the API server: client-node alone would open a new
 * connection (handshake, SecureContext) for every request, most of a write's CPU at scale. It opens
 * at most `maxConnections` for requests, so that a burst does not leave a connection's memory per
 * request in flight, and its watches do not count against them. Connections are counted by a TCP
 * relay in front of the real kube-apiserver.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadKubeConfig } from '../../../src/kube/client/config.js';
import { KubeTransport } from '../../../src/kube/client/transport.js';
import { TokenBucket } from '../../../src/kube/client/rate-limiter.js';
import { CLUSTER_SETUP_TIMEOUT_MS, ensureCluster, type LocalCluster } from '../../support/cluster.js';
import { eventually } from '../../support/eventually.js';

let local: LocalCluster;
let relay: Server;
let connections = 0;
const sockets = new Set<Socket>();

beforeAll(async () => {
  local = await ensureCluster({ output: (t) => process.stdout.write(t) });
  const upstream = new URL(local.server);
  relay = createServer((client) => {
    connections += 1;
    const server = createConnection({ host: upstream.hostname, port: Number(upstream.port) });
    sockets.add(client).add(server);
    client.pipe(server).pipe(client);
    client.on('error', () => server.destroy());
    server.on('error', () => client.destroy());
  });
  await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
}, CLUSTER_SETUP_TIMEOUT_MS);

/** The directory of the relay's kubeconfig (the admin's credentials): removed after the tests. */
let kubeconfigDir: string | undefined;

afterAll(async () => {
  if (kubeconfigDir) rmSync(kubeconfigDir, { recursive: true, force: true });
  // The transport keeps its connection open for reuse: end it here rather than wait for it to idle out.
  for (const socket of sockets) socket.destroy();
  await new Promise((resolve) => relay?.close(resolve));
  await local?.stop();
});

/** A transport to the relay with the cluster's admin credentials (the server certificate names 127.0.0.1). */
function relayTransport(maxConnections?: number): KubeTransport {
  kubeconfigDir ??= mkdtempSync(join(tmpdir(), 'fledge-keep-alive-'));
  const path = join(kubeconfigDir, 'kubeconfig');
  const relayUrl = `https://127.0.0.1:${(relay.address() as AddressInfo).port}`;
  writeFileSync(path, readFileSync(local.kubeconfigPath, 'utf8').split(local.server).join(relayUrl));
  return new KubeTransport({
    kubeConfig: loadKubeConfig({ kubeconfigPath: path }),
    limiter: new TokenBucket({ qps: 1000, burst: 1000 }),
    requests: {},
    ...(maxConnections !== undefined ? { maxConnections } : {}),
  });
}

const getNamespace = (transport: KubeTransport) =>
  transport.send({ method: 'GET', path: '/api/v1/namespaces/default', count: 'get' });

it('sends sequential requests over one TLS connection', async () => {
  const transport = relayTransport();
  const before = connections;
  for (let i = 0; i < 5; i++) expect((await getNamespace(transport)).status).toBe(200);
  expect(connections - before).toBe(1);
});

it('opens at most maxConnections for requests at once, and watches do not take them', async () => {
  const transport = relayTransport(2);
  const before = connections;
  const stop = new AbortController();
  // Three watches: on an agent shared with requests and capped at 2, they would starve every request.
  const watches = [0, 1, 2].map(() =>
    transport.watch('/api/v1/namespaces/default/configmaps', {}, 'watch configmaps', () => {}, stop.signal),
  );
  try {
    await eventually(() => expect(connections - before).toBe(3));
    const answers = await Promise.all(Array.from({ length: 12 }, () => getNamespace(transport)));
    expect(answers.map((a) => a.status)).toEqual(Array(12).fill(200));
    // The three watches and at most two request connections (twelve without the cap).
    expect(connections - before).toBeLessThanOrEqual(5);
    expect(connections - before).toBeGreaterThan(3);
  } finally {
    stop.abort();
    await Promise.all(watches);
  }
});
