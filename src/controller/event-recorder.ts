/** Kubernetes Events (`events.k8s.io/v1`) about a Canary, written through the cluster port. */
import type { Cluster } from '../kube/cluster.js';
import { API, type KubeEvent } from '../kube/resources.js';
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
}

/** The controller name Events carry in `reportingController`. */
export const REPORTING_CONTROLLER = 'fledge.dev/controller';

/** Writes each Event as a new object; the API server expires them (default one hour). */
export class KubeEventRecorder implements EventRecorder {
  private sequence = 0;

  constructor(private readonly options: KubeEventRecorderOptions) {}

  async record(canary: { namespace: string; name: string; uid: string }, event: EventEffect): Promise<void> {
    const now = this.options.now();
    this.sequence += 1;
    const object: KubeEvent = {
      apiVersion: API.event.apiVersion,
      kind: API.event.kind,
      metadata: {
        name: `${canary.name}.${now.getTime().toString(16)}${this.sequence.toString(16).padStart(4, '0')}`,
        namespace: canary.namespace,
      },
      eventTime: toMicroTime(now),
      reportingController: REPORTING_CONTROLLER,
      reportingInstance: this.options.instance,
      action: event.reason,
      reason: event.reason,
      note: event.message.slice(0, 1024),
      type: event.type,
      regarding: {
        apiVersion: API.canary.apiVersion,
        kind: API.canary.kind,
        namespace: canary.namespace,
        name: canary.name,
        ...(canary.uid ? { uid: canary.uid } : {}),
      },
    };
    await this.options.cluster.create(object);
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
