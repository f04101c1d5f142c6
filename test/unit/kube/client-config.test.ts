/** Finding the cluster: explicit path, $KUBECONFIG, in-cluster service account, ~/.kube/config. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  KubeConfigError,
  SERVICE_ACCOUNT_TOKEN_PATH,
  contextNamespace,
  kubeConfigForServer,
  loadKubeConfig,
} from '../../../src/kube/client/config.js';

const kubeconfig = (server: string, context = 'ctx') => `apiVersion: v1
kind: Config
clusters:
  - name: c
    cluster:
      server: ${server}
users:
  - name: u
    user:
      token: secret
contexts:
  - name: ctx
    context: { cluster: c, user: u }
current-context: ${context}
`;

describe('loadKubeConfig', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'fledge-kubeconfig-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const write = (name: string, text: string) => {
    const path = join(dir, name);
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, text);
    return path;
  };
  const serverOf = (kc: ReturnType<typeof loadKubeConfig>) => kc.getCurrentCluster()?.server;

  it('prefers the explicit path, then $KUBECONFIG, then in-cluster, then ~/.kube/config', () => {
    const explicit = write('explicit', kubeconfig('https://explicit:6443'));
    const fromEnv = write('env', kubeconfig('https://env:6443'));
    write('home/.kube/config', kubeconfig('https://home:6443'));
    const home = join(dir, 'home');
    const env = { KUBECONFIG: fromEnv };
    expect(serverOf(loadKubeConfig({ kubeconfigPath: explicit, env, homeDir: home }))).toBe(
      'https://explicit:6443',
    );
    expect(serverOf(loadKubeConfig({ env, homeDir: home }))).toBe('https://env:6443');
    expect(serverOf(loadKubeConfig({ env: {}, homeDir: home }))).toBe('https://home:6443');
  });

  it('switches to the context --context names, with its namespace, and names the contexts when it is missing', () => {
    const path = write(
      'two',
      `${kubeconfig('https://a:6443')}`.replace(
        'contexts:\n  - name: ctx\n    context: { cluster: c, user: u }\n',
        'contexts:\n  - name: ctx\n    context: { cluster: c, user: u }\n  - name: other\n    context: { cluster: c, user: u, namespace: team-a }\n',
      ),
    );
    expect(contextNamespace(loadKubeConfig({ kubeconfigPath: path, env: {} }))).toBeUndefined();
    const other = loadKubeConfig({ kubeconfigPath: path, env: {}, context: 'other' });
    expect(other.getCurrentContext()).toBe('other');
    expect(contextNamespace(other)).toBe('team-a');
    expect(() => loadKubeConfig({ kubeconfigPath: path, env: {}, context: 'prod' })).toThrow(
      /no context "prod" \(contexts: ctx, other\)/,
    );
  });

  it('uses the in-cluster service account when running in a pod', () => {
    write(`root${SERVICE_ACCOUNT_TOKEN_PATH}`, 'token');
    const saved = {
      host: process.env['KUBERNETES_SERVICE_HOST'],
      port: process.env['KUBERNETES_SERVICE_PORT'],
    };
    process.env['KUBERNETES_SERVICE_HOST'] = '10.0.0.1';
    process.env['KUBERNETES_SERVICE_PORT'] = '443';
    try {
      const kc = loadKubeConfig({
        env: { KUBERNETES_SERVICE_HOST: '10.0.0.1' },
        homeDir: join(dir, 'nohome'),
        inClusterPathPrefix: join(dir, 'root'),
      });
      expect(serverOf(kc)).toBe('https://10.0.0.1:443');
    } finally {
      for (const [name, value] of [
        ['KUBERNETES_SERVICE_HOST', saved.host],
        ['KUBERNETES_SERVICE_PORT', saved.port],
      ] as const) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
  });

  it('fails clearly when nothing is found, instead of falling back to localhost', () => {
    expect(() => loadKubeConfig({ env: {}, homeDir: join(dir, 'nohome') })).toThrow(KubeConfigError);
    expect(() => loadKubeConfig({ env: {}, homeDir: join(dir, 'nohome') })).toThrow(
      /no kubeconfig: pass --kubeconfig/,
    );
  });

  it('names the file that cannot be read or has no current cluster', () => {
    expect(() => loadKubeConfig({ kubeconfigPath: join(dir, 'missing') })).toThrow(
      new RegExp(`kubeconfig ${join(dir, 'missing')}`),
    );
    const noContext = write('bad', kubeconfig('https://x:6443', 'nope'));
    expect(() => loadKubeConfig({ kubeconfigPath: noContext })).toThrow(
      /current-context "nope" names no cluster/,
    );
  });
});

describe('kubeConfigForServer', () => {
  it('allows plain http on loopback only', () => {
    expect(kubeConfigForServer({ server: 'http://127.0.0.1:8001' }).getCurrentCluster()?.server).toBe(
      'http://127.0.0.1:8001',
    );
    expect(() => kubeConfigForServer({ server: 'http://10.0.0.1:8080' })).toThrow(/only allowed on loopback/);
    expect(kubeConfigForServer({ server: 'https://10.0.0.1:6443', token: 't' }).getCurrentUser()?.token).toBe(
      't',
    );
  });
});
