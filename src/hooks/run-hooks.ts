/**
 * What the reconciler calls to run the webhooks of one type. These helpers call and report; what a
 * result means for the rollout (wait, fail a check, roll back) is decided by the controller.
 *
 * Flagger's webhook types and the effect of a failure (a status above 202, a timeout or a
 * network error; 200-202 is success):
 *
 * | type                     | when                                    | effect of failure                  |
 * |--------------------------|-----------------------------------------|------------------------------------|
 * | confirm-rollout          | before a new revision starts            | phase Waiting, retried next tick   |
 * | pre-rollout              | once, at weight 0                       | failed check                       |
 * | rollout                  | every analysis tick, before metrics     | failed check                       |
 * | confirm-traffic-increase | before each weight step                 | no step this tick, no failed check |
 * | confirm-promotion        | before promotion                        | WaitingPromotion, analysis goes on |
 * | post-rollout             | after Succeeded or Failed               | logged only                        |
 * | rollback                 | each tick while Progressing or Waiting* | a 2xx answer ROLLS BACK            |
 * | event                    | every Event emitted                     | logged only                        |
 *
 * (*) Waiting and WaitingPromotion. `event` payloads carry eventMessage, eventType and timestamp.
 *
 * Helpers by type: {@link runGate} for the three `confirm-*` gates, {@link runChecks} for
 * `pre-rollout` and `rollout`, {@link askRollback} for `rollback`, {@link notifyAll} for
 * `post-rollout` and `event`.
 *
 * Hooks of one type are called one after the other, in the order they are declared, as Flagger
 * calls them: a receiver may rely on the hook before it having run (a load test before a smoke
 * test). The first failure of a gate, a check or a post-rollout hook stops the rest; the first
 * `rollback` hook that asks for a rollback stops the rest; every `event` hook is called. A hook
 * that was not called has no report.
 */
import type { ResolvedWebhook } from '../api/defaults.js';
import type { CheckResult, WebhookType } from '../api/schema/canary.js';
import { buildEventPayload, buildPayload, type CanaryEvent, type HookSubject } from './payload.js';
import type { WebhookCaller, WebhookOutcome, WebhookPayload } from './webhook.js';

/** Webhook types that gate a step: all must answer 200-202 for the step to go ahead. */
export type GateType = Extract<
  WebhookType,
  'confirm-rollout' | 'confirm-traffic-increase' | 'confirm-promotion'
>;
/** Webhook types whose failure is a failed check. */
export type CheckType = Extract<WebhookType, 'pre-rollout' | 'rollout'>;
/** Webhook types whose outcome is only logged. */
export type NotifyType = Extract<WebhookType, 'post-rollout' | 'event'>;

/** What every helper needs: who calls, and which canary the payload describes. */
export interface HookRun {
  caller: WebhookCaller;
  subject: HookSubject;
}

/** A {@link HookRun} for `event` hooks: the Event forwarded and the time it happened. */
export interface EventHookRun extends HookRun {
  event: CanaryEvent;
  /** Unix time in milliseconds, sent as `metadata.timestamp`. */
  nowMs: number;
}

/** One hook's outcome, for logs and Events. */
export interface HookReport {
  hook: string;
  type: WebhookType;
  outcome: WebhookOutcome;
}

/** Result of {@link runGate}. */
export interface GateResult {
  /** True when every hook of the type answered 200-202, or there is none. */
  open: boolean;
  /** Why the gate is open or closed; names the hook that refused. */
  message: string;
  /** The hooks called, up to and including the one that refused. */
  reports: HookReport[];
  /** The hook that refused, when the gate is closed (its `muteAlert` says whether to alert). */
  refusedBy?: ResolvedWebhook;
}

/** Result of {@link askRollback}. */
export interface RollbackAnswer {
  /** True when at least one `rollback` hook answered 200-202. */
  rollback: boolean;
  message: string;
  /** The outcomes of the hooks called; errors there never roll back but deserve a log line. */
  reports: HookReport[];
}

/**
 * Runs the `pre-rollout` or `rollout` hooks in order and reports one {@link CheckResult} per hook
 * called (kind `webhook`, `passed` when it answered 200-202). The first failure stops the rest.
 */
export async function runChecks(
  hooks: ResolvedWebhook[],
  type: CheckType,
  run: HookRun,
): Promise<CheckResult[]> {
  const reports = await callInOrder(ofType(hooks, type), run, payloadOf(run), failed);
  return reports.map((r) => ({
    name: r.hook,
    kind: 'webhook',
    passed: r.outcome.ok,
    message: r.outcome.message,
  }));
}

