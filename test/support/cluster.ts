/**
 * Test harness for a real Kubernetes control plane (etcd, kube-apiserver, kube-controller-manager,
 * kube-scheduler and kwok fake nodes) built from Go modules and started by `scripts/cluster/`.
 *
 * Every test file that needs the cluster calls {@link ensureCluster} in `beforeAll`: the first
 * call builds what is missing and starts the control plane, later calls (other files, other
 * workers) reuse it. Under the jest global setup/teardown in this folder one control plane serves
 * the whole run and is stopped at its end; without them, the file that started it stops it.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
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
}

/** A running control plane as handed to a test file. */
export interface LocalCluster extends ClusterState {
  /**
   * Stops the control plane if this call started it and no jest global teardown owns it (and
   * `FLEDGE_KEEP_CLUSTER` is not `1`); otherwise does nothing. Safe to call twice.
   */
  stop(): Promise<void>;
}

/** Options of {@link ensureCluster} and {@link stopCluster}. */
export interface ClusterOptions {
  /** Run directory (default `FLEDGE_CLUSTER_DIR` or `/tmp/fledge-cluster`). */
  clusterDir?: string;
  /** Receives the scripts' progress output (default: written to stderr). */
  output?: (text: string) => void;
}

/** Time a `beforeAll` that calls {@link ensureCluster} should allow: a cold build of the binaries. */
export const CLUSTER_SETUP_TIMEOUT_MS = 45 * 60_000;

/** Set by the jest global setup: test files then leave stopping to the global teardown. */
export const SHARED_CLUSTER_ENV = 'FLEDGE_CLUSTER_SHARED';
/** `1` keeps the control plane running after the tests (for a fast edit-and-rerun loop). */
export const KEEP_CLUSTER_ENV = 'FLEDGE_KEEP_CLUSTER';

const SCRIPTS_DIR = fileURLToPath(new URL('../../scripts/cluster/', import.meta.url));
const OUTPUT_TAIL_CHARS = 6_000;

/** The run directory the scripts use. */
export function clusterDir(options: ClusterOptions = {}): string {
  return options.clusterDir ?? process.env['FLEDGE_CLUSTER_DIR'] ?? '/tmp/fledge-cluster';
}

/** Reads `cluster.json` of the run directory; undefined when no control plane was started there. */
export function readClusterState(dir: string = clusterDir()): ClusterState | undefined {
  let text: string;
  try {
    text = readFileSync(`${dir}/cluster.json`, 'utf8');
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
  };
}

/** Runs one script of scripts/cluster/, streaming its output; rejects naming the step on failure. */
async function runScript(step: ClusterStep, script: string, options: ClusterOptions): Promise<void> {
  const write = options.output ?? ((text: string) => void process.stderr.write(text));
  const env = { ...process.env, FLEDGE_CLUSTER_DIR: clusterDir(options) };
  let tail = '';
  const child = spawn('bash', [`${SCRIPTS_DIR}${script}`], { env, stdio: ['ignore', 'pipe', 'pipe'] });
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
export async function ensureCluster(options: ClusterOptions = {}): Promise<LocalCluster> {
  const dir = clusterDir(options);
  const before = readClusterState(dir)?.id;
  await runScript('build', 'build.sh', options);
  await runScript('up', 'up.sh', options);
  const state = readClusterState(dir);
  if (!state) throw new ClusterSetupError('state', `up.sh succeeded but wrote no ${dir}/cluster.json`);
  const startedHere = state.id !== before;
  let stopped = false;
  return {
    ...state,
    stop: async () => {
      if (stopped) return;
      stopped = true;
      const owned =
        startedHere && process.env[SHARED_CLUSTER_ENV] !== '1' && process.env[KEEP_CLUSTER_ENV] !== '1';
      if (owned) await stopCluster(options);
    },
  };
}

/** Stops the control plane of the run directory and removes the directory (no-op when none). */
export async function stopCluster(options: ClusterOptions = {}): Promise<void> {
  await runScript('down', 'down.sh', options);
}
