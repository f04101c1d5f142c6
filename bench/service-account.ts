/**
 * The controller's identity in the real-stack measurements, as the chart runs it: the chart's own
 * ServiceAccount and RBAC (rendered by `helm template`, applied as the admin), a TokenRequest
 * token and the cluster CA mounted where a pod has them, and `KUBERNETES_SERVICE_HOST`/`PORT`.
 * The controller then loads its credentials as in a pod (no kubeconfig, no client-node), and the
 * API server sees a ServiceAccount that API Priority and Fairness queues like any other, not the
 * exempt admin.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SERVICE_ACCOUNT_DIR } from '../src/kube/client/in-cluster-credentials.js';
import type { ClusterState } from '../test/support/devtools/local-cluster.js';
import { ChartTool } from '../test/support/helm.js';
import { parseManifest } from '../test/support/rbac-rules.js';

/** Release and namespace the chart's RBAC is installed under. */
export const BENCH_RELEASE = 'fledge-bench';
export const BENCH_RELEASE_NAMESPACE = 'fledge-bench-system';

/** Kinds of the rendered chart that make up the controller's identity. */
const IDENTITY_KINDS = new Set([
  'ServiceAccount',
  'ClusterRole',
  'ClusterRoleBinding',
  'Role',
  'RoleBinding',
]);

/** Asked of the TokenRequest API; the API server may cap it (the token then expires sooner). */
const TOKEN_SECONDS = 12 * 3600;

/** What the controller child needs to load in-cluster credentials. */
export interface InClusterIdentity {
  /** Prepended to the service-account paths (`inClusterPathPrefix`). */
  pathPrefix: string;
  /** `KUBERNETES_SERVICE_HOST` and `KUBERNETES_SERVICE_PORT`. */
  env: Record<string, string>;
  /** `namespace/name` of the ServiceAccount. */
  account: string;
}

/**
 * Installs the chart's ServiceAccount and RBAC, requests a token and writes the pod's mounted
 * files under `dir`.
 */
export async function prepareServiceAccount(cluster: ClusterState, dir: string): Promise<InClusterIdentity> {
  const tool = new ChartTool(cluster);
  const rendered = parseManifest(await tool.template(BENCH_RELEASE, BENCH_RELEASE_NAMESPACE, {}));
  const identity = rendered.filter((o) => IDENTITY_KINDS.has(o.kind));
  const account = identity.find((o) => o.kind === 'ServiceAccount');
  if (!account) throw new Error('the chart rendered no ServiceAccount');
  const namespace = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: BENCH_RELEASE_NAMESPACE } };
  await tool.kubectl(
    ['apply', '-f', '-'],
    JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [namespace, ...identity] }),
  );
  const name = account.metadata.name;
  const token = await tool.serviceAccountToken(BENCH_RELEASE_NAMESPACE, name, TOKEN_SECONDS);
  const mounted = join(dir, SERVICE_ACCOUNT_DIR);
  mkdirSync(mounted, { recursive: true });
  writeFileSync(join(mounted, 'token'), token, { mode: 0o600 });
  writeFileSync(join(mounted, 'ca.crt'), readFileSync(cluster.caFile));
  writeFileSync(join(mounted, 'namespace'), BENCH_RELEASE_NAMESPACE);
  const server = new URL(cluster.server);
  return {
    pathPrefix: dir,
    env: { KUBERNETES_SERVICE_HOST: server.hostname, KUBERNETES_SERVICE_PORT: server.port || '443' },
    account: `${BENCH_RELEASE_NAMESPACE}/${name}`,
  };
}
