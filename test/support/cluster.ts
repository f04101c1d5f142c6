/**
 * Test harness for the local control plane (`test/support/devtools/local-cluster.ts`).
 *
 * Every test file that needs the cluster calls {@link ensureCluster} in `beforeAll`: the first
 * call builds what is missing and starts the control plane, later calls (other files, other
 * workers) reuse it. Under the jest global setup/teardown in this folder one control plane serves
 * the whole run and is stopped at its end; without them, the file that started it stops it.
 */
import {
  startLocalCluster,
  stopLocalCluster,
  type ClusterState,
  type LocalClusterOptions,
} from './devtools/local-cluster.js';

export {
  ClusterSetupError,
  clusterDir,
  readClusterState,
  type ClusterState,
  type ClusterStep,
} from './devtools/local-cluster.js';

/** A running control plane as handed to a test file. */
export interface LocalCluster extends ClusterState {
  /**
   * Stops the control plane if this call started it and no jest global teardown owns it (and
   * `FLEDGE_KEEP_CLUSTER` is not `1`); otherwise does nothing. Safe to call twice.
   */
  stop(): Promise<void>;
}

/** Options of {@link ensureCluster} and {@link stopCluster}. */
export type ClusterOptions = LocalClusterOptions;

/** Time a `beforeAll` that calls {@link ensureCluster} should allow: a cold build of the binaries. */
export const CLUSTER_SETUP_TIMEOUT_MS = 45 * 60_000;

/** Set by the jest global setup: test files then leave stopping to the global teardown. */
export const SHARED_CLUSTER_ENV = 'FLEDGE_CLUSTER_SHARED';
/** `1` keeps the control plane running after the tests (for a fast edit-and-rerun loop). */
export const KEEP_CLUSTER_ENV = 'FLEDGE_KEEP_CLUSTER';

/** Starts (or reuses) the control plane; see the module comment for who stops it. */
export async function ensureCluster(options: ClusterOptions = {}): Promise<LocalCluster> {
  const { startedHere, ...state } = await startLocalCluster(options);
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
  await stopLocalCluster(options);
}
