/** The MetricTemplate resource: a reusable query, field-compatible with Flagger's. */
import { Type, type Static } from '@sinclair/typebox';
import { Enum, ObjectMetaSchema, SecretRef, StringMap, Struct } from './common.js';

/** Metric providers Flagger knows. Fledge implements those in `IMPLEMENTED_METRIC_PROVIDERS`. */
export const KNOWN_METRIC_PROVIDERS = [
  'prometheus',
  'datadog',
  'cloudwatch',
  'newrelic',
  'graphite',
  'influxdb',
  'stackdriver',
  'dynatrace',
  'keptn',
  'splunk',
] as const;

export const IMPLEMENTED_METRIC_PROVIDERS = ['prometheus'] as const;

export const MetricProviderSchema = Struct(
  {
    type: Enum(KNOWN_METRIC_PROVIDERS, 'Kind of metrics server.'),
    address: Type.Optional(Type.String({ description: 'Address of the metrics server.' })),
    secretRef: Type.Optional(SecretRef),
    insecureSkipVerify: Type.Optional(Type.Boolean()),
    headers: Type.Optional(StringMap('Fledge: extra HTTP headers sent with every query.')),
  },
  { description: 'Where the query runs.' },
);

/** Fledge addition: the judge's count queries, per version (see `analysis/judge/template-count-queries.ts`). */
export const CountQueriesSchema = Struct(
  {
    requests: Type.String({
      minLength: 1,
      description: "Requests of one version over {{ interval }}; {{ workload }} is the version's workload.",
    }),
    errors: Type.String({
      minLength: 1,
      description: 'Failed (5xx) requests of one version over {{ interval }}, with {{ workload }}.',
    }),
    withinEdge: Type.Optional(
      Type.String({
        minLength: 1,
        description:
          "Requests of one version that took at most the judge's latency edge ({{ edgeMs }} ms, {{ edgeSeconds }} s), with {{ workload }}; needed when the judge judges latency.",
      }),
    ),
  },
  {
    description:
      "Fledge: count queries for the canary judge, run once with {{ workload }} the canary's workload and once with the primary's; besides every variable of query.",
  },
);

export const MetricTemplateSpecSchema = Struct({
  provider: MetricProviderSchema,
  query: Type.String({
    minLength: 1,
    description:
      'Query with {{ name }}, {{ namespace }}, {{ target }}, {{ service }}, {{ ingress }}, {{ route }}, {{ interval }}, {{ variables.KEY }}.',
  }),
  countQueries: Type.Optional(CountQueriesSchema),
});

export const MetricTemplateSchema = Struct({
  apiVersion: Type.String(),
  kind: Type.Literal('MetricTemplate'),
  metadata: ObjectMetaSchema,
  spec: MetricTemplateSpecSchema,
});

export type MetricTemplate = Static<typeof MetricTemplateSchema>;
export type MetricProviderSpec = Static<typeof MetricProviderSchema>;
/** A MetricTemplate's `spec.countQueries`. */
export type CountQueriesSpec = Static<typeof CountQueriesSchema>;
