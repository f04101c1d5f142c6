/**
 * The local control plane the real-stack measurements run against (`test/support/devtools/local-cluster.ts`),
 * in a run directory of the benchmark's own so that it never disturbs the one the tests share.
 * Built and started when missing, stopped afterwards if the benchmark started it; plus the room a
 * thousand applications need (a roomy fake node; the wider Service range comes with every control
 * plane `scripts/cluster/up.sh` starts or reuses).
 */
import type { Cluster } from '../src/kube/cluster.js';
import { AlreadyExistsError } from '../src/kube/cluster.js';
import {
  startLocalCluster,
  stopLocalCluster,
  type ClusterState,
} from '../test/support/devtools/local-cluster.js';

/** The default run directory of the benchmark's control plane. */
export const BENCH_CLUSTER_DIR = '/tmp/fledge-cluster-bench';

/** A control plane for the benchmark. */
export interface BenchCluster extends ClusterState {
  /** Whether this run started it (and so stops it). */
  startedHere: boolean;
  /** Stops it if this run started it, unless `keep`. */
  stop(keep: boolean): Promise<void>;
}

/** Builds what is missing, then starts (or reuses) the control plane of `clusterDir`. */
export async function ensureBenchCluster(
  clusterDir: string,
  output: (text: string) => void,
): Promise<BenchCluster> {
  const started = await startLocalCluster({ clusterDir, output });
  return {
    ...started,
    stop: async (keep) => {
      if (started.startedHere && !keep) await stopLocalCluster({ clusterDir, output });
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
