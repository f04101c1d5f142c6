/**
 * How the state machine carries out an operator request (`fledge promote`, `abort`, `retry`, or the
 * same annotations written by `kubectl annotate`). Pure, like `decide`.
 *
 * A request is acted on only for the revision it names, and recorded in `status.lastRequest` by
 * the same status write that carries its effect: a request that matches `lastRequest` was handled
 * already (the tick that handled it stopped before removing the annotations, or lost a race) and
 * is ignored. An approval (`promote`) is kept as `Accepted` until the gate it opens is reached,
 * then `Applied`; it expires when its revision stops being the one under analysis, so it can never
 * open a gate of a later rollout.
 */
import type { ApprovalGate } from '../api/schema/operator-request.js';
import { EventReasons } from './events.js';
import type { Outcome } from './outcome.js';
import { alreadyHandled, type OperatorRequest } from './request-annotations.js';
import type { GateAnswer } from './types.js';
import { promotionFailed } from './weights.js';

/** What `decide` must do for a request this tick: roll back, analyse again, or carry on. */
export type RequestVerdict = 'abort' | 'retry' | undefined;

/** Phases in which a rollout is under way and can be aborted or promoted. */
const UNDER_WAY = new Set(['Waiting', 'Progressing', 'WaitingPromotion']);

/** Checks a request against the canary and records it; returns what `decide` must do about it. */
export function acceptRequest(out: Outcome, request: OperatorRequest | undefined): RequestVerdict {
  if (!request || alreadyHandled(request, out.status.lastRequest)) return undefined;
  const reject = (why: string): undefined => {
    record(out, request, 'Rejected', why);
    out.warning(
      EventReasons.RequestRejected,
      `Dropped ${request.action} of ${out.ref} by ${request.by}: ${why}`,
    );
    return undefined;
  };
  if (request.malformed) return reject(request.malformed);
  const phase = out.status.phase ?? 'Initializing';
  const revision = out.input.workload.revision;
  if (request.revision !== revision) {
    return reject(`it is for revision ${request.revision}, the target now runs ${revision} (stale request)`);
  }
  switch (request.action) {
    case 'promote': {
      const gate = out.status.gate;
      if (!gate || gate.revision !== revision) return reject(`it waits at no gate (phase ${phase})`);
      record(out, request, 'Accepted', `opens ${gate.type} once for revision ${revision}`, gate.type);
      out.normal(
        EventReasons.RequestApplied,
        `Approved ${gate.type} of ${out.ref} revision ${revision}: requested by ${request.by} at ${request.at}`,
      );
      return undefined;
    }
    case 'promote-full':
      if (!UNDER_WAY.has(phase)) return reject(`no rollout is under way (phase ${phase})`);
      record(
        out,
        request,
        'Accepted',
        `promotes revision ${revision} once it is ready, skipping the analysis`,
      );
      out.normal(
        EventReasons.RequestApplied,
        `Full promotion of ${out.ref} revision ${revision} requested by ${request.by} at ${request.at}`,
      );
      return undefined;
    case 'abort':
      if (!UNDER_WAY.has(phase)) return reject(`no rollout is under way (phase ${phase})`);
      record(out, request, 'Applied', `rolled back revision ${revision}`);
      return 'abort';
    default:
      if (phase !== 'Failed' || promotionFailed(out.status) || out.status.lastAppliedSpec !== revision) {
        return reject(`only a canary whose analysis of this revision failed can retry it (phase ${phase})`);
      }
      record(out, request, 'Applied', `analysing revision ${revision} again`);
      return 'retry';
  }
}

/**
 * Whether the gate `type` stops the rollout this tick: its hooks refused and no approval for this
 * revision opens it. A gate that opens uses up the approval for it (so that it opens once); one
 * that stays closed is written down in `status.gate`, which is what `fledge promote` opens.
 */
export function gateHolds(out: Outcome, type: ApprovalGate, answer: GateAnswer | undefined): boolean {
  const approval = approvalFor(out, type);
  if (answer && !answer.open && !approval) {
    out.set({ gate: { type, revision: out.input.workload.revision } });
    return true;
  }
  out.remove('gate');
  if (approval === 'gate') {
    const last = out.status.lastRequest;
    if (last) setResult(out, 'Applied', `opened ${type} for revision ${last.revision}`);
    out.normal(
      EventReasons.RequestApplied,
      `Gate ${type} of ${out.ref} opened by ${last?.by ?? 'an operator'} (fledge promote)`,
    );
  }
  return false;
}

/** Whether an accepted `promote --full` holds for the revision under analysis. */
export function fullPromotionRequested(out: Outcome): boolean {
  const last = out.status.lastRequest;
  return (
    last?.result === 'Accepted' &&
    last.action === 'promote-full' &&
    last.revision === out.input.workload.revision
  );
}

/** Marks an accepted `promote --full` as carried out (the Promoting Event names who asked). */
export function fullPromotionApplied(out: Outcome): void {
  const last = out.status.lastRequest;
  if (!last) return;
  setResult(out, 'Applied', `promoted revision ${last.revision} without the rest of the analysis`);
}

/**
 * Ends the tick's bookkeeping: an approval whose revision is no longer under analysis expires, and
 * a gate that no longer applies is forgotten. Called by `decide` once before it returns.
 */
export function settleRequests(out: Outcome): void {
  const phase = out.status.phase ?? 'Initializing';
  const revision = out.input.workload.revision;
  const gate = out.status.gate;
  if (gate && (!UNDER_WAY.has(phase) || gate.revision !== revision)) out.remove('gate');
  const last = out.status.lastRequest;
  if (last?.result !== 'Accepted') return;
  if (UNDER_WAY.has(phase) && last.revision === revision) return;
  setResult(
    out,
    'Expired',
    `not used: revision ${last.revision} is no longer under analysis (phase ${phase})`,
  );
  out.normal(
    EventReasons.ApprovalExpired,
    `Approval of ${out.ref} by ${last.by} expired unused: revision ${last.revision} is no longer under analysis`,
  );
}

/** Why a gate is open for an approval: `gate` (a promote for it) or `full` (promote --full). */
function approvalFor(out: Outcome, type: ApprovalGate): 'gate' | 'full' | undefined {
  if (fullPromotionRequested(out)) return 'full';
  const last = out.status.lastRequest;
  const forThis =
    last?.result === 'Accepted' &&
    last.action === 'promote' &&
    last.gate === type &&
    last.revision === out.input.workload.revision;
  return forThis ? 'gate' : undefined;
}

function record(
  out: Outcome,
  request: OperatorRequest,
  result: 'Accepted' | 'Applied' | 'Rejected',
  message: string,
  gate?: ApprovalGate,
): void {
  const now = out.input.now.toISOString();
  out.set({
    lastRequest: {
      action: request.action,
      revision: request.revision,
      by: request.by,
      at: request.at,
      result,
      ...(gate ? { gate } : {}),
      message,
      handledAt: now,
    },
  });
}

function setResult(out: Outcome, result: 'Applied' | 'Expired', message: string): void {
  const last = out.status.lastRequest;
  if (!last) return;
  out.set({ lastRequest: { ...last, result, message, handledAt: out.input.now.toISOString() } });
}
