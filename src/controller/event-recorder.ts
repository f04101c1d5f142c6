/** Kubernetes Events (`events.k8s.io/v1`) about a Canary, written through the cluster port. */
import { randomBytes } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { AlreadyExistsError, NotFoundError, type Cluster } from '../kube/cluster.js';
import { API, objectKey, type KubeEvent } from '../kube/resources.js';
import { EventReasons } from './events.js';
import type { EventEffect } from './types.js';

/** Records Events regarding one Canary. */
export interface EventRecorder {
  record(canary: { namespace: string; name: string; uid: string }, event: EventEffect): Promise<void>;
}

export interface KubeEventRecorderOptions {
  cluster: Cluster;
  now: () => Date;
  /** This controller replica's name (pod name), for `reportingInstance`. */
  instance: string;
  /** A repeat within this time of the last one joins its series (default 6 minutes, as client-go). */
  seriesWindowMs?: number;
  /** Series remembered for aggregation, least recently used dropped first (default 1,000). */
  cacheSize?: number;
  /** Random part of Event names (default 8 random hex digits), so replicas never collide. */
  randomSuffix?: () => string;
  /** `reportingController` of the Events (default {@link REPORTING_CONTROLLER}; the CLI has its own). */
  reportingController?: string;
}

/** The controller name Events carry in `reportingController`. */
export const REPORTING_CONTROLLER = 'fledge.dev/controller';

/** client-go's recorder ends a series after six minutes without a repeat. */
export const DEFAULT_SERIES_WINDOW_MS = 6 * 60_000;
export const DEFAULT_EVENT_CACHE_SIZE = 1_000;

/** The longest object name the API server accepts (a DNS subdomain). */
const MAX_NAME_LENGTH = 253;

interface Series {
  name: string;
  namespace: string;
  count: number;
  lastObservedMs: number;
}

/**
 * Writes Events, aggregating repeats as client-go's `events.k8s.io/v1` recorder does: an Event
 * with the same regarding object, type, reason and note as one recorded within the window patches
 * that Event's `series` (`count`, `lastObservedTime`) instead of creating an object. The series
 * are remembered in memory, bounded (LRU): after a restart, a cache eviction, or once the API
 * server expired the Event (default one hour), the next repeat creates a new Event, which is the
 * worst case. Names are `<canary>.<hex milliseconds><random hex>`, so two replicas recording in the
 * same millisecond cannot collide.
 */
export class KubeEventRecorder implements EventRecorder {
  private readonly series: LRUCache<string, Series>;
  private readonly windowMs: number;
  private readonly randomSuffix: () => string;

  constructor(private readonly options: KubeEventRecorderOptions) {
    this.windowMs = options.seriesWindowMs ?? DEFAULT_SERIES_WINDOW_MS;
    const cacheSize = options.cacheSize ?? DEFAULT_EVENT_CACHE_SIZE;
    if (!(this.windowMs >= 0)) throw new RangeError(`seriesWindowMs must be >= 0 (got ${this.windowMs})`);
    if (!Number.isInteger(cacheSize) || cacheSize < 1)
      throw new RangeError(`cacheSize must be an integer >= 1 (got ${cacheSize})`);
    this.series = new LRUCache<string, Series>({ max: cacheSize });
    this.randomSuffix = options.randomSuffix ?? (() => randomBytes(4).toString('hex'));
  }

  async record(canary: { namespace: string; name: string; uid: string }, event: EventEffect): Promise<void> {
    const now = this.options.now();
    const note = event.message.slice(0, 1024);
    const key = JSON.stringify([canary.namespace, canary.name, canary.uid, event.type, event.reason, note]);
    // peek: only a recorded occurrence (the set below) makes a series the most recently used.
    const known = this.series.peek(key);
    if (known && now.getTime() - known.lastObservedMs <= this.windowMs) {
      const count = known.count + 1;
      try {
        await this.options.cluster.patch(objectKey(API.event, known.namespace, known.name), {
          series: { count, lastObservedTime: toMicroTime(now) },
        });
        this.series.set(key, { ...known, count, lastObservedMs: now.getTime() });
        return;
      } catch (err) {
        // Expired by the API server (or deleted): this occurrence starts a new Event.
        if (!(err instanceof NotFoundError)) throw err;
      }
    }
    const name = await this.create(canary, event, note, now);
    this.series.set(key, { name, namespace: canary.namespace, count: 1, lastObservedMs: now.getTime() });
  }

  private async create(
    canary: { namespace: string; name: string; uid: string },
    event: EventEffect,
    note: string,
    now: Date,
  ): Promise<string> {
    for (let attempt = 0; ; attempt++) {
      const suffix = `.${now.getTime().toString(16)}${this.randomSuffix()}`;
      const name = `${canary.name.slice(0, MAX_NAME_LENGTH - suffix.length)}${suffix}`;
      const object: KubeEvent = {
        apiVersion: API.event.apiVersion,
        kind: API.event.kind,
        metadata: { name, namespace: canary.namespace },
        eventTime: toMicroTime(now),
        reportingController: this.options.reportingController ?? REPORTING_CONTROLLER,
        reportingInstance: this.options.instance,
        action: event.reason,
        reason: event.reason,
        note,
        type: event.type,
        regarding: {
          apiVersion: API.canary.apiVersion,
          kind: API.canary.kind,
          namespace: canary.namespace,
          name: canary.name,
          ...(canary.uid ? { uid: canary.uid } : {}),
        },
      };
      try {
        await this.options.cluster.create(object);
        return name;
      } catch (err) {
        // Only a name drawn twice: one more draw makes a second collision all but impossible.
        if (!(err instanceof AlreadyExistsError) || attempt > 0) throw err;
      }
    }
  }
}

/**
 * Which Events the controller writes: `all` (as Flagger: one per weight step too) or
 * `transitions` (phase changes, warnings and failures; weight steps only in the status, logs and
 * metrics). At a step every interval, `all` is an Event write per canary per interval.
 */
export const EVENT_MODES = ['all', 'transitions'] as const;
export type EventMode = (typeof EVENT_MODES)[number];

/** Events `transitions` leaves out: the ones every weight step writes. */
const STEP_REASONS: ReadonlySet<string> = new Set([EventReasons.WeightAdvanced]);

/** `recorder`, writing only the Events `mode` keeps. */
export function eventsFor(mode: EventMode, recorder: EventRecorder): EventRecorder {
  if (mode === 'all') return recorder;
  return {
    record: async (canary, event) => {
      if (!STEP_REASONS.has(event.reason)) await recorder.record(canary, event);
    },
  };
}

/** `MicroTime`: RFC 3339 with microseconds, as `events.k8s.io/v1` requires for eventTime. */
function toMicroTime(date: Date): string {
  return date.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}
