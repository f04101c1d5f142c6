/**
 * Leader election on a `coordination.k8s.io/v1` Lease, the way client-go does it: the holder renews
 * the Lease every `retryPeriodMs`; another candidate takes it over once it has seen no renewal for
 * `leaseDurationMs` (measured on its own clock, so clock skew between nodes does not matter). Every
 * write carries the resourceVersion read, so two candidates can never both win the same Lease.
 *
 * Used by the in-process scheduler when several replicas run without Redis: only the leader ticks.
 */
import type { Logger } from 'pino';
import { ConflictError, AlreadyExistsError, type Cluster, type KubeObject } from '../kube/cluster.js';
import { API, objectKey } from '../kube/resources.js';

export interface Lease extends KubeObject {
  spec: {
    holderIdentity?: string;
    leaseDurationSeconds?: number;
    acquireTime?: string;
    renewTime?: string;
    leaseTransitions?: number;
  };
}

export interface LeaderElectorOptions {
  cluster: Cluster;
  namespace: string;
  name: string;
  identity: string;
  logger: Logger;
  leaseDurationMs?: number;
  /** The leader gives up when it could not renew for this long (must be below leaseDurationMs). */
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  now?: () => number;
}

export interface LeaderCallbacks {
  onStartedLeading(): void;
  /** Leadership was lost (not released by `stop`): stop acting at once. */
  onStoppedLeading(): void;
}

const microTime = (ms: number) => new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');

export class LeaderElector {
  private leading = false;
  private lastRenewMs = 0;
  private observed: { key: string; atMs: number } | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly leaseDurationMs: number;
  private readonly renewDeadlineMs: number;
  private readonly retryPeriodMs: number;
  private readonly now: () => number;

  constructor(private readonly o: LeaderElectorOptions) {
    this.leaseDurationMs = o.leaseDurationMs ?? 15_000;
    this.renewDeadlineMs = o.renewDeadlineMs ?? 10_000;
    this.retryPeriodMs = o.retryPeriodMs ?? 2_000;
    this.now = o.now ?? Date.now;
    if (!(this.renewDeadlineMs < this.leaseDurationMs && this.retryPeriodMs < this.renewDeadlineMs)) {
      throw new RangeError(
        `leader election: need retryPeriodMs < renewDeadlineMs < leaseDurationMs (got ${this.retryPeriodMs}, ${this.renewDeadlineMs}, ${this.leaseDurationMs})`,
      );
    }
  }

  get isLeader(): boolean {
    return this.leading;
  }

  /** Starts campaigning; callbacks fire as leadership comes and goes. */
  start(callbacks: LeaderCallbacks): void {
    const loop = async () => {
      if (this.stopped) return;
      try {
        await this.tryAcquireOrRenew(callbacks);
      } catch (err) {
        this.o.logger.warn({ err }, 'leader election: lease update failed');
      }
      if (this.leading && this.now() - this.lastRenewMs > this.renewDeadlineMs) {
        this.leading = false;
        this.o.logger.error('leader election: could not renew the lease in time; stepping down');
        callbacks.onStoppedLeading();
      }
      if (!this.stopped) this.timer = setTimeout(() => void loop(), this.retryPeriodMs);
    };
    void loop();
  }

  /** Stops campaigning and, if leading, releases the Lease so another replica takes over at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    if (!this.leading) return;
    this.leading = false;
    const lease = await this.o.cluster.get<Lease>(this.key());
    if (lease?.spec.holderIdentity !== this.o.identity) return;
    await this.o.cluster
      .patch(
        this.key(),
        { spec: { holderIdentity: null, renewTime: null } },
        { resourceVersion: lease.metadata.resourceVersion! },
      )
      .catch((err) => this.o.logger.warn({ err }, 'leader election: could not release the lease'));
  }

  private key() {
    return objectKey(API.lease, this.o.namespace, this.o.name);
  }

  private async tryAcquireOrRenew(callbacks: LeaderCallbacks): Promise<void> {
    const now = this.now();
    const lease = await this.o.cluster.get<Lease>(this.key());
    const mine = {
      holderIdentity: this.o.identity,
      leaseDurationSeconds: Math.ceil(this.leaseDurationMs / 1000),
      renewTime: microTime(now),
    };
    if (!lease) {
      try {
        await this.o.cluster.create<Lease>({
          ...API.lease,
          metadata: { name: this.o.name, namespace: this.o.namespace },
          spec: { ...mine, acquireTime: microTime(now), leaseTransitions: 0 },
        });
      } catch (err) {
        if (err instanceof AlreadyExistsError) return;
        throw err;
      }
      return this.won(callbacks, now);
    }
    const holder = lease.spec.holderIdentity ?? '';
    const seen = `${holder}|${lease.spec.renewTime ?? ''}`;
    if (this.observed?.key !== seen) this.observed = { key: seen, atMs: now };
    const expired = holder === '' || now - this.observed.atMs > this.leaseDurationMs;
    if (holder !== this.o.identity && !expired) return;
    const transitions = (lease.spec.leaseTransitions ?? 0) + (holder === this.o.identity ? 0 : 1);
    try {
      await this.o.cluster.patch(
        this.key(),
        {
          spec: {
            ...mine,
            leaseTransitions: transitions,
            ...(holder === this.o.identity ? {} : { acquireTime: microTime(now) }),
          },
        },
        { resourceVersion: lease.metadata.resourceVersion! },
      );
    } catch (err) {
      if (err instanceof ConflictError) return;
      throw err;
    }
    this.won(callbacks, now);
  }

  private won(callbacks: LeaderCallbacks, now: number): void {
    this.lastRenewMs = now;
    if (this.leading) return;
    this.leading = true;
    this.o.logger.info(
      { lease: `${this.o.namespace}/${this.o.name}`, identity: this.o.identity },
      'leader election: became leader',
    );
    callbacks.onStartedLeading();
  }
}
