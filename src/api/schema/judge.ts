/**
 * Fledge addition: `spec.analysis.judge`, the sequential judge that compares the canary with the
 * primary (analysis/judge), and `status.judge`, its running evidence and last verdict. The
 * settings are `resolveJudgeSettings`'s; their ranges are checked there (`src/api/judge-rules.ts`),
 * so that a message names the field and the rule the same way for the Canary and `fledge judge`.
 */
import { Type, type Static } from '@sinclair/typebox';
import { Enum, Struct } from './common.js';

/** What the judge does once it has answered "not enough data" more than `maxHolds` times. */
export const HOLD_LIMIT_ACTIONS = ['fail', 'gate'] as const;
export type HoldLimitAction = (typeof HOLD_LIMIT_ACTIONS)[number];

const comparisonFields = {
  allowedRatio: Type.Optional(
    Type.Number({
      description: 'No regression: the canary rate at most this times the primary rate (default: 1).',
    }),
  ),
  regressionRatio: Type.Optional(
    Type.Number({
      description:
        'The smallest ratio that must not be promoted; a step needs evidence of less (default: 2, at least twice allowedRatio).',
    }),
  ),
  negligibleRate: Type.Optional(
    Type.Number({
      description: 'A canary rate below this may step whatever the ratio; 0 turns it off (default: 0.001).',
    }),
  ),
};

export const JudgeSpecSchema = Struct(
  {
    alpha: Type.Optional(
      Type.Number({
        description:
          'Bound on rolling back a canary no worse than the primary, over the whole rollout (default: 0.005).',
      }),
    ),
    beta: Type.Optional(
      Type.Number({
        description:
          'Bound, per metric, on stepping a canary worse by regressionRatio or more (default: 0.01).',
      }),
    ),
    maxHolds: Type.Optional(
      Type.Integer({
        description: 'Intervals the judge may answer "not enough data" before the hold limit (default: 60).',
      }),
    ),
    onHoldLimit: Type.Optional(
      Enum(
        HOLD_LIMIT_ACTIONS,
        'At the hold limit: fail (roll back, the default) or gate (wait for fledge promote, which lets one step go ahead).',
      ),
    ),
    errors: Type.Optional(
      Struct(comparisonFields, { description: '5xx of the canary against the primary (always judged).' }),
    ),
    latency: Type.Optional(
      Struct(
        {
          edgeMs: Type.Number({
            description: "A bound of the mesh's latency histogram, ms: requests slower than it are compared.",
          }),
          ...comparisonFields,
        },
        {
          description:
            'Judge latency (the request-duration metric) as well: the share of requests slower than edgeMs.',
        },
      ),
    ),
  },
  {
    description:
      'Fledge: compare the canary with the primary at every interval, with a bound on false rollbacks over the whole rollout (opt-in).',
  },
);

const VersionTotals = Struct({
  requests: Type.Integer({ minimum: 0 }),
  events: Type.Integer({ minimum: 0 }),
});

/** One comparison's running sums (analysis/judge/ratio-test.ts `RatioTestState`). */
const RatioStateSchema = Struct({
  allowedRatio: Type.Number(),
  regressionRatio: Type.Number(),
  logLikelihood: Type.Array(Type.Number()),
  canary: VersionTotals,
  primary: VersionTotals,
});

/** The judge's running state (analysis/judge/judge.ts `JudgeState`). */
export const JudgeStateSchema = Struct({
  intervals: Type.Integer({ minimum: 0 }),
  holds: Type.Integer({ minimum: 0 }),
  errors: RatioStateSchema,
  latency: Type.Optional(RatioStateSchema),
});

const CountsSchema = Struct({
  canaryRequests: Type.Integer({ minimum: 0 }),
  canaryEvents: Type.Integer({ minimum: 0 }),
  primaryRequests: Type.Integer({ minimum: 0 }),
  primaryEvents: Type.Integer({ minimum: 0 }),
});

/** Where one metric stood at the last verdict. */
export const JudgeMetricSummarySchema = Struct({
  metric: Enum(['errors', 'latency'] as const, 'What was compared.'),
  event: Type.String({ description: 'What counts as an event: 5xx, or > edge ms.' }),
  status: Enum(['regression', 'safe', 'undecided'] as const, 'Where the metric stands.'),
  interval: CountsSchema,
  total: CountsSchema,
  ratio: Type.Optional(Type.Number({ description: 'Canary rate over primary rate (estimate).' })),
  ratioLow: Type.Number({ description: 'Lower end of the anytime-valid interval of the ratio.' }),
  ratioHigh: Type.Optional(Type.Number({ description: 'Upper end; absent when unbounded.' })),
  regressionEvidence: Type.Number(),
  regressionThreshold: Type.Number(),
  safeEvidence: Type.Number(),
  safeThreshold: Type.Number(),
  requestsNeeded: Type.Optional(
    Type.Integer({
      minimum: 0,
      description: 'For undecided: about how many more requests a decision needs.',
    }),
  ),
});

export const JUDGE_OUTCOMES = ['pass', 'regression', 'hold', 'hold-limit'] as const;

export const JudgeStatusSchema = Struct(
  {
    revision: Type.String({ description: 'Revision of the target the evidence is about.' }),
    state: JudgeStateSchema,
    outcome: Enum(JUDGE_OUTCOMES, 'The last verdict.'),
    explanation: Type.String({ description: 'The last verdict in one line: counts, ratio, evidence.' }),
    at: Type.String({ description: 'When the last verdict was given (RFC 3339).' }),
    metrics: Type.Array(JudgeMetricSummarySchema),
    rolledBack: Type.Optional(
      Type.Boolean({
        description: 'The last verdict rolled the canary back (regression, or the hold limit).',
      }),
    ),
  },
  { description: 'Fledge: the judge of spec.analysis.judge: its running evidence and last verdict.' },
);

export type JudgeSpec = Static<typeof JudgeSpecSchema>;
export type JudgeStatus = Static<typeof JudgeStatusSchema>;
export type JudgeMetricSummary = Static<typeof JudgeMetricSummarySchema>;
