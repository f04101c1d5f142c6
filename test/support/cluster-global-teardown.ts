/**
 * Jest global teardown paired with `cluster-global-setup.ts`: stops the local control plane if it
 * was started during this run, unless FLEDGE_KEEP_CLUSTER=1. One that was already running before
 * the run (for example from `npm run cluster:up`) is left running.
 *
 * Loaded outside jest's module system like the setup, hence no import of `cluster.ts`.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Subset of jest's project config that is used here. */
interface ProjectConfig {
  rootDir: string;
}

function clusterIdIn(dir: string): string {
  try {
    const state = JSON.parse(readFileSync(`${dir}/cluster.json`, 'utf8')) as { id?: unknown };
    return typeof state.id === 'string' ? state.id : '';
  } catch {
    return '';
  }
}

export default function clusterGlobalTeardown(_globalConfig: unknown, projectConfig: ProjectConfig): void {
  const dir = process.env['FLEDGE_CLUSTER_DIR'] ?? '/tmp/fledge-cluster';
  const before = process.env['FLEDGE_CLUSTER_ID_BEFORE_RUN'] ?? '';
  const current = clusterIdIn(dir);
  if (current === '' || current === before || process.env['FLEDGE_KEEP_CLUSTER'] === '1') return;
  const script = join(projectConfig.rootDir, 'scripts/cluster/down.sh');
  const result = spawnSync('bash', [script], {
    env: { ...process.env, FLEDGE_CLUSTER_DIR: dir },
    stdio: 'inherit',
  });
  if (result.status !== 0) {
    throw new Error(
      `cluster down failed: ${script} ended with ${result.status ?? result.signal ?? result.error?.message}`,
    );
  }
}
