/** MetricTemplates for the tests of the judge's count queries. */
import type { MetricTemplate } from '../../src/api/schema/metric-template.js';

/** A Prometheus MetricTemplate `namespace/name` giving `countQueries` (taken as written, checked or not). */
export function countQueryTemplate(
  namespace: string,
  name: string,
  countQueries: unknown,
  address = 'http://prometheus:9090',
): MetricTemplate {
  return {
    apiVersion: 'fledge.dev/v1alpha1',
    kind: 'MetricTemplate',
    metadata: { name, namespace },
    spec: {
      provider: { type: 'prometheus', address },
      query: 'vector(1)',
      countQueries: countQueries as MetricTemplate['spec']['countQueries'],
    },
  };
}
