/**
 * What the controller checks before it takes its first tick: the API server answers, Fledge's CRDs
 * are installed, and the controller's account may do what a tick does. A controller that starts
 * without one of these fails every tick for every canary, and says so only in logs; failing start-up
 * instead, with the cause named (which address, which CRD, which verb on which resource), turns a
 * broken install into a Pod in CrashLoopBackOff whose log says what to fix.
 *
 * Permissions are asked with SelfSubjectAccessReviews (any authenticated account may create one),
 * so a missing write permission is found before a rollout needs it, not half-way through one.
 */
import { providerFamily } from '../api/providers.js';
import { KubeApiError, type Cluster, type CollectionKey, type KubeObject } from '../kube/cluster.js';
import { API } from '../kube/resources.js';

/** A permission the controller needs. */
export interface AccessRequirement {
  group: string;
  resource: string;
  subresource?: string;
  verb: string;
  /** Namespace of the request; undefined for all namespaces. */
  namespace?: string;
  /** What the controller does with it, for the message. */
  why: string;
}

/** What start-up needs; see {@link controllerRequirements}. */
export interface PreflightOptions {
  /** The watched namespace; undefined for all namespaces. */
  namespace?: string | undefined;
  /** Namespace of the leader-election Lease; undefined when BullMQ schedules (no Lease). */
  leaseNamespace?: string | undefined;
  /** Default mesh provider: its objects' permissions are checked too. */
  meshProvider: string;
}

/** The kind of start-up failure, for the exit message and tests. */
export type PreflightFailureKind = 'unreachable' | 'missing-crd' | 'forbidden' | 'other';

/** One reason the controller cannot start. */
export interface PreflightProblem {
  kind: PreflightFailureKind;
  message: string;
}

/** The controller could not start: every problem found on the last attempt. */
export class PreflightError extends Error {
  override name = 'PreflightError';
  constructor(
    readonly problems: PreflightProblem[],
    options?: ErrorOptions,
  ) {
    super(problems.map((p) => p.message).join('; '), options);
  }
}

/** Fledge's own kinds: their CRDs must be installed and readable. */
const FLEDGE_KINDS = [
  { key: API.canary, crd: 'canaries.fledge.dev' },
  { key: API.metricTemplate, crd: 'metrictemplates.fledge.dev' },
  { key: API.alertProvider, crd: 'alertproviders.fledge.dev' },
] as const;

/** Write permissions of a tick, per mesh provider. */
const MESH_REQUIREMENTS: Record<string, { group: string; resources: string[] }> = {
  istio: { group: 'networking.istio.io', resources: ['virtualservices', 'destinationrules'] },
  nginx: { group: 'networking.k8s.io', resources: ['ingresses'] },
  ...Object.fromEntries(
    ['linkerd', 'smi:v1alpha1', 'smi:v1alpha2', 'smi:v1alpha3'].map((p) => [
      p,
      { group: 'split.smi-spec.io', resources: ['trafficsplits'] },
    ]),
  ),
  ...Object.fromEntries(
    ['gatewayapi:v1', 'gatewayapi:v1beta1'].map((p) => [
      p,
      { group: 'gateway.networking.k8s.io', resources: ['httproutes'] },
    ]),
  ),
};

/** Everything a tick, the watcher and the leader election do, as access reviews. */
export function controllerRequirements(o: PreflightOptions): AccessRequirement[] {
  const ns = o.namespace;
  const on = (group: string, resource: string, verbs: string[], why: string, subresource?: string) =>
    verbs.map((verb) => ({
      group,
      resource,
      verb,
      why,
      ...(subresource ? { subresource } : {}),
      ...(ns !== undefined ? { namespace: ns } : {}),
    }));
  const requirements: AccessRequirement[] = [
    ...on('fledge.dev', 'canaries', ['list', 'watch', 'patch'], 'watch Canaries and manage their finalizer'),
    ...on('fledge.dev', 'canaries', ['patch'], 'record each tick in the Canary status', 'status'),
    ...on('fledge.dev', 'metrictemplates', ['list', 'watch'], 'read metric templates'),
    ...on('fledge.dev', 'alertproviders', ['list', 'watch'], 'read alert providers'),
    ...on(
      'apps',
      'deployments',
      // update: promotion replaces the primary Deployment whole.
      ['list', 'watch', 'create', 'update', 'patch'],
      'manage the primary and target Deployments',
    ),
    ...on(
      '',
      'services',
      ['list', 'watch', 'create', 'patch'],
      'manage the apex, primary and canary Services',
    ),
    // create, patch: config tracking keeps a -primary copy of each one a target uses.
    ...on('', 'configmaps', ['list', 'watch', 'create', 'patch'], 'track the ConfigMaps a target uses'),
    ...on(
      '',
      'secrets',
      ['list', 'watch', 'create', 'patch'],
      'track the Secrets a target uses and read provider credentials',
    ),
    ...on('events.k8s.io', 'events', ['create', 'patch'], 'record Kubernetes Events'),
  ];
  const mesh = MESH_REQUIREMENTS[providerFamily(o.meshProvider)];
  for (const resource of mesh?.resources ?? [])
    requirements.push(
      // update: a route object restored to its saved original (revertOnDeletion) is replaced whole.
      ...on(
        mesh!.group,
        resource,
        ['list', 'watch', 'create', 'update', 'patch'],
        `route traffic (${o.meshProvider})`,
      ),
    );
  if (o.leaseNamespace !== undefined) {
    for (const verb of ['get', 'create', 'patch'])
      requirements.push({
        group: 'coordination.k8s.io',
        resource: 'leases',
        verb,
        namespace: o.leaseNamespace,
        why: 'elect the replica that ticks (leader election)',
      });
  }
  return requirements;
}

