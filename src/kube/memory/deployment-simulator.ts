/**
 * Plays the Kubernetes deployment controller and kubelet for the sandbox and tests: it watches
 * Deployments and, a delay after each change, writes the status a real cluster would report once
 * the pods are Ready (observedGeneration caught up, every replica updated, ready and available,
 * conditions `Available` and `Progressing/NewReplicaSetAvailable`).
 *
 * Per Deployment, a behaviour can be set instead: `never-ready` (pods start but never pass their
 * readiness probe) or `progress-deadline-exceeded` (the controller gave up on the rollout).
 */
import { describeKey, keyOf, type Cluster, type ObjectKey, type Unsubscribe } from '../cluster.js';
import { API, objectKey, type Deployment, type DeploymentCondition } from '../resources.js';
import { REAL_TIMERS, type Timers } from '../../timers.js';

/** How the simulated pods of one Deployment behave. */
export type DeploymentBehaviour = 'ready' | 'never-ready' | 'progress-deadline-exceeded';

export interface DeploymentSimulatorOptions {
  cluster: Cluster;
  /** Time from a Deployment change to its new status (pods scheduled, started, Ready). Default 0. */
  readyDelayMs?: number;
  /** Behaviour of Deployments without an override. Default `ready`. */
  defaultBehaviour?: DeploymentBehaviour;
  /** Watch one namespace only; all namespaces when omitted. */
  namespace?: string;
  timers?: Timers;
  /** Source of condition timestamps; defaults to the wall clock. */
  now?: () => Date;
  /** Told about failed status writes; the simulator carries on regardless. */
  onError?: (error: unknown) => void;
}

type Status = NonNullable<Deployment['status']>;

