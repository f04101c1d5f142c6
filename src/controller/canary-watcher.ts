/**
 * Keeps the scheduler in step with the Canaries in the cluster: a Canary that appears is scheduled
 * at its interval, a spec change is ticked at once, a deleted one is dropped. A Canary whose
 * interval cannot be read is still scheduled (at the default) so its tick can report the problem.
 */
import type { Logger } from 'pino';
import { DEFAULT_INTERVAL_MS, DEFAULT_MIN_INTERVAL_MS } from '../api/defaults.js';
import { parseDurationMs } from '../api/duration.js';
import type { Canary } from '../api/schema/canary.js';
import type { Cluster, Unsubscribe, WatchEvent } from '../kube/cluster.js';
import { API } from '../kube/resources.js';
import type { Scheduler } from '../scheduler/scheduler.js';
import { DEFAULT_TICK_BUDGET_MS, withTickBudget } from '../scheduler/tick-budget.js';
import type { Reconciler, TickResult } from './reconciler.js';

/** Told about every tick, e.g. to record metrics. */
export type TickObserver = (namespace: string, name: string, result: TickResult, durationMs: number) => void;

export interface CanaryWatcherOptions {
  cluster: Cluster;
  scheduler: Scheduler;
  reconciler: Reconciler;
  logger: Logger;
  /** Watch one namespace; all when undefined. */
  namespace?: string;
  minIntervalMs?: number;
  onTick?: TickObserver;
  /** Told when a Canary is deleted. */
  onDelete?: (namespace: string, name: string) => void;
  /** Told when the last Canary of a namespace is deleted (e.g. to drop that namespace's caches). */
  onNamespaceEmpty?: (namespace: string) => void;
  /** Budget of one tick (default {@link DEFAULT_TICK_BUDGET_MS}); see `scheduler/tick-budget.ts`. */
  tickBudgetMs?: number;
}

/** `namespace/name`, the id a canary is scheduled under. */
export function canaryId(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

export class CanaryWatcher {
  private unsubscribe: Unsubscribe | undefined;
  private readonly generations = new Map<string, number | undefined>();

  constructor(private readonly o: CanaryWatcherOptions) {}

  /** Starts watching and ticking. */
  start(): void {
    const tick = async (id: string): Promise<void> => {
      const [namespace, name] = id.split('/') as [string, string];
      const started = performance.now();
      const result = await this.o.reconciler.reconcileOnce(namespace, name);
      this.o.onTick?.(namespace, name, result, performance.now() - started);
      if (result.conflict) this.o.scheduler.trigger(id);
    };
    // Bounded here, where the scheduler hands out its slots, so that a tick held up by slow
    // outbound calls cannot keep a slot: the reconciler and the ports below it stay unaware.
    this.o.scheduler.start(
      withTickBudget(tick, {
        budgetMs: this.o.tickBudgetMs ?? DEFAULT_TICK_BUDGET_MS,
        logger: this.o.logger,
      }),
    );
    const key = { ...API.canary, ...(this.o.namespace ? { namespace: this.o.namespace } : {}) };
    this.unsubscribe = this.o.cluster.watch<Canary>(key, (event) => this.onEvent(event));
    void this.pruneSchedules(key);
  }

  /**
   * Drops schedules of Canaries that no longer exist: with BullMQ, a Canary deleted while no
   * replica ran leaves its job scheduler in Redis, ticking nothing forever. The watched namespace's
   * Canaries (and those seen since) are kept; a schedule of another namespace's Canary is only
   * removed when this replica watches all namespaces.
   */
  private async pruneSchedules(key: { apiVersion: string; kind: string; namespace?: string }): Promise<void> {
    try {
      const canaries = await this.o.cluster.list<Canary>(key);
      const keep = new Set(canaries.map((c) => canaryId(c.metadata.namespace ?? 'default', c.metadata.name)));
      for (const id of this.generations.keys()) keep.add(id);
      this.logPruned(await this.o.scheduler.prune(keep, this.o.namespace));
    } catch (err) {
      this.o.logger.warn({ err }, 'could not prune the schedules of deleted Canaries; trying at next start');
    }
  }

  private logPruned(removed: string[]): void {
    if (removed.length > 0)
      this.o.logger.info({ removed }, `removed ${removed.length} schedules of Canaries that no longer exist`);
  }

  /**
   * Canaries seen and not deleted, per namespace. Every replica watches every Canary (only the
   * ticks are shared out), so each reports the whole count, as Flagger's `canary_total`.
   */
  countsByNamespace(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const id of this.generations.keys()) {
      const namespace = id.slice(0, id.indexOf('/'));
      counts.set(namespace, (counts.get(namespace) ?? 0) + 1);
    }
    return counts;
  }

  /** Stops watching, then waits for ticks in flight. */
  async stop(): Promise<void> {
    this.unsubscribe?.();
    await this.o.scheduler.stop();
  }

  private onEvent(event: WatchEvent<Canary>): void {
    try {
      const { metadata } = event.object;
      const id = canaryId(metadata.namespace ?? 'default', metadata.name);
      if (event.type === 'DELETED') {
        this.o.scheduler.remove(id);
        this.generations.delete(id);
        const namespace = metadata.namespace ?? 'default';
        this.o.onDelete?.(namespace, metadata.name);
        const prefix = `${namespace}/`;
        if (![...this.generations.keys()].some((other) => other.startsWith(prefix)))
          this.o.onNamespaceEmpty?.(namespace);
        return;
      }
      this.o.scheduler.schedule(id, this.intervalOf(event.object));
      const seen = this.generations.get(id);
      this.generations.set(id, metadata.generation);
      // A spec change (or a deletion being requested) deserves a prompt tick, not one an interval later.
      if (seen !== undefined && (seen !== metadata.generation || metadata.deletionTimestamp))
        this.o.scheduler.trigger(id);
    } catch (err) {
      this.o.logger.error({ err }, 'could not handle a Canary watch event');
    }
  }

  private intervalOf(canary: Canary): number {
    let intervalMs = DEFAULT_INTERVAL_MS;
    try {
      const text = canary.spec?.analysis?.interval;
      if (text) intervalMs = parseDurationMs(text);
    } catch {
      // The tick validates the spec and reports the bad interval on the Canary.
    }
    return Math.max(intervalMs, this.o.minIntervalMs ?? DEFAULT_MIN_INTERVAL_MS);
  }
}
