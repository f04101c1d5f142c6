/** The built `fledge` command as an operator runs it in an e2e scenario: its own process. */
import { join } from 'node:path';
import type { LocalCluster } from '../../support/cluster.js';
import { runProcess, type ProcessRun } from '../../support/run-process.js';

const CLI = join(process.cwd(), 'dist/src/cli/main.js');

/**
 * `fledge ARGS -n NAMESPACE` with the suite's kubeconfig (read at each call: the suite has a
 * cluster only once its `beforeAll` ran), run to its end; `npm run build` must have run.
 */
export function fledgeCli(suite: {
  readonly local: LocalCluster;
}): (args: string[], namespace: string) => Promise<ProcessRun> {
  return (args, namespace) =>
    runProcess(process.execPath, [CLI, ...args, '-n', namespace, '--kubeconfig', suite.local.kubeconfigPath]);
}
