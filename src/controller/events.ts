/** Event reasons and log keys: exported constants, so users can filter on them and tests match them. */

export const EventReasons = {
  /** The primary is ready and routing points at it. */
  Initialized: 'Initialized',
  /** Waiting for something outside Fledge (a Deployment rollout). */
  Waiting: 'Waiting',
  NewRevision: 'NewRevision',
  /** A confirm-* gate is closed. */
  WaitingForApproval: 'WaitingForApproval',
  AnalysisStarted: 'AnalysisStarted',
  AnalysisRestarted: 'AnalysisRestarted',
  CheckFailed: 'CheckFailed',
  WeightAdvanced: 'WeightAdvanced',
  IterationCompleted: 'IterationCompleted',
  Promoting: 'Promoting',
  Promoted: 'Promoted',
  /**
   * The target is back at a revision of the rollback window (`analysis.rollbackWindow`): it is
   * promoted without analysis. Also the Promoted condition's reason until the next rollout.
   */
  FastRollback: 'FastRollback',
  RollingBack: 'RollingBack',
  /** The primary could not roll out the promoted revision: all traffic went to the canary. */
  PromotionFailed: 'PromotionFailed',
  /** The primary became ready again after a failed promotion. */
  PrimaryRecovered: 'PrimaryRecovered',
  RoutesRestored: 'RoutesRestored',
  InvalidSpec: 'InvalidSpec',
  TargetNotFound: 'TargetNotFound',
  /** An object the Canary would write is controlled by another Canary or controller. */
  OwnershipConflict: 'OwnershipConflict',
  /** A workload or mesh object has a field of an unexpected shape (the message names it). */
  MalformedObject: 'MalformedObject',
  ReconcileError: 'ReconcileError',
  Finalized: 'Finalized',
  /** Deleted, but some of what Fledge changed could not be restored (the message says what). */
  FinalizedIncompletely: 'FinalizedIncompletely',
  /** An effect of a transition (Event, alert, post-rollout hook) was given up undelivered. */
  EffectAbandoned: 'EffectAbandoned',
  /** Fields of the status Fledge owns had the wrong shape and were replaced. */
  StatusRepaired: 'StatusRepaired',
  /** An operator suspended the canary (`fledge pause`): no more ticks until resumed. */
  Paused: 'Paused',
  /** An operator resumed a suspended canary (`fledge resume`). */
  Resumed: 'Resumed',
  /** An operator asked for promote, abort or retry (`fledge` CLI); the controller acts next tick. */
  Requested: 'Requested',
  /** An operator request (fledge promote, abort, retry) was carried out, or accepted until its gate. */
  RequestApplied: 'RequestApplied',
  /** An operator request was dropped: stale revision, wrong phase, or malformed annotations. */
  RequestRejected: 'RequestRejected',
  /** An accepted approval was not used: its analysis ended or its revision changed first. */
  ApprovalExpired: 'ApprovalExpired',
  /** The judge (spec.analysis.judge) found no regression: the step may go ahead. */
  JudgePassed: 'JudgePassed',
  /** The judge has not enough data yet: the weight holds, no failed check is counted. */
  JudgeHeld: 'JudgeHeld',
  /** The judge found a regression against the primary: rolling back. */
  JudgeRegression: 'JudgeRegression',
  /** The judge held more than maxHolds intervals: rolling back, or waiting for fledge promote. */
  JudgeHoldLimit: 'JudgeHoldLimit',
  /** The judge's running evidence no longer fits its settings (changed mid-rollout): it starts over. */
  JudgeRestarted: 'JudgeRestarted',
} as const;

export type EventReason = (typeof EventReasons)[keyof typeof EventReasons];

/** Keys used in structured logs. */
export const LogKeys = {
  canary: 'canary',
  phase: 'phase',
  weight: 'canaryWeight',
  revision: 'revision',
  reason: 'reason',
  durationMs: 'durationMs',
  err: 'err',
} as const;