/**
 * Asks the gate hooks of one type, in order; the gate is open only when all of them approve (none:
 * open). The first refusal closes it and the hooks after it are not asked.
 */
export async function runGate(hooks: ResolvedWebhook[], type: GateType, run: HookRun): Promise<GateResult> {
  const selected = ofType(hooks, type);
  if (selected.length === 0) return { open: true, message: `no ${type} webhooks`, reports: [] };
  const reports = await callInOrder(selected, run, payloadOf(run), failed);
  const refused = reports.find((r) => !r.outcome.ok);
  if (!refused) return { open: true, message: `${type} approved by ${names(reports)}`, reports };
  const hook = selected[reports.indexOf(refused)] as ResolvedWebhook;
  return { open: false, message: `${type} halted: ${refused.outcome.message}`, reports, refusedBy: hook };
}

/**
 * Asks the `rollback` hooks, in order, whether to roll back. Unlike every other type, success
 * (200-202) means "roll back now" and stops the rest; a refusal, a timeout or an unreachable hook
 * means "carry on".
 */
export async function askRollback(hooks: ResolvedWebhook[], run: HookRun): Promise<RollbackAnswer> {
  const selected = ofType(hooks, 'rollback');
  if (selected.length === 0) return { rollback: false, message: 'no rollback webhooks', reports: [] };
  const reports = await callInOrder(selected, run, payloadOf(run), (r) => r.outcome.ok);
  const asking = reports.filter((r) => r.outcome.ok);
  if (asking.length > 0) {
    return { rollback: true, message: `rollback requested by ${names(asking)}`, reports };
  }
  return { rollback: false, message: `no rollback requested by ${names(reports)}`, reports };
}

/** Calls the `post-rollout` hooks in order until one fails; the caller only logs the outcomes. */
export function notifyAll(
  hooks: ResolvedWebhook[],
  type: 'post-rollout',
  run: HookRun,
): Promise<HookReport[]>;
/** Forwards an Event to every `event` hook, in order; the caller only logs the outcomes. */
export function notifyAll(hooks: ResolvedWebhook[], type: 'event', run: EventHookRun): Promise<HookReport[]>;
export function notifyAll(
  hooks: ResolvedWebhook[],
  type: NotifyType,
  run: HookRun | EventHookRun,
): Promise<HookReport[]> {
  const selected = ofType(hooks, type);
  if (type === 'event') {
    const { event, nowMs } = run as EventHookRun;
    const payload = (hook: ResolvedWebhook) => buildEventPayload(run.subject, hook, event, nowMs);
    return callInOrder(selected, run, payload, () => false);
  }
  return callInOrder(selected, run, payloadOf(run), failed);
}

function ofType(hooks: ResolvedWebhook[], type: WebhookType): ResolvedWebhook[] {
  return hooks.filter((h) => h.type === type);
}

function names(reports: HookReport[]): string {
  return reports.map((r) => `"${r.hook}"`).join(', ');
}

function payloadOf(run: HookRun): (hook: ResolvedWebhook) => WebhookPayload {
  return (hook) => buildPayload(run.subject, hook);
}

function failed(report: HookReport): boolean {
  return !report.outcome.ok;
}

/**
 * Calls the hooks one at a time, in order, until `stop` holds for a report (that report included).
 * A caller is not supposed to throw, but one that does must not take the tick down: its error
 * becomes a failed outcome.
 */
async function callInOrder(
  hooks: ResolvedWebhook[],
  run: HookRun,
  payloadFor: (hook: ResolvedWebhook) => WebhookPayload,
  stop: (report: HookReport) => boolean,
): Promise<HookReport[]> {
  const reports: HookReport[] = [];
  for (const hook of hooks) {
    let outcome: WebhookOutcome;
    try {
      // The built-in approval gate is closed to every caller: only an operator's request opens it,
      // and the controller applies that request itself (`controller/requests.ts`).
      outcome = hook.fledgeApproval
        ? { ok: false, message: `webhook "${hook.name}" waits for approval (fledge promote)` }
        : await run.caller.call(hook, payloadFor(hook));
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      outcome = { ok: false, message: `webhook "${hook.name}" (${hook.type}) failed: ${reason}` };
    }
    const report: HookReport = { hook: hook.name, type: hook.type, outcome };
    reports.push(report);
    if (stop(report)) break;
  }
  return reports;
}
