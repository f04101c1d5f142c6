/** What the operator verbs read: a Canary (or a clear error naming it), its Events, who is asking. */
import { userInfo } from 'node:os';
import type { Canary } from '../../api/schema/canary.js';
import type { Cluster, KubeObject } from '../../kube/cluster.js';
import { API, objectKey, type KubeEvent } from '../../kube/resources.js';
import { OperatorError } from './connection.js';

/** Reads a Canary or fails naming it. */
export async function readCanary(cluster: Cluster, namespace: string, name: string): Promise<Canary> {
  const canary = await cluster.get<Canary>(objectKey(API.canary, namespace, name));
  if (!canary) throw new OperatorError(`canary ${namespace}/${name} not found`);
  return canary;
}

/**
 * The canary `name`, or every canary of `namespace` (of the cluster with `allNamespaces`), sorted
 * by namespace and name.
 */
export async function readCanaries(
  cluster: Cluster,
  namespace: string,
  name: string | undefined,
  allNamespaces: boolean,
): Promise<Canary[]> {
  const canaries = name
    ? [await readCanary(cluster, namespace, name)]
    : await cluster.list<Canary>({ ...API.canary, ...(allNamespaces ? {} : { namespace }) });
  return canaries.sort((a, b) =>
    `${a.metadata.namespace}/${a.metadata.name}`.localeCompare(`${b.metadata.namespace}/${b.metadata.name}`),
  );
}

/** The Events of a namespace (the view picks the Canary's). */
export function readEvents(cluster: Cluster, namespace: string): Promise<KubeEvent[]> {
  return cluster.list<KubeEvent>({ ...API.event, namespace });
}

/**
 * Who runs the verb, as the API server authenticates them (a SelfSubjectReview, what `kubectl auth
 * whoami` asks); the local user name when the server cannot say.
 */
export async function whoAmI(cluster: Cluster): Promise<string> {
  try {
    const review = await cluster.create<KubeObject & { status?: { userInfo?: { username?: string } } }>({
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'SelfSubjectReview',
      metadata: { name: '' },
    });
    if (review.status?.userInfo?.username) return review.status.userInfo.username;
  } catch {
    // An API server without authentication.k8s.io/v1 (before 1.28): fall back below.
  }
  try {
    return `local user ${userInfo().username}`;
  } catch {
    return 'unknown user';
  }
}
