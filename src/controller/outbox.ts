/**
 * The outbox: the effects of a transition that must not be lost (its Events, its alerts, its
 * post-rollout webhooks) are written into `status.outbox` by the same status write that commits
 * the transition, then delivered, and each is removed only once every receiver took it or it was
 * given up after {@link OUTBOX_MAX_ATTEMPTS} failed attempts. A tick that fails after the commit
 * point (a route write, a crash) leaves them there, and a later tick delivers them even when
 * nothing else changed.
 *
 * Delivery is at-least-once: a replica may deliver and then lose the race to remove the entry, or
 * crash in between. Each effect carries an id, unique because only one status write can succeed
 * with a given resourceVersion precondition, so receivers can de-duplicate; a retry goes only to
 * the receivers that have not taken the effect yet (`delivered`).
 *
 * Events of a tick that changes no phase (a weight step, a failed check, routes set back) are not
 * written down: they are sent once, best effort, so a weight step costs no extra status write.
 */
import type { Logger } from 'pino';
import type { ResolvedCanary } from '../api/defaults.js';
import type { Canary, PendingEffect, Phase } from '../api/schema/canary.js';
import type { WebhookPayload } from '../hooks/webhook.js';
import type { EventRecorder } from './event-recorder.js';
import { EventReasons, LogKeys, type EventReason } from './events.js';
import type { DeliveryOptions, DeliveryReport, Notifications } from './ports.js';
import type { Decision, EventEffect } from './types.js';

/** Most effects the outbox holds; beyond it the oldest are dropped (logged, and a Warning Event). */
export const OUTBOX_MAX_ENTRIES = 32;
/** Failed delivery attempts after which an effect is given up (logged, and a Warning Event). */
export const OUTBOX_MAX_ATTEMPTS = 10;
/** The receiver name of the Kubernetes Event in a {@link DeliveryReport}. */
export const KUBERNETES_EVENT_RECEIVER = 'kubernetes-event';

/** An Event sent at once, best effort, with the id its `event` webhooks get. */
export interface DirectEvent {
  id: string;
  event: EventEffect;
  phase: Phase;
}

/** What a decision's effects become: outbox entries, or Events sent at once. */
export interface CalculatedEffects {
  /** The outbox to persist with the decision's status: the pending entries, then the new ones. */
  outbox: PendingEffect[];
  /** Events of a tick without transition. */
  direct: DirectEvent[];
  /** The oldest entries that no longer fit in {@link OUTBOX_MAX_ENTRIES}. */
  dropped: PendingEffect[];
}

/**
 * The base of the ids of the effects one tick decides: the Canary's uid, the resourceVersion the
 * decision was read at, and the time. Two ticks that commit cannot share it: the status write
 * carries that resourceVersion as a precondition, and only one write can succeed with it. The time
 * tells apart the Events of ticks that changed nothing (and so read the same resourceVersion).
 */
export function effectIdBase(object: Canary, nowMs: number): string {
  const who = object.metadata.uid || `${object.metadata.namespace ?? 'default'}.${object.metadata.name}`;
  return `${who}-${object.metadata.resourceVersion ?? '0'}-${nowMs.toString(36)}`;
}

/**
 * Turns a decision's effects into outbox entries (a transition: the phase changes, or an alert or a
 * hook is due) or Events sent at once (anything else). Pure.
 */
export function calculateEffects(input: {
  outbox: readonly PendingEffect[];
  decision: Decision;
  phaseBefore: Phase | undefined;
  idBase: string;
  checksum: string;
  maxEntries?: number;
}): CalculatedEffects {
  const { decision, idBase, checksum } = input;
  const phase = decision.status.phase ?? input.phaseBefore ?? 'Initializing';
  let n = 0;
  const nextId = () => `${idBase}-${n++}`;
  const transition =
    decision.status.phase !== input.phaseBefore ||
    decision.alerts.length > 0 ||
    decision.postRollout !== undefined;
  if (!transition) {
    return {
      outbox: [...input.outbox],
      direct: decision.events.map((event) => ({ id: nextId(), event, phase })),
      dropped: [],
    };
  }
  const added: PendingEffect[] = [
    ...decision.events.map((e): PendingEffect => ({
      id: nextId(),
      kind: 'event',
      phase,
      checksum,
      eventType: e.type,
      reason: e.reason,
      message: e.message.slice(0, 1024), // what an Event's note holds: no need to keep more
    })),
    ...decision.alerts.map((a): PendingEffect => ({
      id: nextId(),
      kind: 'alert',
      phase,
      checksum,
      severity: a.severity,
      message: a.message,
      ...(a.fields && a.fields.length > 0 ? { fields: a.fields } : {}),
    })),
    ...(decision.postRollout
      ? [{ id: nextId(), kind: 'post-rollout' as const, phase: decision.postRollout, checksum }]
      : []),
  ];
  const all = [...input.outbox, ...added];
  const excess = Math.max(0, all.length - (input.maxEntries ?? OUTBOX_MAX_ENTRIES));
  return { outbox: all.slice(excess), direct: [], dropped: all.slice(0, excess) };
}

