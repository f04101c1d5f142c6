import { builtinCountQueries } from '../../../../analysis/judge/count-queries.js';
import {
  CountQueryTemplateError,
  templateCountQueries,
} from '../../../../analysis/judge/template-count-queries.js';
import type { TemplateContext } from '../../../../analysis/template.js';
import type { MetricTemplate } from '../../../../src/api/schema/metric-template.js';
import { countQueryTemplate } from '../../../support/metric-templates.js';

const context: TemplateContext = {
  name: 'podinfo',
  namespace: 'test',
  target: 'podinfo',
  service: 'podinfo',
  ingress: 'podinfo',
  route: 'podinfo',
  interval: '1m',
  variables: { reporter: 'destination' },
};

const sel =
  '{reporter="{{ variables.reporter }}",destination_workload_namespace="{{ namespace }}",destination_workload="{{ workload }}"';

function template(countQueries: unknown): MetricTemplate {
  return countQueryTemplate('istio-system', 'istio-counts', countQueries);
}

const istioCounts = {
  requests: `sum(increase(istio_requests_total${sel}}[{{ interval }}]))`,
  errors: `sum(increase(istio_requests_total${sel},response_code=~"5.*"}[{{ interval }}]))`,
  withinEdge: `sum(increase(istio_request_duration_milliseconds_bucket${sel},le="{{ edgeMs }}"}[{{interval}}]))`,
};

function errorOf(fn: () => unknown): CountQueryTemplateError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(CountQueryTemplateError);
    return error as CountQueryTemplateError;
  }
  throw new Error('expected an error');
}

describe('templateCountQueries', () => {
  it("renders each query for the canary's workload and the primary's, as the builtin Istio ones", () => {
    const q = templateCountQueries(template(istioCounts), {
      context,
      primary: 'podinfo-primary',
      edgeMs: 250,
    });
    const builtin = builtinCountQueries('istio', { ...context, primary: 'podinfo-primary', edgeMs: 250 });
    for (const version of ['canary', 'primary'] as const) {
      expect(q[version].requests).toBe(builtin[version].requests);
      expect(q[version].errors).toBe(builtin[version].errors);
    }
    expect(q.canary.withinEdge).toBe(
      'sum(increase(istio_request_duration_milliseconds_bucket{reporter="destination",destination_workload_namespace="test",destination_workload="podinfo",le="250"}[1m]))',
    );
    expect(q.edgeMs).toBe(250);
  });

  it('gives the edge in seconds too, and leaves withinEdge out when latency is not judged', () => {
    const counts = {
      ...istioCounts,
      withinEdge: 'sum(increase(h_bucket{pod=~"{{ workload }}-.*",le="{{ edgeSeconds }}"}[1m]))',
    };
    const judged = templateCountQueries(template(counts), {
      context,
      primary: 'podinfo-primary',
      edgeMs: 250,
    });
    expect(judged.primary.withinEdge).toBe(
      'sum(increase(h_bucket{pod=~"podinfo-primary-.*",le="0.25"}[1m]))',
    );
    const errorsOnly = templateCountQueries(template(counts), { context, primary: 'podinfo-primary' });
    expect(errorsOnly.canary.withinEdge).toBeUndefined();
    expect(errorsOnly.edgeMs).toBeUndefined();
  });

  it('names the field of a query without {{ workload }}: both versions would run the same query', () => {
    const e = errorOf(() =>
      templateCountQueries(template({ ...istioCounts, errors: 'sum(increase(x{app="podinfo"}[1m]))' }), {
        context,
        primary: 'podinfo-primary',
      }),
    );
    expect(e.field).toBe('spec.countQueries.errors');
    expect(e.message).toMatch(
      /^MetricTemplate istio-system\/istio-counts: spec\.countQueries\.errors: must select/,
    );
  });

  it('names the field and the variable of an unknown variable, listing the known ones', () => {
    const e = errorOf(() =>
      templateCountQueries(
        template({ ...istioCounts, requests: 'sum(x{w="{{ workload }}",v="{{ version }}"})' }),
        {
          context,
          primary: 'podinfo-primary',
        },
      ),
    );
    expect(e.field).toBe('spec.countQueries.requests');
    expect(e.message).toContain('spec.countQueries.requests: unknown variable "version"');
    expect(e.message).toContain('workload');
    expect(e.cause).toBeDefined();
  });

  it('requires withinEdge only when latency is judged', () => {
    const { withinEdge: _dropped, ...errorsOnly } = istioCounts;
    expect(() => templateCountQueries(template(errorsOnly), { context, primary: 'p' })).not.toThrow();
    const e = errorOf(() =>
      templateCountQueries(template(errorsOnly), { context, primary: 'p', edgeMs: 250 }),
    );
    expect(e.field).toBe('spec.countQueries.withinEdge');
    expect(e.message).toContain('latency.edgeMs 250');
  });

  it('refuses a template without count queries, or with a missing, empty or non-string one', () => {
    const params = { context, primary: 'podinfo-primary' };
    expect(errorOf(() => templateCountQueries(template(undefined), params)).field).toBe('spec.countQueries');
    expect(errorOf(() => templateCountQueries(template(['a']), params)).field).toBe('spec.countQueries');
    expect(
      errorOf(() => templateCountQueries(template({ requests: istioCounts.requests }), params)).field,
    ).toBe('spec.countQueries.errors');
    expect(
      errorOf(() => templateCountQueries(template({ ...istioCounts, requests: ' ' }), params)).field,
    ).toBe('spec.countQueries.requests');
    expect(errorOf(() => templateCountQueries(template({ ...istioCounts, errors: 5 }), params)).reason).toBe(
      'must be a non-empty PromQL string',
    );
  });
});
