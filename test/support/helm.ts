/**
 * The chart under test with the helm and kubectl of the local control plane: rendering with value
 * sets, server-side dry runs, ServiceAccount kubeconfigs (TokenRequest) and the API server's count
 * of forbidden requests.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fetchApiServerMetrics } from '../../bench/apiserver-metrics.js';
import type { ClusterState } from './cluster.js';

/**
 * The repository's root: the nearest directory above this file that holds the chart. This file
 * runs from `test/support` under jest and from `dist/test/support` compiled (the benchmark), so
 * neither a fixed `..` nor the working directory finds it from both.
 */
function repositoryRoot(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'charts/fledge/Chart.yaml'))) return dir;
    if (dirname(dir) === dir)
      throw new Error(`no charts/fledge/Chart.yaml above ${fileURLToPath(import.meta.url)}`);
  }
}

/** The chart directory of this repository. */
export const CHART_DIR = join(repositoryRoot(), 'charts/fledge');

/** What a command printed and how it ended. */
export interface CommandResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to its end, feeding `input` on stdin; never rejects for a non-zero exit. */
export async function run(command: string, args: string[], input?: string): Promise<CommandResult> {
  const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  child.stdin.end(input ?? '');
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (exitCode) => resolve(exitCode));
  });
  return { code, stdout, stderr };
}

/** Like {@link run}, but rejects with the command's output unless it exits 0. */
export async function runOk(command: string, args: string[], input?: string): Promise<string> {
  const result = await run(command, args, input);
  if (result.code !== 0)
    throw new Error(`${command} ${args.join(' ')} exited ${result.code}:\n${result.stderr}${result.stdout}`);
  return result.stdout;
}

/** `--set` arguments for a flat map of values (`{ 'serviceAccount.create': false }`). */
export function setArgs(values: Record<string, string | number | boolean>): string[] {
  return Object.entries(values).flatMap(([key, value]) => ['--set', `${key}=${value}`]);
}

/** Helm and kubectl of a running control plane, as its admin. */
export class ChartTool {
  constructor(readonly cluster: ClusterState) {}

  helm(args: string[]): Promise<CommandResult> {
    return run(this.cluster.helm, [...args, `--kubeconfig=${this.cluster.kubeconfigPath}`]);
  }

  kubectl(args: string[], input?: string): Promise<string> {
    return runOk(this.cluster.kubectl, [`--kubeconfig=${this.cluster.kubeconfigPath}`, ...args], input);
  }

  /** `helm template` of the chart into `namespace` with `values`; rejects with helm's message. */
  async template(release: string, namespace: string, values: Record<string, string | number | boolean>) {
    const result = await this.helm(['template', release, CHART_DIR, '-n', namespace, ...setArgs(values)]);
    if (result.code !== 0) throw new Error(`helm template failed: ${result.stderr}`);
    return result.stdout;
  }

  /** A fresh TokenRequest token of the ServiceAccount (the API server may cap `expirationSeconds`). */
  async serviceAccountToken(namespace: string, name: string, expirationSeconds = 3600): Promise<string> {
    const request = JSON.stringify({
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenRequest',
      spec: { expirationSeconds },
    });
    const answer = await this.kubectl(
      ['create', '--raw', `/api/v1/namespaces/${namespace}/serviceaccounts/${name}/token`, '-f', '-'],
      request,
    );
    const token = (JSON.parse(answer) as { status?: { token?: string } }).status?.token;
    if (!token) throw new Error(`TokenRequest for ${namespace}/${name} returned no token: ${answer}`);
    return token;
  }

  /** A kubeconfig that authenticates as the ServiceAccount with a fresh TokenRequest token. */
  async serviceAccountKubeconfig(namespace: string, name: string, path: string): Promise<string> {
    const token = await this.serviceAccountToken(namespace, name);
    const ca = readFileSync(this.cluster.caFile).toString('base64');
    writeFileSync(
      path,
      [
        'apiVersion: v1',
        'kind: Config',
        'clusters:',
        `- name: local\n  cluster:\n    server: ${this.cluster.server}\n    certificate-authority-data: ${ca}`,
        `users:\n- name: ${name}\n  user:\n    token: ${token}`,
        `contexts:\n- name: sa\n  context:\n    cluster: local\n    user: ${name}`,
        'current-context: sa',
        '',
      ].join('\n'),
      { mode: 0o600 },
    );
    return path;
  }

  /**
   * Requests the API server's authorizer has refused so far (403 Forbidden): its
   * `authorization_attempts_total` with a result other than `allowed`. Refused requests never
   * reach the handler that counts `apiserver_request_total`, and the counter has no user label, so
   * compare two readings around what only the tested client can be refused.
   */
  async deniedRequests(): Promise<number> {
    const text = await fetchApiServerMetrics(this.cluster);
    let denied = 0;
    for (const line of text.split('\n')) {
      if (!line.startsWith('authorization_attempts_total{') || line.includes('result="allowed"')) continue;
      denied += Number(line.slice(line.lastIndexOf(' ') + 1));
    }
    return denied;
  }
}
