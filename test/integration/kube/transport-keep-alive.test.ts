/**
 * The transport reuses its TLS connections to the API server: client-node alone would open a new
 * connection (handshake, SecureContext) for every request, most of a write's CPU at scale.
 * Connections are counted by a TCP relay in front of the real kube-apiserver.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadKubeConfig } from '../../../src/kube/client/config.js';
import { KubeTransport } from '../../../src/kube/client/transport.js';
import { TokenBucket } from '../../../src/kube/client/rate-limiter.js';
import { CLUSTER_SETUP_TIMEOUT_MS, ensureCluster, type LocalCluster } from '../../support/cluster.js';

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

/** The relay's kubeconfig (the admin's credentials): removed after the test. */
let kubeconfigDir: string | undefined;

afterAll(async () => {
  if (kubeconfigDir) rmSync(kubeconfigDir, { recursive: true, force: true });
  // The transport keeps its connection open for reuse: end it here rather than wait for it to idle out.
  for (const socket of sockets) socket.destroy();
  await new Promise((resolve) => relay?.close(resolve));
  await local?.stop();
});

it('sends sequential requests over one TLS connection', async () => {
  // The cluster's admin kubeconfig, pointed at the relay (the server certificate names 127.0.0.1).
  kubeconfigDir = mkdtempSync(join(tmpdir(), 'fledge-keep-alive-'));
  const path = join(kubeconfigDir, 'kubeconfig');
  const relayUrl = `https://127.0.0.1:${(relay.address() as AddressInfo).port}`;
  writeFileSync(path, readFileSync(local.kubeconfigPath, 'utf8').split(local.server).join(relayUrl));
  const kubeConfig = loadKubeConfig({ kubeconfigPath: path });
  const transport = new KubeTransport({
    kubeConfig,
    limiter: new TokenBucket({ qps: 100, burst: 100 }),
    requests: {},
  });
  for (let i = 0; i < 5; i++) {
    const response = await transport.send({
      method: 'GET',
      path: '/api/v1/namespaces/default',
      count: 'get',
    });
    expect(response.status).toBe(200);
  }
  expect(connections).toBe(1);
});
