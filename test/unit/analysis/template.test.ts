import {
  renderTemplate,
  TemplateRenderError,
  UnknownTemplateVariableError,
  type TemplateContext,
} from '../../../analysis/template.js';

const context: TemplateContext = {
  name: 'podinfo',
  namespace: 'test',
  target: 'podinfo-v2',
  service: 'podinfo-svc',
  ingress: 'podinfo-ingress',
  route: 'podinfo-route',
  interval: '1m',
  variables: { a: 'alpha', b: 'beta' },
};
const SOURCE = 'MetricTemplate istio-system/latency';

function errorOf(fn: () => unknown): Error {
  try {
    fn();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected an error');
}

describe('renderTemplate', () => {
  it('substitutes every variable', () => {
    const out = renderTemplate(
      'n={{ name }} ns={{ namespace }} t={{ target }} s={{ service }} i={{ interval }} a={{ variables.a }} b={{ variables.b }}',
      context,
      SOURCE,
    );
    expect(out).toBe('n=podinfo ns=test t=podinfo-v2 s=podinfo-svc i=1m a=alpha b=beta');
  });

  it("substitutes Flagger's {{ ingress }} and {{ route }}", () => {
    expect(renderTemplate('{{ ingress }}/{{ route }}', context, SOURCE)).toBe(
      'podinfo-ingress/podinfo-route',
    );
  });

  it.each(['{{name}}', '{{ name }}', '{{  name  }}', '{{\tname\n}}', '{{name }}', '{{ name}}'])(
    'accepts the whitespace variant %j',
    (template) => {
      expect(renderTemplate(`x${template}y`, context, SOURCE)).toBe('xpodinfoy');
    },
  );

  it('renders a realistic PromQL template, leaving PromQL braces alone', () => {
    const template =
      'sum(rate(http_requests_total{namespace="{{ namespace }}",pod=~"{{ target }}-[0-9a-zA-Z]+(-[0-9a-zA-Z]+)"}[{{ interval }}]))';
    expect(renderTemplate(template, context, SOURCE)).toBe(
      'sum(rate(http_requests_total{namespace="test",pod=~"podinfo-v2-[0-9a-zA-Z]+(-[0-9a-zA-Z]+)"}[1m]))',
    );
  });

  it('leaves a template without placeholders unchanged', () => {
    expect(renderTemplate('up{job="x"} == 1', context, SOURCE)).toBe('up{job="x"} == 1');
  });

  it('does not re-render braces coming from a substituted value', () => {
    const out = renderTemplate('{{ variables.a }}', { ...context, variables: { a: '{{ name }}' } }, SOURCE);
    expect(out).toBe('{{ name }}');
  });

  it('rejects an unknown templateVariables key, naming the variable, the template and the keys', () => {
    const error = errorOf(() => renderTemplate('x{{ variables.foo }}', context, SOURCE));
    expect(error).toBeInstanceOf(UnknownTemplateVariableError);
    expect(error.message).toBe(
      'MetricTemplate istio-system/latency: unknown variable "variables.foo" (templateVariables has: a, b)',
    );
    expect((error as UnknownTemplateVariableError).variable).toBe('variables.foo');
  });

  it('says when there are no templateVariables at all', () => {
    const error = errorOf(() =>
      renderTemplate('{{ variables.foo }}', { ...context, variables: undefined }, SOURCE),
    );
    expect(error.message).toContain('(templateVariables has: none)');
  });

  it('rejects an unknown top-level variable, listing the known ones', () => {
    const error = errorOf(() => renderTemplate('{{ pod }}', context, SOURCE));
    expect(error).toBeInstanceOf(UnknownTemplateVariableError);
    expect(error.message).toBe(
      'MetricTemplate istio-system/latency: unknown variable "pod" (known: name, namespace, target, service, ingress, route, interval, variables.a, variables.b)',
    );
  });

  it.each([
    '{{ constructor }}',
    '{{ __proto__ }}',
    '{{ toString }}',
    '{{ variables.constructor }}',
    '{{ variables.__proto__ }}',
    '{{ variables.hasOwnProperty }}',
    '{{ name.constructor }}',
    '{{ process.exit(1) }}',
    '{{ 1 + 1 }}',
    '{{ `${name}` }}',
    '{{ }}',
    '{{ variables }}',
  ])('evaluates nothing: %s is rejected', (template) => {
    expect(() => renderTemplate(template, context, SOURCE)).toThrow(TemplateRenderError);
  });

  it('rejects an unterminated or malformed placeholder', () => {
    const error = errorOf(() => renderTemplate('rate(x[{{ interval ])', context, SOURCE));
    expect(error).toBeInstanceOf(TemplateRenderError);
    expect(error.message).toContain(
      'MetricTemplate istio-system/latency: unterminated or malformed "{{" at offset 7',
    );
    expect(() => renderTemplate('{{{ name }}}', context, SOURCE)).toThrow(TemplateRenderError);
  });

  it('never renders an unknown variable as an empty string', () => {
    expect(() => renderTemplate('a{{ variables.missing }}b', { ...context, variables: {} }, SOURCE)).toThrow(
      /unknown variable "variables.missing"/,
    );
  });

  it("resolves one kind of query's extra variables, own keys only, and lists them as known", () => {
    expect(
      renderTemplate('{{ workload }}/{{ target }}', context, SOURCE, { workload: 'podinfo-primary' }),
    ).toBe('podinfo-primary/podinfo-v2');
    const error = errorOf(() => renderTemplate('{{ toString }}', context, SOURCE, { workload: 'w' }));
    expect(error).toBeInstanceOf(UnknownTemplateVariableError);
    expect(error.message).toContain(
      'known: name, namespace, target, service, ingress, route, interval, workload',
    );
  });
});
