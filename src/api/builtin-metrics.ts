/** Names of the metrics Fledge provides without a MetricTemplate (queries live in `analysis/`). */
export const BUILTIN_METRIC_NAMES = ['request-success-rate', 'request-duration'] as const;
export type BuiltinMetricName = (typeof BUILTIN_METRIC_NAMES)[number];
