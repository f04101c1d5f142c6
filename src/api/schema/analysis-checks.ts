/**
 * The checks of a Canary's analysis: metrics, webhooks and alerts, with Flagger's field names
 * (Fledge additions marked as such). `canary.ts` composes them into `spec.analysis`.
 */
import { Type } from '@sinclair/typebox';
import { Duration, Enum, NamespacedRef, PrometheusDuration, StringMap, Struct } from './common.js';

export const WEBHOOK_TYPES = [
  'confirm-rollout',
  'pre-rollout',
  'rollout',
  'confirm-traffic-increase',
  'confirm-promotion',
  'post-rollout',
  'rollback',
  'event',
] as const;
export type WebhookType = (typeof WEBHOOK_TYPES)[number];

export const MetricSchema = Struct(
  {
    name: Type.String({
      minLength: 1,
      description: 'Metric name, or a builtin: request-success-rate, request-duration.',
    }),
    interval: Type.Optional(PrometheusDuration('Range of the query (default: 1m), at most 24h.')),
    threshold: Type.Optional(Type.Number({ description: 'Deprecated: use thresholdRange.max.' })),
    thresholdRange: Type.Optional(
      Struct(
        {
          min: Type.Optional(Type.Number()),
          max: Type.Optional(Type.Number()),
        },
        { description: 'The check passes when min <= value <= max.' },
      ),
    ),
    query: Type.Optional(Type.String({ description: 'Inline PromQL (legacy; prefer templateRef).' })),
    templateRef: Type.Optional(NamespacedRef('MetricTemplate holding the query.')),
    templateVariables: Type.Optional(StringMap('Values for {{ variables.KEY }} in the template query.')),
    noDataPolicy: Type.Optional(
      Enum(
        ['fail', 'pass'] as const,
        'Fledge: what an empty result or NaN counts as: fail (default, the canary may get no traffic) or pass.',
      ),
    ),
    judge: Type.Optional(
      Type.Boolean({
        description:
          'Fledge: true on request-success-rate, request-duration or a metric with a templateRef compares it with the primary (spec.analysis.judge; a template gives the counts in its spec.countQueries); its threshold still applies.',
      }),
    ),
  },
  { description: 'A metric check run on every analysis tick.' },
);

export const WebhookSchema = Struct(
  {
    name: Type.String({ minLength: 1 }),
    type: Type.Optional(Enum(WEBHOOK_TYPES, 'When the webhook is called (default: rollout).')),
    url: Type.Optional(
      Type.String({
        minLength: 1,
        description: 'HTTP(S) address the payload is POSTed to (required unless fledgeApproval is set).',
      }),
    ),
    fledgeApproval: Type.Optional(
      Type.Boolean({
        description:
          'Fledge: instead of a url, a built-in approval gate (confirm-* types only) that only `fledge promote` or the fledge.dev/request annotation opens, for one revision.',
      }),
    ),
    timeout: Type.Optional(Duration('Request timeout (default: 10s, 100ms to 1h).')),
    metadata: Type.Optional(StringMap('Sent as payload.metadata.')),
    retries: Type.Optional(
      Type.Integer({ minimum: 0, description: 'Retries after a failed call (default: 0).' }),
    ),
    muteAlert: Type.Optional(
      Type.Boolean({
        description:
          'Send no alert when this confirm-rollout, confirm-traffic-increase or confirm-promotion webhook halts the rollout (other types never alert).',
      }),
    ),
  },
  { description: 'A webhook called at a given point of the rollout.' },
);

export const AlertSchema = Struct({
  name: Type.String({ minLength: 1 }),
  severity: Type.Optional(Enum(['info', 'warn', 'error'] as const, 'Lowest severity sent (default: info).')),
  providerRef: NamespacedRef('AlertProvider to notify.'),
});
