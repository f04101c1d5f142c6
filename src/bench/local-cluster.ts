/**
 * The local control plane the real-stack measurements run against (`scripts/cluster/`, see its
 * README), in a run directory of the benchmark's own so that it never disturbs the one the tests
 * share. Started when missing, stopped afterwards if the benchmark started it.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Cluster } from '../kube/cluster.js';
import { AlreadyExistsError } from '../kube/cluster.js';

/** The default run directory of the benchmark's control plane. */
export const BENCH_CLUSTER_DIR = '/tmp/fledge-cluster-bench';

/** What `up.sh` records in `cluster.json`. */
export interface BenchClusterState {
  id: string;
  server: string;
  kubeconfigPath: string;
  caFile: string;
  certFile: string;
  keyFile: string;
}

/** A control plane script failed, or left no usable state behind. */
export class BenchClusterError extends Error {
  override name = 'BenchClusterError';
}

/** The repository root: the nearest ancestor of this module holding `scripts/cluster/up.sh`. */
export function repositoryRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'scripts', 'cluster', 'up.sh'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new BenchClusterError('cannot find scripts/cluster/up.sh above the benchmark');
    dir = parent;
  }
}

/** Reads `cluster.json` of a run directory; undefined when no control plane was started there. */
export function readBenchClusterState(clusterDir: string): BenchClusterState | undefined {
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(readFileSync(join(clusterDir, 'cluster.json'), 'utf8')) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  const field = (name: keyof BenchClusterState): string => {
    const value = parsed[name];
    if (typeof value !== 'string' || value === '')
      throw new BenchClusterError(`${clusterDir}/cluster.json: field ${name} is missing or not a string`);
    return value;
  };
  return {
    id: field('id'),
    server: field('server'),
    kubeconfigPath: field('kubeconfigPath'),
    caFile: field('caFile'),
    certFile: field('certFile'),
    keyFile: field('keyFile'),
  };
}

async function runScript(script: string, clusterDir: string, output: (text: string) => void): Promise<void> {
  // The real path: the scripts find the charts and CRDs relative to where they truly are.
  const path = realpathSync(join(repositoryRoot(), 'scripts', 'cluster', script));
  const child = spawn('bash', [path], {
    env: { ...process.env, FLEDGE_CLUSTER_DIR: clusterDir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.on('data', (chunk: Buffer) => output(chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => output(chunk.toString('utf8')));
  const code = await new Promise<number | string>((resolve) => {
    child.once('error', (error) => resolve(error.message));
    child.once('close', (exitCode, signal) => resolve(exitCode ?? `signal ${signal ?? 'unknown'}`));
  });
  if (code !== 0)
    throw new BenchClusterError(`scripts/cluster/${script} failed (${code}); its output is above`);
}

/** A control plane for the benchmark. */
export interface BenchCluster extends BenchClusterState {
  /** Whether this run started it (and so stops it). */
  startedHere: boolean;
  /** Stops it if this run started it, unless `keep`. */
  stop(keep: boolean): Promise<void>;
}

/** Starts (or reuses) the control plane of `clusterDir`. */
export async function ensureBenchCluster(
  clusterDir: string,
  output: (text: string) => void,
): Promise<BenchCluster> {
  const before = readBenchClusterState(clusterDir)?.id;
  await runScript('up.sh', clusterDir, output);
  const state = readBenchClusterState(clusterDir);
  if (!state) throw new BenchClusterError(`scripts/cluster/up.sh wrote no ${clusterDir}/cluster.json`);
  const startedHere = state.id !== before;
  return {
    ...state,
    startedHere,
    stop: async (keep) => {
      if (startedHere && !keep) await runScript('down.sh', clusterDir, output);
    },
  };
}

/** Name of the fake node the benchmark adds for pod room. */
export const BENCH_NODE = 'kwok-bench-node';

/**
 * Adds a kwok fake node without declared capacity: kwok then gives it room for a million pods,
 * where the control plane's own nodes hold 110 each, too few for a thousand applications.
 */
export async function ensureRoomyNode(cluster: Cluster): Promise<void> {
  try {
    await cluster.create({
      apiVersion: 'v1',
      kind: 'Node',
      metadata: {
        name: BENCH_NODE,
        annotations: { 'kwok.x-k8s.io/node': 'fake', 'node.alpha.kubernetes.io/ttl': '0' },
        labels: { 'kubernetes.io/hostname': BENCH_NODE, 'kubernetes.io/os': 'linux', type: 'kwok' },
      },
    });
  } catch (error) {
    if (!(error instanceof AlreadyExistsError)) throw error;
  }
}

/** Name and range of the Service CIDR the benchmark adds. */
export const BENCH_SERVICE_CIDR = { name: 'fledge-bench', cidr: '10.96.0.0/16' } as const;

interface ServiceCidr {
  apiVersion: string;
  kind: string;
  metadata: { name: string };
  status?: { conditions?: { type: string; status: string }[] };
}

/**
 * Adds a ServiceCIDR of 65,534 addresses (the MultiCIDRServiceAllocator API, GA in Kubernetes
 * 1.33) and waits until it is Ready: the control plane's own range (a /24) holds 254 Services, and
 * each application needs three.
 */
export async function ensureServiceRoom(cluster: Cluster, timeoutMs = 60_000): Promise<void> {
  const api = { apiVersion: 'networking.k8s.io/v1', kind: 'ServiceCIDR' };
  try {
    await cluster.create({
      ...api,
      metadata: { name: BENCH_SERVICE_CIDR.name },
      spec: { cidrs: [BENCH_SERVICE_CIDR.cidr] },
    });
  } catch (error) {
    if (!(error instanceof AlreadyExistsError)) throw error;
  }
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const cidrs = await cluster.list<ServiceCidr>(api);
    const ours = cidrs.find((c) => c.metadata.name === BENCH_SERVICE_CIDR.name);
    if (ours?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')) return;
    if (Date.now() > deadline)
      throw new BenchClusterError(
        `ServiceCIDR ${BENCH_SERVICE_CIDR.name} did not become Ready in ${timeoutMs / 1000} s`,
      );
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}
