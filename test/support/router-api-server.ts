/**
 * The set-up the router integration tests share: a client of the local control plane (started for
 * the file, stopped after it), optionally with a random namespace of the file's own, deleted after
 * it, and Canaries stored there so the garbage collector sees a live owner of what a router creates.
 */
import { randomBytes } from 'node:crypto';
import { resolveCanary, type ResolvedCanary } from '../../src/api/defaults.js';
import type { Canary, CanarySpec } from '../../src/api/schema/canary.js';
import { ClientNodeCluster } from '../../src/kube/client/client-node-cluster.js';
import { loadKubeConfig } from '../../src/kube/client/config.js';
import type { RouteTargets } from '../../src/routers/router.js';
import { CLUSTER_SETUP_TIMEOUT_MS, ensureCluster, type LocalCluster } from './cluster.js';
import { createNamespace, deleteNamespace } from './namespaces.js';

/** The selectors of the podinfo fixture's primary and canary pods. */
export const ROUTE_TARGETS: RouteTargets = {
  primaryLabels: { app: 'podinfo-primary' },
  canaryLabels: { app: 'podinfo' },
};

/** A connected API server, for the tests of one file. */
export interface ApiServer {
  /** The client; throws when the control plane did not start (beforeAll failed). */
  cluster(): ClientNodeCluster;
}

/** An {@link ApiServer} with a namespace of the file's own. */
export interface ApiServerNamespace extends ApiServer {
  namespace: string;
  /** Stores a Canary named `name` with `spec` in the namespace, resolved as the controller would. */
  storeCanary(name: string, spec: CanarySpec): Promise<ResolvedCanary>;
}

/**
 * Registers the file's beforeAll / afterAll: starts (or joins) the local control plane and connects
 * to it; `setUp` runs once connected, `tearDown` before the client stops.
 */
export function useApiServer(
  hooks: {
    setUp?: (cluster: ClientNodeCluster) => Promise<void>;
    tearDown?: (cluster: ClientNodeCluster) => Promise<void>;
  } = {},
): ApiServer {
  let local: LocalCluster | undefined;
  let client: ClientNodeCluster | undefined;

  beforeAll(async () => {
    local = await ensureCluster();
    client = new ClientNodeCluster({ kubeConfig: loadKubeConfig({ kubeconfigPath: local.kubeconfigPath }) });
    await hooks.setUp?.(client);
  }, CLUSTER_SETUP_TIMEOUT_MS);

  afterAll(async () => {
    if (client) {
      // A failed clean-up must not hide the tests' own result.
      await hooks.tearDown?.(client).catch(() => undefined);
      client.stop();
    }
    await local?.stop();
  }, 120_000);

  return {
    cluster: () => {
      if (!client) throw new Error('the control plane did not start (see beforeAll)');
      return client;
    },
  };
}

/** {@link useApiServer} with a random namespace `<prefix>-<hex>`, created first and deleted last. */
export function useApiServerNamespace(prefix: string): ApiServerNamespace {
  const namespace = `${prefix}-${randomBytes(3).toString('hex')}`;
  const server = useApiServer({
    setUp: async (cluster) => {
      await createNamespace(cluster, namespace);
    },
    tearDown: (cluster) => deleteNamespace(cluster, namespace),
  });
  return {
    ...server,
    namespace,
    storeCanary: async (name, spec) => {
      const stored = await server.cluster().create<Canary>({
        apiVersion: 'fledge.dev/v1alpha1',
        kind: 'Canary',
        metadata: { name, namespace },
        spec,
      });
      return resolveCanary(stored, { defaultProvider: 'istio' });
    },
  };
}