interface AccessReview extends KubeObject {
  spec: { resourceAttributes: Record<string, string> };
  status?: { allowed?: boolean; reason?: string };
}

function describeRequirement(r: AccessRequirement): string {
  const resource = `${r.resource}${r.subresource ? `/${r.subresource}` : ''}${r.group ? `.${r.group}` : ''}`;
  const scope = r.namespace !== undefined ? `in namespace ${r.namespace}` : 'in all namespaces';
  return `${r.verb} ${resource} ${scope}`;
}

function classify(err: unknown, what: string): PreflightProblem {
  const error = err instanceof Error ? err : new Error(String(err));
  const name = error.name;
  if (name === 'ApiUnreachableError')
    return { kind: 'unreachable', message: `API server unreachable: ${error.message}` };
  if (name === 'UnknownKindError')
    return {
      kind: 'missing-crd',
      message: `CustomResourceDefinition ${what} is not installed (apply the chart's crds/): ${error.message}`,
    };
  if (err instanceof KubeApiError && err.status === 403)
    return { kind: 'forbidden', message: `forbidden: ${error.message}` };
  return { kind: 'other', message: `${what}: ${error.message}` };
}

/**
 * Runs every check once and returns the problems found (empty: the controller can start). Reading
 * Fledge's kinds through the cluster also syncs their caches, which the first ticks read.
 */
export async function runPreflight(cluster: Cluster, o: PreflightOptions): Promise<PreflightProblem[]> {
  const problems: PreflightProblem[] = [];
  for (const { key, crd } of FLEDGE_KINDS) {
    const collection: CollectionKey = {
      ...key,
      ...(o.namespace !== undefined ? { namespace: o.namespace } : {}),
    };
    try {
      await cluster.list(collection);
    } catch (err) {
      const problem = classify(err, crd);
      problems.push(problem);
      // Nothing else can be learnt from a server that does not answer.
      if (problem.kind === 'unreachable') return problems;
    }
  }
  const denied: string[] = [];
  for (const requirement of controllerRequirements(o)) {
    let review: AccessReview;
    try {
      review = await cluster.create<AccessReview>({
        apiVersion: 'authorization.k8s.io/v1',
        kind: 'SelfSubjectAccessReview',
        metadata: { name: '' },
        spec: {
          resourceAttributes: {
            group: requirement.group,
            resource: requirement.resource,
            verb: requirement.verb,
            ...(requirement.subresource ? { subresource: requirement.subresource } : {}),
            ...(requirement.namespace !== undefined ? { namespace: requirement.namespace } : {}),
          },
        },
      });
    } catch (err) {
      problems.push(classify(err, `access review (${describeRequirement(requirement)})`));
      return problems;
    }
    if (review.status?.allowed !== true)
      denied.push(`${describeRequirement(requirement)} (to ${requirement.why})`);
  }
  if (denied.length > 0)
    problems.push({
      kind: 'forbidden',
      message: `forbidden: the controller's account may not ${denied.join(', ')}`,
    });
  return problems;
}

/** Retry settings of {@link preflightWithRetry}. */
export interface PreflightRetryOptions extends PreflightOptions {
  /** Give up after this long (ms). */
  timeoutMs: number;
  /** First wait between attempts (ms), doubled up to {@link maxDelayMs}. */
  initialDelayMs?: number;
  maxDelayMs?: number;
  /** Called after each failed attempt, before waiting. */
  onAttemptFailed?: (problems: PreflightProblem[], attempt: number, nextDelayMs: number) => void;
  /** Aborts the wait (e.g. on SIGTERM). */
  signal?: AbortSignal;
  now?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/**
 * Runs the checks until they pass or `timeoutMs` has passed: an install applies RBAC, CRDs and the
 * Deployment together, and the API server may answer a few seconds late after a node restart, so a
 * first failure is retried with backoff; a persisting one ends start-up.
 * @throws PreflightError naming every problem of the last attempt
 */
export async function preflightWithRetry(cluster: Cluster, o: PreflightRetryOptions): Promise<void> {
  const now = o.now ?? Date.now;
  const sleep =
    o.sleep ??
    ((ms: number, signal?: AbortSignal) =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, ms);
        signal?.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
      }));
  const deadline = now() + o.timeoutMs;
  let delayMs = o.initialDelayMs ?? 1_000;
  for (let attempt = 1; ; attempt++) {
    const problems = await runPreflight(cluster, o);
    if (problems.length === 0) return;
    const remaining = deadline - now();
    if (remaining <= 0 || o.signal?.aborted) throw new PreflightError(problems);
    const wait = Math.min(delayMs, remaining);
    o.onAttemptFailed?.(problems, attempt, wait);
    await sleep(wait, o.signal);
    delayMs = Math.min(delayMs * 2, o.maxDelayMs ?? 15_000);
  }
}
