/** The inputs and outputs of one decision of the state machine. */
import type { JudgeCounts } from '../../analysis/judge/run-counts.js';
import type { ResolvedCanary } from '../api/defaults.js';
import type { CanaryStatus, CheckResult, Phase } from '../api/schema/canary.js';
import type { Routes } from '../routers/router.js';
import type { WorkloadObservation } from '../workloads/workload.js';
import type { EventReason } from './events.js';
import type { OperatorRequest } from './request-annotations.js';

/** An answer of a gate (confirm-* webhooks) or of the rollback webhooks. */
export interface GateAnswer {
  open: boolean;
  message: string;
  /** Name of the webhook that closed a confirm-* gate. */
  refusedBy?: string;
  /** The webhook that closed the gate has `muteAlert: true`: its refusal sends no alert. */
  muted?: boolean;
}

/** Webhook and metric answers gathered for this tick; only those {@link planObservations} asked for. */
export interface GateAnswers {
  confirmRollout?: GateAnswer;
  confirmTrafficIncrease?: GateAnswer;
  confirmPromotion?: GateAnswer;
  /** `open` means a rollback webhook asked to roll back. */
  rollback?: GateAnswer;
}

/** Everything one decision looks at. `decide` reads no clock and does no I/O. */
export interface DecideInput {
  canary: ResolvedCanary;
  /** The persisted status (empty for a new Canary). */
  status: CanaryStatus;
  now: Date;
  workload: WorkloadObservation;
  /** The split the mesh carries now. */
  routes: Routes;
  gates: GateAnswers;
  /** This tick's checks: pre-rollout hooks, or rollout hooks plus metrics; undefined when none ran. */
  checks?: CheckResult[];
  /** An operator request read from the Canary's annotations (`requests.ts`), if any. */
  request?: OperatorRequest;
  /** The judge's counts of the interval just analysed (`spec.analysis.judge`); set with the analysis checks. */
  judgeCounts?: JudgeCounts;
}

/**
 * What `decide` wants gathered before it can decide. The fields are asked in the order
 * `nextObservation` (plan.ts) gives, each only when what came before leaves it relevant.
 */
export interface ObservationPlan {
  confirmRollout: boolean;
  rollback: boolean;
  /** Which checks to run this tick, if any. */
  checks: 'pre-rollout' | 'analysis' | undefined;
  confirmTrafficIncrease: boolean;
  confirmPromotion: boolean;
}

/** A Kubernetes Event, also sent to `event` webhooks. */
export interface EventEffect {
  type: 'Normal' | 'Warning';
  reason: EventReason;
  message: string;
}

/** A notification for the Canary's alert providers. */
export interface AlertEffect {
  severity: 'info' | 'warn' | 'error';
  message: string;
  fields?: { name: string; value: string }[];
}

/** The outcome of one decision: the next status, and the edge-triggered effects of reaching it. */
export interface Decision {
  status: CanaryStatus;
  events: EventEffect[];
  alerts: AlertEffect[];
  /** `post-rollout` webhooks to call, with the phase they report. */
  postRollout?: Phase;
}
