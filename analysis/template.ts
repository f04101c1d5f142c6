/**
 * Rendering of MetricTemplate queries. The syntax is deliberately tiny: `{{ name }}` placeholders
 * looked up in a fixed table, whitespace inside the braces optional. Nothing is evaluated, so a
 * template cannot reach object prototypes (`{{ constructor }}`) or run code.
 */

/** The values a query template can refer to. */
export interface TemplateContext {
  /** The Canary's name. */
  name: string;
  /** The Canary's namespace. */
  namespace: string;
  /** The canary workload (`spec.targetRef.name`). */
  target: string;
  /** The apex service. */
  service: string;
  /** `spec.ingressRef.name`, else the target's name (Flagger's `{{ ingress }}`). */
  ingress: string;
  /** `spec.routeRef.name`, else the target's name (Flagger's `{{ route }}`). */
  route: string;
  /** The metric's interval as written in the Canary (e.g. `1m`). */
  interval: string;
  /** The metric's `templateVariables`, read as `{{ variables.KEY }}`. */
  variables?: Readonly<Record<string, string>> | undefined;
}

/** The variables every template can use, besides `variables.KEY`. */
export const TEMPLATE_VARIABLES = [
  'name',
  'namespace',
  'target',
  'service',
  'ingress',
  'route',
  'interval',
] as const;

/** A template that cannot be rendered: an unknown variable or an unterminated `{{`. */
export class TemplateRenderError extends Error {
  override name = 'TemplateRenderError';
}

/** A template referring to a variable the context does not define. */
export class UnknownTemplateVariableError extends TemplateRenderError {
  override name = 'UnknownTemplateVariableError';
  constructor(
    /** Who owns the template, e.g. `MetricTemplate istio-system/latency`. */
    readonly source: string,
    /** The variable as written between the braces (trimmed). */
    readonly variable: string,
    message: string,
  ) {
    super(message);
  }
}

// The second alternative catches a `{{` that does not open a well-formed placeholder.
const PLACEHOLDER = /\{\{([^{}]*)\}\}|\{\{/g;
const VARIABLES_PREFIX = 'variables.';

function listOrNone(keys: readonly string[]): string {
  return keys.length > 0 ? keys.join(', ') : 'none';
}

function lookup(
  expression: string,
  context: TemplateContext,
  source: string,
  extra: Readonly<Record<string, string>>,
): string {
  if ((TEMPLATE_VARIABLES as readonly string[]).includes(expression)) {
    return context[expression as (typeof TEMPLATE_VARIABLES)[number]];
  }
  // Own keys only, as for `variables` below.
  if (Object.prototype.hasOwnProperty.call(extra, expression)) return extra[expression] as string;
  const variables = context.variables ?? {};
  // Own keys only: a key such as `constructor` must not resolve through the prototype chain.
  const keys = Object.keys(variables).sort();
  if (expression.startsWith(VARIABLES_PREFIX)) {
    const key = expression.slice(VARIABLES_PREFIX.length);
    if (Object.prototype.hasOwnProperty.call(variables, key)) {
      const value = variables[key];
      if (typeof value === 'string') return value;
    }
    throw new UnknownTemplateVariableError(
      source,
      expression,
      `${source}: unknown variable "${expression}" (templateVariables has: ${listOrNone(keys)})`,
    );
  }
  const known = [...TEMPLATE_VARIABLES, ...Object.keys(extra), ...keys.map((k) => `${VARIABLES_PREFIX}${k}`)];
  throw new UnknownTemplateVariableError(
    source,
    expression,
    `${source}: unknown variable "${expression}" (known: ${known.join(', ')})`,
  );
}

/**
 * Replaces every `{{ variable }}` in `template`. Throws {@link UnknownTemplateVariableError} for a
 * variable the context does not define (never renders it as an empty string) and
 * {@link TemplateRenderError} for an unterminated `{{`.
 *
 * @param source who owns the template, used as the prefix of error messages.
 * @param extra variables of one kind of query only (the count queries' `workload`), besides the
 *   context's.
 */
export function renderTemplate(
  template: string,
  context: TemplateContext,
  source: string,
  extra: Readonly<Record<string, string>> = {},
): string {
  return template.replace(PLACEHOLDER, (_match, inner: string | undefined, offset: number) => {
    if (inner === undefined) {
      throw new TemplateRenderError(
        `${source}: unterminated or malformed "{{" at offset ${offset} of the query`,
      );
    }
    return lookup(inner.trim(), context, source, extra);
  });
}
