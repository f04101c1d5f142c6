/**
 * A fleet of benchmark applications in one namespace of a real cluster: creates the Deployments and
 * Canaries, starts their rollouts, and follows the Canaries' status and the VirtualServices' split
 * through watches (informer caches: following sends no GET or LIST once synced).
 */
import { mapLimited } from '../analysis/map-limited.js';
import type { Canary } from '../src/api/schema/canary.js';
import { NotFoundError, type Cluster, type KubeObject, type Unsubscribe } from '../src/kube/cluster.js';
import { API, objectKey } from '../src/kube/resources.js';
import {
  NEW_IMAGE,
  STABLE_IMAGE,
  appName,
  benchCanary,
  benchDeployment,
  imagePatch,
  type CanaryShape,
} from './manifests.js';
import { describePhases, waitUntil } from './support.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { createNamespace, deleteNamespace } from '../test/support/namespaces.js';

/** Requests the fleet sends at once while setting up. */
const SETUP_CONCURRENCY = 16;

/** Where one canary stands, as its status says. */
export interface CanaryState {
  phase: string | undefined;
  weight: number;
  /** The message of a `Reconciled=False` condition: why ticks cannot complete. */
  problem: string | undefined;
}

interface VirtualServiceObject extends KubeObject {
  spec?: { http?: { route?: { destination?: { host?: string }; weight?: number }[] }[] };
}

/** Told when a VirtualService's split is seen, with the arrival time (epoch ms). */
export type SplitObserver = (app: string, split: { primary: number; canary: number }, atMs: number) => void;

/** The primary/canary split of a benchmark VirtualService, read from its first http route. */
export function splitOf(vs: VirtualServiceObject): { primary: number; canary: number } | undefined {
  const route = vs.spec?.http?.[0]?.route;
  if (!route) return undefined;
  let primary = 0;
  let canary = 0;
  for (const r of route) {
    if (r.destination?.host?.endsWith('-canary')) canary += r.weight ?? 0;
    else primary += r.weight ?? 0;
  }
  return { primary, canary };
}

export class Fleet {
  readonly names: string[];
  private readonly states = new Map<string, CanaryState>();
  private readonly unsubscribes: Unsubscribe[] = [];
  private splitObserver: SplitObserver | undefined;

  constructor(
    private readonly kube: Cluster,
    readonly namespace: string,
    readonly size: number,
    private readonly shape: CanaryShape,
  ) {
    this.names = Array.from({ length: size }, (_, i) => appName(i));
  }

  /** Creates the namespace, the Deployments and the Canaries, and starts following them. */
  async create(): Promise<void> {
    await createNamespace(this.kube, this.namespace);
    this.unsubscribes.push(
      this.kube.watch<Canary>({ ...API.canary, namespace: this.namespace }, (e) => {
        const name = e.object.metadata.name;
        if (e.type === 'DELETED') this.states.delete(name);
        else
          this.states.set(name, {
            phase: e.object.status?.phase,
            weight: e.object.status?.canaryWeight ?? 0,
            problem: e.object.status?.conditions?.find((c) => c.type === 'Reconciled' && c.status === 'False')
              ?.message,
          });
      }),
      this.kube.watch<VirtualServiceObject>({ ...API.virtualService, namespace: this.namespace }, (e) => {
        const split = e.type === 'DELETED' ? undefined : splitOf(e.object);
        if (split) this.splitObserver?.(e.object.metadata.name, split, Date.now());
      }),
    );
    await mapLimited(this.names, SETUP_CONCURRENCY, async (name) => {
      await this.kube.create(benchDeployment(this.namespace, name, STABLE_IMAGE));
      await this.kube.create(benchCanary(this.namespace, name, this.shape));
    });
  }

  /** Sets who is told about VirtualService splits. */
  onSplit(observer: SplitObserver | undefined): void {
    this.splitObserver = observer;
  }

  /** Status of every canary seen so far. */
  canaries(): CanaryState[] {
    return [...this.states.values()];
  }

  /** Waits until every canary's status passes `test`. */
  async waitForAll(what: string, test: (c: CanaryState) => boolean, timeoutMs: number): Promise<void> {
    await waitUntil(
      `${what} (${this.size} canaries in ${this.namespace})`,
      () => this.states.size === this.size && this.canaries().every(test),
      {
        timeoutMs,
        pollMs: 500,
        progress: () => this.canaries().filter(test).length,
        describe: () => {
          const problems = this.canaries().filter((c) => c.problem);
          const first = problems[0]?.problem;
          return `${describePhases(this.canaries().map((c) => c.phase))}${first ? `; ${problems.length} cannot be reconciled, e.g. "${first}"` : ''}`;
        },
      },
    );
  }

  /** Moves every Deployment to the new image, starting one rollout each. */
  async release(): Promise<void> {
    await mapLimited(this.names, SETUP_CONCURRENCY, (name) =>
      this.kube.patch(objectKey(API.deployment, this.namespace, name), imagePatch(NEW_IMAGE)),
    );
  }

  /** Stops following, deletes the namespace and waits (up to `timeoutMs`) until it is gone. */
  async delete(timeoutMs: number): Promise<boolean> {
    for (const unsubscribe of this.unsubscribes.splice(0)) unsubscribe();
    try {
      await deleteNamespace(this.kube, this.namespace);
    } catch (error) {
      if (error instanceof NotFoundError) return true;
      throw error;
    }
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      // Served by a Namespace informer: the deletion shows up through its watch.
      if (
        !(await this.kube.list({ apiVersion: 'v1', kind: 'Namespace' })).some(
          (n) => n.metadata.name === this.namespace,
        )
      )
        return true;
      await sleep(1_000);
    }
    return false;
  }
}
