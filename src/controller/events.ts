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
  RollingBack: 'RollingBack',
  RoutesRestored: 'RoutesRestored',
  InvalidSpec: 'InvalidSpec',
  TargetNotFound: 'TargetNotFound',
  ReconcileError: 'ReconcileError',
  Finalized: 'Finalized',
  /** Deleted, but some of what Fledge changed could not be restored (the message says what). */
  FinalizedIncompletely: 'FinalizedIncompletely',
  /** An effect of a transition (Event, alert, post-rollout hook) was given up undelivered. */
  EffectAbandoned: 'EffectAbandoned',
  /** Fields of the status Fledge owns had the wrong shape and were replaced. */
  StatusRepaired: 'StatusRepaired',
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
