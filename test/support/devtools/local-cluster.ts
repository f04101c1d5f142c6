/**
 * The local control plane (etcd, kube-apiserver, kube-controller-manager, kube-scheduler and kwok
 * fake nodes) that `scripts/cluster/` builds from Go modules and starts on loopback: used by the
 * tests (through `test/support/cluster.ts`) and by the benchmark.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** A step of bringing the control plane up or down. */
export type ClusterStep = 'build' | 'up' | 'down' | 'state';

/** A step of the control plane scripts failed; `step` names which one. */
export class ClusterSetupError extends Error {
  override name = 'ClusterSetupError';
  /** Which step failed. */
  readonly step: ClusterStep;
  constructor(step: ClusterStep, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.step = step;
  }
}

/** What `scripts/cluster/up.sh` records in `cluster.json` for a running control plane. */
export interface ClusterState {
  /** Changes every time a control plane is started in the directory. */
  id: string;
  /** API server URL, e.g. `https://127.0.0.1:23456`. */
  server: string;
  /** Admin kubeconfig (credentials embedded). */
  kubeconfigPath: string;
  /** PEM files: the cluster CA and the admin client certificate (O=system:masters) and key. */
  caFile: string;
  certFile: string;
  keyFile: string;
  /** kubectl built with the control plane, handy for debugging. */
  kubectl: string;
  /** helm built with the control plane (for the chart tests). */
  helm: string;
}

/** Where to run the control plane and where its scripts' progress goes. */
export interface LocalClusterOptions {
  /** Run directory (default `FLEDGE_CLUSTER_DIR` or `/tmp/fledge-cluster`). */
  clusterDir?: string;
  /** Receives the scripts' progress output (default: written to stderr). */
  output?: (text: string) => void;
}

/** A control plane started (or found running) by {@link startLocalCluster}. */
export interface StartedCluster extends ClusterState {
  /** Whether this call started it, rather than finding it running. */
  startedHere: boolean;
}

const OUTPUT_TAIL_CHARS = 6_000;

/** The run directory the scripts use. */
export function clusterDir(options: LocalClusterOptions = {}): string {
  return options.clusterDir ?? process.env['FLEDGE_CLUSTER_DIR'] ?? '/tmp/fledge-cluster';
}

/** `scripts/cluster/` of the repository this module is in (from the sources or from `dist/`). */
function scriptsDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'scripts', 'cluster');
    // The real path: the scripts find the CRDs relative to where they truly are.
    if (existsSync(join(candidate, 'up.sh'))) return realpathSync(candidate);
    const parent = dirname(dir);
    if (parent === dir)
      throw new ClusterSetupError('state', `no scripts/cluster/up.sh above ${import.meta.url}`);
    dir = parent;
  }
}

/** Reads `cluster.json` of the run directory; undefined when no control plane was started there. */
export function readClusterState(dir: string = clusterDir()): ClusterState | undefined {
  let text: string;
  try {
    text = readFileSync(join(dir, 'cluster.json'), 'utf8');
  } catch {
    return undefined;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new ClusterSetupError('state', `${dir}/cluster.json is not valid JSON`, { cause: error });
  }
  const record = (parsed ?? {}) as Record<string, unknown>;
  const field = (name: keyof ClusterState): string => {
    const value = record[name];
    if (typeof value !== 'string' || value === '') {
      throw new ClusterSetupError('state', `${dir}/cluster.json: field ${name} is missing or not a string`);
    }
    return value;
  };
  return {
    id: field('id'),
    server: field('server'),
    kubeconfigPath: field('kubeconfigPath'),
    caFile: field('caFile'),
    certFile: field('certFile'),
    keyFile: field('keyFile'),
    kubectl: field('kubectl'),
    helm: field('helm'),
  };
}

/** Runs one script of scripts/cluster/, streaming its output; rejects naming the step on failure. */
async function runScript(step: ClusterStep, script: string, options: LocalClusterOptions): Promise<void> {
  const write = options.output ?? ((text: string) => void process.stderr.write(text));
  const env = { ...process.env, FLEDGE_CLUSTER_DIR: clusterDir(options) };
  let tail = '';
  const child = spawn('bash', [join(scriptsDir(), script)], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const forward = (chunk: Buffer): void => {
    const text = chunk.toString('utf8');
    tail = (tail + text).slice(-OUTPUT_TAIL_CHARS);
    write(text);
  };
  child.stdout.on('data', forward);
  child.stderr.on('data', forward);
  const code = await new Promise<number | string>((resolve) => {
    child.once('error', (error) => resolve(error.message));
    child.once('close', (exitCode, signal) => resolve(exitCode ?? `signal ${signal ?? 'unknown'}`));
  });
  if (code !== 0) {
    throw new ClusterSetupError(
      step,
      `cluster ${step} failed: scripts/cluster/${script} ended with ${typeof code === 'number' ? `exit code ${code}` : code}` +
        `\n--- last output ---\n${tail}`,
    );
  }
}

/**
 * Builds the binaries if needed and starts the control plane (or reuses a healthy one in the
 * same run directory), with the Fledge and third-party CRDs installed and Established. Rejects
 * with a {@link ClusterSetupError} naming the failed step; never resolves without a cluster.
 */
export async function startLocalCluster(options: LocalClusterOptions = {}): Promise<StartedCluster> {
  const dir = clusterDir(options);
  const before = readClusterState(dir)?.id;
  await runScript('build', 'build.sh', options);
  await runScript('up', 'up.sh', options);
  const state = readClusterState(dir);
  if (!state) throw new ClusterSetupError('state', `up.sh succeeded but wrote no ${dir}/cluster.json`);
  return { ...state, startedHere: state.id !== before };
}

/** Stops the control plane of the run directory and removes the directory (no-op when none). */
export async function stopLocalCluster(options: LocalClusterOptions = {}): Promise<void> {
  await runScript('down', 'down.sh', options);
}
