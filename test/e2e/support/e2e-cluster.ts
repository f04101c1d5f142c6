/**
 * The part every e2e file that talks to the control plane shares: the cluster (started or reused,
 * see `test/support/cluster.ts`) and an admin client for it, set up in the file's `beforeAll` and
 * closed in its `afterAll`, with the time the control plane took written to the output.
 */
import { ClientNodeCluster } from '../../../src/kube/client/client-node-cluster.js';
import { loadKubeConfig } from '../../../src/kube/client/config.js';
import { CLUSTER_SETUP_TIMEOUT_MS, ensureCluster, type LocalCluster } from '../../support/cluster.js';

/** The control plane and the admin client of an e2e file; read them once `beforeAll` has run. */
export interface E2eCluster {
  readonly local: LocalCluster;
  readonly kube: ClientNodeCluster;
}

/** Writes how long a phase took once the returned function is called. */
export function phaseTimer(label: string): () => void {
  const started = Date.now();
  return () => process.stdout.write(`e2e: ${label} took ${((Date.now() - started) / 1000).toFixed(1)}s\n`);
}

/** Throws a clear error when a hook-initialised value is read before its `beforeAll` ran. */
export function ready<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`the e2e file's ${what} is not set up (beforeAll failed?)`);
  return value;
}

/**
 * Registers the `beforeAll` that connects the file to the control plane and the `afterAll` that
 * runs `cleanUp` (which may still use the client) and then closes the client; `qps` and `burst`
 * are the client's rate limits (requests per second).
 */
export function e2eCluster(o: { qps: number; burst: number; cleanUp?: () => Promise<void> }): E2eCluster {
  let local: LocalCluster | undefined;
  let kube: ClientNodeCluster | undefined;

  beforeAll(async () => {
    const done = phaseTimer('control plane');
    local = await ensureCluster({ output: (t) => process.stdout.write(t) });
    done();
    kube = new ClientNodeCluster({
      kubeConfig: loadKubeConfig({ kubeconfigPath: local.kubeconfigPath }),
      qps: o.qps,
      burst: o.burst,
    });
  }, CLUSTER_SETUP_TIMEOUT_MS);

  afterAll(async () => {
    try {
      await o.cleanUp?.();
    } finally {
      kube?.stop();
    }
  }, 120_000);

  return {
    get local() {
      return ready(local, 'cluster');
    },
    get kube() {
      return ready(kube, 'client');
    },
  };
}
