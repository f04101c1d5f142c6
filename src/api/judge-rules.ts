/**
 * `spec.analysis.judge` and the metrics' `judge: true`: which metrics the judge compares with the
 * primary, its settings with their defaults, and the rules a Canary using it must follow.
 *
 * The design: the judge is on when `spec.analysis.judge` is set or a builtin metric says
 * `judge: true`. It always compares 5xx (the `request-success-rate` metric), and latency (the
 * `request-duration` metric) when `spec.analysis.judge.latency` is set. Its counts come from the
 * builtin count queries of the Canary's provider over the analysis interval or, when a judged
 * metric has a `templateRef` (any metric with `judge: true` and a `templateRef` is judged), from
 * that MetricTemplate's `spec.countQueries`: one template gives all the counts. A judged metric's
 * threshold check still runs as before.
 */
import { COUNT_QUERY_MESHES } from '../../analysis/judge/count-queries.js';
import { JudgeInputError } from '../../analysis/judge/observation.js';
import { resolveJudgeSettings, type JudgeSettings } from '../../analysis/judge/settings.js';
import { metricsMeshOf } from './providers.js';
import type { FieldError } from './field-error.js';
import type { Canary, CanaryMetric, CanarySpec } from './schema/canary.js';
import type { HoldLimitAction } from './schema/judge.js';

/** Where `spec.analysis.judge`'s messages point. */
export const JUDGE_FIELD = 'spec.analysis.judge';

/** The judge of a Canary, its defaults applied. */
export interface ResolvedJudge {
  settings: JudgeSettings;
  onHoldLimit: HoldLimitAction;
}

/** Whether the Canary turns the judge on (`spec.analysis.judge`, or a metric's `judge: true`). */
export function judgeEnabled(spec: CanarySpec): boolean {
  const a = spec.analysis;
  return a.judge !== undefined || (a.metrics ?? []).some((m) => m.judge === true);
}

/** The judge of a valid Canary, or undefined when it is off. */
export function resolveJudge(spec: CanarySpec): ResolvedJudge | undefined {
  if (!judgeEnabled(spec)) return undefined;
  const judge = spec.analysis.judge;
  const { onHoldLimit, ...settings } = judge ?? {};
  return { settings: resolveJudgeSettings(settings, JUDGE_FIELD), onHoldLimit: onHoldLimit ?? 'fail' };
}

/** The metric a judged comparison stands for. */
const JUDGED: Record<string, 'errors' | 'latency'> = {
  'request-success-rate': 'errors',
  'request-duration': 'latency',
};

function roleOf(name: string): 'errors' | 'latency' | undefined {
  return Object.prototype.hasOwnProperty.call(JUDGED, name) ? JUDGED[name] : undefined;
}

/** Whether the judge reads `m`'s counts: its builtin role, or `judge: true` with a templateRef. */
function isJudged(m: CanaryMetric, latency: boolean): boolean {
  if (m.judge === false) return false;
  const role = roleOf(m.name);
  return role === 'errors' || (role === 'latency' && latency) || (m.judge === true && !!m.templateRef);
}

/**
 * The judged metric whose MetricTemplate gives the judge's count queries (the first judged metric
 * with a `templateRef`), or undefined when the judge reads the builtin count queries.
 */
export function judgedTemplateMetric(spec: CanarySpec): CanaryMetric | undefined {
  if (!judgeEnabled(spec)) return undefined;
  const latency = spec.analysis.judge?.latency !== undefined;
  return (spec.analysis.metrics ?? []).find((m) => m.templateRef && isJudged(m, latency));
}

/** Errors of `spec.analysis.judge` and of the metrics' `judge`, each naming its field. */
export function judgeErrors(canary: Canary): FieldError[] {
  const spec = canary.spec;
  if (!judgeEnabled(spec)) return [];
  const errors: FieldError[] = [];
  const { onHoldLimit: _action, ...raw } = spec.analysis.judge ?? {};
  let latency = false;
  try {
    latency = resolveJudgeSettings(raw, JUDGE_FIELD).latency !== undefined;
  } catch (err) {
    if (!(err instanceof JudgeInputError)) throw err;
    errors.push({ path: err.field, message: err.reason });
  }
  let template: { index: number; ref: string } | undefined;
  spec.analysis.metrics?.forEach((m, i) => {
    const path = `spec.analysis.metrics[${i}]`;
    const role = roleOf(m.name);
    if (m.judge !== undefined && !role && !m.templateRef) {
      errors.push({
        path: `${path}.judge`,
        message: `only the builtin request-success-rate (5xx) and request-duration (latency), or a metric with a templateRef whose MetricTemplate gives spec.countQueries, can be compared with the primary, not ${JSON.stringify(m.name)}`,
      });
      return;
    }
    if (m.judge === true && role === 'latency' && !latency)
      errors.push({
        path: `${path}.judge`,
        message: `judging request-duration needs ${JUDGE_FIELD}.latency.edgeMs, a bucket bound of the latency histogram`,
      });
    if (m.judge === false && role === 'errors')
      errors.push({
        path: `${path}.judge`,
        message: `the judge always compares 5xx (${JUDGE_FIELD} is set); remove ${JUDGE_FIELD} and every judge: true to turn it off`,
      });
    if (m.judge === false && role === 'latency' && latency)
      errors.push({
        path: `${path}.judge`,
        message: `${JUDGE_FIELD}.latency is set, which judges request-duration; remove it instead`,
      });
    if (!m.templateRef || !isJudged(m, latency)) return;
    const ref = `${m.templateRef.namespace ?? canary.metadata.namespace ?? ''}/${m.templateRef.name}`;
    if (template && template.ref !== ref)
      errors.push({
        path: `${path}.templateRef`,
        message: `the judge reads all its counts from one MetricTemplate's spec.countQueries: spec.analysis.metrics[${template.index}] names ${template.ref}, this metric ${ref}`,
      });
    template ??= { index: i, ref };
  });
  const provider = spec.provider;
  // With a template, its count queries stand in for the provider's builtin ones.
  if (provider !== undefined && !template) {
    const mesh = metricsMeshOf(provider) ?? provider;
    if (!COUNT_QUERY_MESHES.includes(mesh))
      errors.push({
        path: JUDGE_FIELD,
        message: `spec.provider ${JSON.stringify(provider)} has no builtin count queries for the judge; the providers that have them: ${COUNT_QUERY_MESHES.join(', ')}`,
      });
  }
  return errors;
}