function keyString(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

function rsName(d: Deployment): string {
  return `${d.metadata.name}-${d.metadata.generation ?? 1}`;
}

/** The status a real cluster reports for the Deployment's current spec, under a behaviour. */
export function simulatedStatus(d: Deployment, behaviour: DeploymentBehaviour, now: Date): Status {
  const replicas = d.spec.replicas ?? 1;
  const ready = behaviour === 'ready' ? replicas : 0;
  const at = now.toISOString();
  const condition = (type: string, status: string, reason: string, message: string): DeploymentCondition => ({
    type,
    status,
    reason,
    message,
    lastUpdateTime: at,
    lastTransitionTime: at,
  });
  const available =
    ready >= replicas
      ? condition('Available', 'True', 'MinimumReplicasAvailable', 'Deployment has minimum availability.')
      : condition(
          'Available',
          'False',
          'MinimumReplicasUnavailable',
          'Deployment does not have minimum availability.',
        );
  const progressing =
    behaviour === 'ready'
      ? condition(
          'Progressing',
          'True',
          'NewReplicaSetAvailable',
          `ReplicaSet "${rsName(d)}" has successfully progressed.`,
        )
      : behaviour === 'never-ready'
        ? condition('Progressing', 'True', 'ReplicaSetUpdated', `ReplicaSet "${rsName(d)}" is progressing.`)
        : condition(
            'Progressing',
            'False',
            'ProgressDeadlineExceeded',
            `ReplicaSet "${rsName(d)}" has timed out progressing.`,
          );
  return {
    observedGeneration: d.metadata.generation ?? 1,
    replicas,
    updatedReplicas: replicas,
    readyReplicas: ready,
    availableReplicas: ready,
    unavailableReplicas: replicas - ready,
    conditions: [available, progressing],
  };
}

/** The status without timestamps, as stable JSON: what decides whether a write is needed. */
function comparable(status: Status | undefined): string {
  if (!status) return '';
  const conditions = (status.conditions ?? []).map((c) => [c.type, c.status, c.reason, c.message]);
  const counts = [
    'observedGeneration',
    'replicas',
    'updatedReplicas',
    'readyReplicas',
    'availableReplicas',
  ] as const;
  return JSON.stringify([counts.map((k) => status[k] ?? 0), status.unavailableReplicas ?? 0, conditions]);
}

/** Keeps the time of a condition that did not change, as the deployment controller does. */
function keepTransitionTimes(next: Status, current: Status | undefined): Status {
  const conditions = (next.conditions ?? []).map((c) => {
    const before = current?.conditions?.find((b) => b.type === c.type);
    return before && before.status === c.status && before.lastTransitionTime
      ? { ...c, lastTransitionTime: before.lastTransitionTime }
      : c;
  });
  return { ...next, conditions };
}

/** Writes Deployment status as a real cluster would. */
export class DeploymentSimulator {
  private readonly cluster: Cluster;
  private readonly delayMs: number;
  private readonly defaultBehaviour: DeploymentBehaviour;
  private readonly namespace: string | undefined;
  private readonly timers: Timers;
  private readonly now: () => Date;
  private readonly onError: (error: unknown) => void;
  private readonly behaviours = new Map<string, DeploymentBehaviour>();
  private readonly pending = new Map<string, unknown>();
  private unsubscribe: Unsubscribe | undefined;

  constructor(options: DeploymentSimulatorOptions) {
    if (!options?.cluster) throw new TypeError('DeploymentSimulator: options.cluster is required');
    if (options.readyDelayMs !== undefined && !(options.readyDelayMs >= 0)) {
      throw new RangeError(
        `DeploymentSimulator: readyDelayMs must be 0 or more, got ${options.readyDelayMs}`,
      );
    }
    this.cluster = options.cluster;
    this.delayMs = options.readyDelayMs ?? 0;
    this.defaultBehaviour = options.defaultBehaviour ?? 'ready';
    this.namespace = options.namespace;
    this.timers = options.timers ?? REAL_TIMERS;
    this.now = options.now ?? (() => new Date());
    this.onError = options.onError ?? (() => undefined);
  }

  /** Starts watching Deployments (existing ones get their status too). Idempotent. */
  start(): void {
    if (this.unsubscribe) return;
    this.unsubscribe = this.cluster.watch<Deployment>(
      { ...API.deployment, ...(this.namespace ? { namespace: this.namespace } : {}) },
      (event) => {
        if (event.type === 'DELETED') this.cancel(keyOf(event.object));
        else this.schedule(keyOf(event.object));
      },
    );
  }

  /** Stops watching and drops pending status writes. */
  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    for (const handle of this.pending.values()) this.timers.clearTimeout(handle);
    this.pending.clear();
  }

  /** Sets how one Deployment's pods behave (undefined: back to the default); applies after the delay. */
  setBehaviour(namespace: string, name: string, behaviour: DeploymentBehaviour | undefined): void {
    if (behaviour === undefined) this.behaviours.delete(keyString(namespace, name));
    else this.behaviours.set(keyString(namespace, name), behaviour);
    if (this.unsubscribe) this.schedule(objectKey(API.deployment, namespace, name));
  }

  /** Writes every watched Deployment's status now, without waiting for the delay (tests). */
  async flush(): Promise<void> {
    for (const handle of this.pending.values()) this.timers.clearTimeout(handle);
    this.pending.clear();
    const deployments = await this.cluster.list<Deployment>({
      ...API.deployment,
      ...(this.namespace ? { namespace: this.namespace } : {}),
    });
    for (const d of deployments) await this.settle(keyOf(d));
  }

  private schedule(key: ObjectKey): void {
    const k = keyString(key.namespace, key.name);
    if (this.pending.has(k)) return;
    const handle = this.timers.setTimeout(() => {
      this.pending.delete(k);
      void this.settle(key);
    }, this.delayMs);
    this.pending.set(k, handle);
  }

  private cancel(key: ObjectKey): void {
    const k = keyString(key.namespace, key.name);
    const handle = this.pending.get(k);
    if (handle === undefined) return;
    this.timers.clearTimeout(handle);
    this.pending.delete(k);
  }

  /** Writes the simulated status when it differs from the stored one. Never throws. */
  private async settle(key: ObjectKey): Promise<void> {
    try {
      const d = await this.cluster.get<Deployment>(key);
      if (!d) return;
      const behaviour = this.behaviours.get(keyString(key.namespace, key.name)) ?? this.defaultBehaviour;
      const next = keepTransitionTimes(simulatedStatus(d, behaviour, this.now()), d.status);
      if (comparable(d.status) === comparable(next)) return;
      await this.cluster.patchStatus(key, { ...next });
    } catch (error) {
      this.onError(new Error(`simulating ${describeKey(key)}: ${String(error)}`, { cause: error }));
    }
  }
}
