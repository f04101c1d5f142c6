/**
 * The in-cluster service account without client-node: the server from the environment, the token
 * and CA from the mounted files, a rotated token picked up on client-go's period and after a 401,
 * requests and watches over TLS checked against the mounted CA.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfigError } from '../../../src/kube/client/config-source.js';
import {
  InClusterCredentials,
  SERVICE_ACCOUNT_DIR,
  TOKEN_RELOAD_MS,
} from '../../../src/kube/client/in-cluster-credentials.js';
import { loadCredentials } from '../../../src/kube/client/load-credentials.js';
import { TokenBucket } from '../../../src/kube/client/rate-limiter.js';
import { KubeTransport } from '../../../src/kube/client/transport.js';

let dir: string;
let root: string;
let cert: Buffer;
let key: Buffer;
let server: Server;
let port: number;
/** Tokens the server accepts; the rest get 401. */
let valid = new Set<string>();
const seen: string[] = [];

const writeToken = (token: string) => writeFileSync(join(root, SERVICE_ACCOUNT_DIR, 'token'), token);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'fledge-in-cluster-'));
  root = join(dir, 'root');
  mkdirSync(join(root, SERVICE_ACCOUNT_DIR), { recursive: true });
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '1',
    ].concat(
      ['-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'],
      ['-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')],
    ),
    { stdio: 'ignore' },
  );
  cert = readFileSync(join(dir, 'cert.pem'));
  key = readFileSync(join(dir, 'key.pem'));
  writeFileSync(join(root, SERVICE_ACCOUNT_DIR, 'ca.crt'), cert);
  writeFileSync(join(root, SERVICE_ACCOUNT_DIR, 'namespace'), 'fledge-system\n');
  server = createServer({ cert, key }, (req, res) => {
    const token = (req.headers.authorization ?? '').replace(/^Bearer /, '');
    seen.push(token);
    if (!valid.has(token)) {
      res.writeHead(401, { 'Content-Type': 'application/json' });
      return res.end(JSON.stringify({ kind: 'Status', code: 401, message: 'Unauthorized' }));
    }
    res.writeHead(200, { 'Content-Type': 'application/json' });
    if (req.url?.includes('watch=true'))
      return res.end(`${JSON.stringify({ type: 'ADDED', object: { metadata: { name: 'a' } } })}\n`);
    res.end(JSON.stringify({ kind: 'Namespace' }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => {
  seen.length = 0;
});

const env = () => ({ KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: String(port) });
const get = { method: 'GET' as const, path: '/api/v1/namespaces/default', count: 'get namespaces' };

function transportWith(credentials: InClusterCredentials): KubeTransport {
  return new KubeTransport({
    credentials,
    limiter: new TokenBucket({ qps: 1_000, burst: 1_000 }),
    requests: {},
  });
}

describe('InClusterCredentials', () => {
  it('reads the server from the environment, as client-go does', () => {
    writeToken('t');
    const of = (host: string) =>
      new InClusterCredentials({
        env: { KUBERNETES_SERVICE_HOST: host, KUBERNETES_SERVICE_PORT: '443' },
        pathPrefix: root,
      });
    expect(of('10.96.0.1').server).toBe('https://10.96.0.1:443');
    expect(of('fd00::1').server).toBe('https://[fd00::1]:443');
    expect(of('10.96.0.1').namespace).toBe('fledge-system');
  });

  it('names what is missing', () => {
    writeToken('t');
    expect(() => new InClusterCredentials({ env: {}, pathPrefix: root })).toThrow(
      /KUBERNETES_SERVICE_HOST is not set/,
    );
    expect(
      () => new InClusterCredentials({ env: { KUBERNETES_SERVICE_HOST: 'h' }, pathPrefix: root }),
    ).toThrow(/KUBERNETES_SERVICE_PORT must be a port number, got ""/);
    expect(() => new InClusterCredentials({ env: env(), pathPrefix: join(dir, 'nowhere') })).toThrow(
      new RegExp(`cannot read its token ${join(dir, 'nowhere')}`),
    );
    writeToken('  \n');
    expect(() => new InClusterCredentials({ env: env(), pathPrefix: root })).toThrow(KubeConfigError);
    expect(() => new InClusterCredentials({ env: env(), pathPrefix: root })).toThrow(
      /token file .* is empty/,
    );
  });

  it('sends the token over TLS checked against the mounted CA', async () => {
    writeToken('first\n');
    valid = new Set(['first']);
    const transport = transportWith(new InClusterCredentials({ env: env(), pathPrefix: root }));
    expect(await transport.send(get)).toEqual({ status: 200, body: { kind: 'Namespace' } });
    expect(seen).toEqual(['first']);
  });

  it('reads a rotated token again after the reload period', async () => {
    let nowMs = 0;
    writeToken('old');
    valid = new Set(['old', 'new']);
    const transport = transportWith(
      new InClusterCredentials({ env: env(), pathPrefix: root, now: () => nowMs }),
    );
    await transport.send(get);
    writeToken('new');
    nowMs = TOKEN_RELOAD_MS - 1;
    await transport.send(get);
    nowMs = TOKEN_RELOAD_MS;
    await transport.send(get);
    expect(seen).toEqual(['old', 'old', 'new']);
  });

  it('keeps the token in hand when the file cannot be read for a moment', async () => {
    let nowMs = 0;
    writeToken('kept');
    valid = new Set(['kept']);
    const credentials = new InClusterCredentials({ env: env(), pathPrefix: root, now: () => nowMs });
    rmSync(join(root, SERVICE_ACCOUNT_DIR, 'token'));
    nowMs = TOKEN_RELOAD_MS;
    expect((await credentials.authorize()).headers).toEqual({ Authorization: 'Bearer kept' });
    writeToken('kept');
  });

  it('reads the token again and retries once when the server answers 401', async () => {
    writeToken('expired');
    valid = new Set(['expired']);
    const transport = transportWith(new InClusterCredentials({ env: env(), pathPrefix: root, now: () => 0 }));
    await transport.send(get);
    writeToken('renewed');
    valid = new Set(['renewed']);
    expect((await transport.send(get)).status).toBe(200);
    expect(seen).toEqual(['expired', 'expired', 'renewed']);
    // A token the server refuses whatever is read: one retry, then the 401 is the answer.
    valid = new Set();
    expect((await transport.send(get)).status).toBe(401);
    expect(seen).toHaveLength(5);
  });

  it('watches over TLS, and reads the token again after a 401 on a watch', async () => {
    writeToken('w1');
    valid = new Set(['w1']);
    const transport = transportWith(new InClusterCredentials({ env: env(), pathPrefix: root, now: () => 0 }));
    const events: string[] = [];
    const watch = () =>
      transport.watch(
        '/api/v1/configmaps',
        {},
        'watch configmaps',
        (type) => events.push(type),
        new AbortController().signal,
      );
    expect(await watch()).toEqual({ kind: 'closed' });
    expect(events).toEqual(['ADDED']);
    writeToken('w2');
    valid = new Set(['w2']);
    expect(await watch()).toMatchObject({ kind: 'error', error: { statusCode: 401 } });
    expect(await watch()).toEqual({ kind: 'closed' });
    expect(seen).toEqual(['w1', 'w1', 'w2']);
  });
});

describe('loadCredentials', () => {
  it('uses the in-cluster service account without client-node', async () => {
    writeToken('t');
    const credentials = await loadCredentials({
      env: env(),
      homeDir: join(dir, 'nohome'),
      inClusterPathPrefix: root,
    });
    expect(credentials).toBeInstanceOf(InClusterCredentials);
    expect(credentials.source).toBe('in-cluster service account');
  });

  it('loads a kubeconfig file through client-node, naming it', async () => {
    const path = join(dir, 'kubeconfig');
    writeFileSync(
      path,
      [
        'apiVersion: v1',
        'kind: Config',
        'clusters: [{ name: c, cluster: { server: "https://k:6443" } }]',
        'users: [{ name: u, user: { token: secret } }]',
        'contexts: [{ name: x, context: { cluster: c, user: u } }]',
        'current-context: x',
      ].join('\n'),
    );
    const credentials = await loadCredentials({
      kubeconfigPath: path,
      env: env(),
      inClusterPathPrefix: root,
    });
    expect(credentials.server).toBe('https://k:6443');
    expect(credentials.source).toBe(`kubeconfig ${path}`);
    expect((await credentials.authorize()).headers).toEqual({ Authorization: 'Bearer secret' });
  });
});
