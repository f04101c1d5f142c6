/**
 * Jest global setup for tests that use the local control plane (see `cluster.ts`): marks the
 * cluster as shared for the run, so test files leave stopping it to the global teardown, and
 * remembers which control plane, if any, was already running, so the teardown stops only one that
 * this run started. The cluster itself is started by the first test file that calls
 * `ensureCluster()`, so a run that selects no such file starts nothing.
 *
 * Jest loads this file outside its module system (no moduleNameMapper), so it imports only Node
 * built-ins; the names below match `SHARED_CLUSTER_ENV` and `readClusterState` in `cluster.ts`.
 */
import { readFileSync } from 'node:fs';

/** Environment variable (read by the global teardown) holding the id of the pre-existing cluster. */
export const CLUSTER_ID_BEFORE_RUN_ENV = 'FLEDGE_CLUSTER_ID_BEFORE_RUN';

/** The id in `<dir>/cluster.json`, or '' when no control plane was started there. */
function clusterIdIn(dir: string): string {
  try {
    const state = JSON.parse(readFileSync(`${dir}/cluster.json`, 'utf8')) as { id?: unknown };
    return typeof state.id === 'string' ? state.id : '';
  } catch {
    return '';
  }
}

export default function clusterGlobalSetup(): void {
  // Set before jest starts its workers, so every worker and the teardown see the same values.
  const dir = process.env['FLEDGE_CLUSTER_DIR'] ?? '/tmp/fledge-cluster';
  process.env['FLEDGE_CLUSTER_DIR'] = dir;
  process.env['FLEDGE_CLUSTER_SHARED'] = '1';
  process.env[CLUSTER_ID_BEFORE_RUN_ENV] = clusterIdIn(dir);
}