/** What one delivery attempt makes of an entry: gone (delivered), given up, or kept for a retry. Pure. */
export function nextPendingEffect(
  entry: PendingEffect,
  report: DeliveryReport,
  maxAttempts: number = OUTBOX_MAX_ATTEMPTS,
): { outcome: 'delivered' } | { outcome: 'abandoned' | 'retry'; entry: PendingEffect } {
  if (report.failed.length === 0) return { outcome: 'delivered' };
  const delivered = [...new Set([...(entry.delivered ?? []), ...report.delivered])];
  const next: PendingEffect = {
    ...entry,
    attempts: (entry.attempts ?? 0) + 1,
    lastError: report.failed
      .map((f) => `${f.receiver}: ${f.message}`)
      .join('; ')
      .slice(0, 1024),
    ...(delivered.length > 0 ? { delivered } : {}),
  };
  return { outcome: (next.attempts ?? 0) >= maxAttempts ? 'abandoned' : 'retry', entry: next };
}

/** What draining needs. */
export interface DrainDeps {
  notifications: Notifications;
  events: EventRecorder;
  logger: Logger;
  maxAttempts?: number;
}

/** The outbox after a drain; `changed` says whether it must be written. */
export interface DrainResult {
  outbox: PendingEffect[];
  changed: boolean;
}

/**
 * Delivers the entries `which` selects, in order, and returns the outbox without the ones that
 * were delivered or given up. Never throws: a receiver's failure stays in the entry for the next
 * tick.
 */
export async function drainOutbox(
  deps: DrainDeps,
  canary: ResolvedCanary,
  outbox: readonly PendingEffect[],
  which: (entry: PendingEffect) => boolean = () => true,
): Promise<DrainResult> {
  const log = deps.logger.child({ [LogKeys.canary]: `${canary.namespace}/${canary.name}` });
  const kept: PendingEffect[] = [];
  let changed = false;
  for (const entry of outbox) {
    if (!which(entry)) {
      kept.push(entry);
      continue;
    }
    const report = await deliver(deps, canary, entry, log);
    const next = nextPendingEffect(entry, report, deps.maxAttempts);
    changed = true;
    if (next.outcome === 'retry') kept.push(next.entry);
    if (next.outcome === 'abandoned') {
      await reportLost(deps, canary, log, [next.entry], `after ${next.entry.attempts} attempts`);
    }
  }
  return { outbox: kept, changed };
}

/** Logs and records (best effort) effects that will never be delivered. */
export async function reportLost(
  deps: DrainDeps,
  canary: ResolvedCanary,
  log: Logger,
  entries: readonly PendingEffect[],
  why: string,
): Promise<void> {
  for (const e of entries) {
    const message = `Gave up delivering ${e.kind} ${e.id} of ${canary.namespace}/${canary.name} ${why}: ${e.lastError ?? 'the outbox is full'}`;
    log.warn({ [LogKeys.reason]: EventReasons.EffectAbandoned, effectId: e.id }, message);
    try {
      await deps.events.record(canary, { type: 'Warning', reason: EventReasons.EffectAbandoned, message });
    } catch (err) {
      log.warn({ [LogKeys.err]: err }, 'could not record Event');
    }
  }
}

async function deliver(
  deps: DrainDeps,
  canary: ResolvedCanary,
  entry: PendingEffect,
  log: Logger,
): Promise<DeliveryReport> {
  const skip = new Set(entry.delivered ?? []);
  const options: DeliveryOptions = { effectId: entry.id, skip };
  const payload: WebhookPayload = {
    name: canary.name,
    namespace: canary.namespace,
    phase: entry.phase,
    checksum: entry.checksum,
    metadata: {},
  };
  try {
    switch (entry.kind) {
      case 'event': {
        const event: EventEffect = {
          type: entry.eventType ?? 'Normal',
          reason: (entry.reason ?? EventReasons.ReconcileError) as EventReason,
          message: entry.message ?? '',
        };
        return await deliverEvent(deps, canary, event, payload, options, log);
      }
      case 'alert':
        return await deps.notifications.alert(
          canary,
          {
            severity: entry.severity ?? 'info',
            message: entry.message ?? '',
            ...(entry.fields ? { fields: entry.fields } : {}),
          },
          options,
        );
      case 'post-rollout':
        return await deps.notifications.postRollout(canary, payload, options);
    }
  } catch (err) {
    // The port promises not to throw; one that does must not take the drain down.
    return { delivered: [], failed: [{ receiver: entry.kind, message: String(err) }] };
  }
}

/** A Kubernetes Event and the `event` webhooks; used for outbox entries and direct Events alike. */
export async function deliverEvent(
  deps: DrainDeps,
  canary: ResolvedCanary,
  event: EventEffect,
  payload: WebhookPayload,
  options: DeliveryOptions,
  log: Logger,
): Promise<DeliveryReport> {
  const report: DeliveryReport = { delivered: [], failed: [] };
  if (!options.skip?.has(KUBERNETES_EVENT_RECEIVER)) {
    log[event.type === 'Warning' ? 'warn' : 'info']({ [LogKeys.reason]: event.reason }, event.message);
    try {
      await deps.events.record(canary, event);
      report.delivered.push(KUBERNETES_EVENT_RECEIVER);
    } catch (err) {
      log.warn({ [LogKeys.err]: err }, 'could not record Event');
      report.failed.push({
        receiver: KUBERNETES_EVENT_RECEIVER,
        message: err instanceof Error ? err.message : String(err),
      });
    }
  }
  const hooks = await deps.notifications.event(canary, event, payload, options);
  report.delivered.push(...hooks.delivered);
  report.failed.push(...hooks.failed);
  return report;
}
