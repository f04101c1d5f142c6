/**
 * Rules across the fields of a Canary that its schema cannot express: errors for what cannot work,
 * warnings for what Flagger accepts with a meaning users may not expect (Fledge gives it the same
 * meaning and says so).
 */
import { BUILTIN_METRIC_NAMES } from './builtin-metrics.js';
import { durationErrors, durationWarnings } from './bounds.js';
import { quote, type FieldError } from './field-error.js';
import { canaryNameErrors, refNameErrors } from './names.js';
import { providerIgnoredWarnings, providerStrategyErrors } from './provider-rules.js';
import { delegationErrors, sessionAffinityErrors } from './routing-rules.js';
import { SMI_FORMS_HINT, providerFamily } from './providers.js';
import { IMPLEMENTED_PROVIDERS, KNOWN_PROVIDERS, type Canary } from './schema/canary.js';
import { trafficSplitErrors, trafficSplitWarnings } from './traffic-split-rules.js';
import { gatewayApiErrors, gatewayApiWarnings, isGatewayApiProvider } from './gateway-api-rules.js';
import { unsupportedFieldErrors, ignoredFieldWarnings } from './unsupported.js';
import { judgeErrors } from './judge-rules.js';
import { httpUrlProblem } from './urls.js';
import { webhookErrors } from './webhook-rules.js';

function isBuiltin(name: string): boolean {
  return (BUILTIN_METRIC_NAMES as readonly string[]).includes(name);
}

function providerErrors(canary: Canary): FieldError[] {
  const spec = canary.spec;
  const errors: FieldError[] = [];
  if (spec.provider !== undefined) {
    // An SMI form's mesh qualifier (`smi:v1alpha2:osm`) is checked with its family.
    const family = providerFamily(spec.provider);
    if (!(KNOWN_PROVIDERS as readonly string[]).includes(family)) {
      errors.push({
        path: 'spec.provider',
        message: spec.provider.startsWith('smi:')
          ? `unknown provider ${quote(spec.provider)}: ${SMI_FORMS_HINT}`
          : `unknown provider ${quote(spec.provider)} (known: ${KNOWN_PROVIDERS.join(', ')})`,
      });
    } else if (!(IMPLEMENTED_PROVIDERS as readonly string[]).includes(family)) {
      errors.push({
        path: 'spec.provider',
        message: `provider "${spec.provider}" is not supported by this version of Fledge (supported: ${IMPLEMENTED_PROVIDERS.join(', ')})`,
      });
    }
  }
  if (spec.targetRef.kind === 'DaemonSet') {
    errors.push({
      path: 'spec.targetRef.kind',
      message: 'DaemonSet targets are not supported by this version of Fledge (supported: Deployment)',
    });
  }
  if (spec.metricsServer !== undefined) {
    const problem = httpUrlProblem(spec.metricsServer);
    if (problem) errors.push({ path: 'spec.metricsServer', message: problem });
  }
  return errors;
}

function strategyErrors(canary: Canary): FieldError[] {
  const a = canary.spec.analysis;
  const errors: FieldError[] = [];
  const add = (path: string, message: string) => errors.push({ path, message });
  const abTesting = a.match !== undefined && a.match.length > 0;
  if (a.iterations === undefined) {
    if (a.stepWeight !== undefined && a.stepWeights !== undefined) {
      add('spec.analysis.stepWeights', 'set either stepWeight or stepWeights, not both');
    }
    if (abTesting) {
      add(
        'spec.analysis.iterations',
        'is required with analysis.match (A/B testing runs a number of iterations)',
      );
    } else if (a.stepWeight === undefined && a.stepWeights === undefined) {
      add(
        'spec.analysis',
        'set stepWeight or stepWeights (canary strategy), or iterations (blue/green, A/B testing)',
      );
    }
    a.stepWeights?.forEach((w, i) => {
      const prev = a.stepWeights?.[i - 1];
      if (prev !== undefined && w <= prev) {
        add(`spec.analysis.stepWeights[${i}]`, `must be greater than the previous step (${w} <= ${prev})`);
      }
    });
    if (a.stepWeight !== undefined && a.stepWeights === undefined && a.maxWeight !== undefined) {
      if (a.stepWeight > a.maxWeight)
        add('spec.analysis.stepWeight', `must not exceed maxWeight (${a.stepWeight} > ${a.maxWeight})`);
    }
  }
  if (a.mirror && abTesting)
    add('spec.analysis.mirror', 'cannot be combined with analysis.match (A/B testing)');
  return errors;
}

/** An error for each item of `list` (at `spec.analysis.<field>`) whose name an earlier item has. */
function duplicateNameErrors(
  field: 'metrics' | 'webhooks',
  list: readonly { name: string }[] = [],
): FieldError[] {
  const errors: FieldError[] = [];
  const names = new Map<string, number>();
  const what = field === 'metrics' ? 'metric' : 'webhook';
  list.forEach((item, i) => {
    const seen = names.get(item.name);
    if (seen !== undefined) {
      errors.push({
        path: `spec.analysis.${field}[${i}].name`,
        message: `duplicate ${what} name ${quote(item.name)} (also ${field}[${seen}])`,
      });
    }
    names.set(item.name, i);
  });
  return errors;
}

function metricErrors(canary: Canary): FieldError[] {
  const errors = duplicateNameErrors('metrics', canary.spec.analysis.metrics);
  canary.spec.analysis.metrics?.forEach((m, i) => {
    const path = `spec.analysis.metrics[${i}]`;
    if (!isBuiltin(m.name) && !m.templateRef && !m.query) {
      errors.push({
        path,
        message: `${quote(m.name)} is not a builtin metric (${BUILTIN_METRIC_NAMES.join(', ')}): set templateRef or query`,
      });
    }
    if (m.templateRef && m.query)
      errors.push({ path: `${path}.query`, message: 'set either templateRef or query, not both' });
    if (m.templateRef) errors.push(...refNameErrors(`${path}.templateRef`, m.templateRef));
    const r = m.thresholdRange;
    if (r && r.min === undefined && r.max === undefined)
      errors.push({ path: `${path}.thresholdRange`, message: 'set min, max or both' });
    if (r?.min !== undefined && r.max !== undefined && r.min > r.max) {
      errors.push({
        path: `${path}.thresholdRange`,
        message: `min must not exceed max (${r.min} > ${r.max})`,
      });
    }
  });
  return errors;
}

function webhookAndAlertErrors(canary: Canary): FieldError[] {
  const errors = duplicateNameErrors('webhooks', canary.spec.analysis.webhooks);
  canary.spec.analysis.webhooks?.forEach((h, i) =>
    errors.push(...webhookErrors(`spec.analysis.webhooks[${i}]`, h)),
  );
  canary.spec.analysis.alerts?.forEach((alert, i) =>
    errors.push(...refNameErrors(`spec.analysis.alerts[${i}].providerRef`, alert.providerRef)),
  );
  return errors;
}

/** The API group each autoscaler kind lives in: `apiVersion`, when set, must be in it. */
const AUTOSCALER_GROUPS: Record<string, string> = {
  HorizontalPodAutoscaler: 'autoscaling',
  ScaledObject: 'keda.sh',
};

/** `autoscalerRef` rules across its fields (its kind is checked by the schema). */
function autoscalerRefErrors(canary: Canary): FieldError[] {
  const ref = canary.spec.autoscalerRef;
  if (!ref) return [];
  const errors: FieldError[] = [];
  const group = AUTOSCALER_GROUPS[ref.kind];
  if (group && ref.apiVersion !== undefined && ref.apiVersion.split('/')[0] !== group) {
    errors.push({
      path: 'spec.autoscalerRef.apiVersion',
      message: `${ref.apiVersion} does not serve ${ref.kind} (use ${group === 'autoscaling' ? 'autoscaling/v2' : 'keda.sh/v1alpha1'})`,
    });
  }
  if (ref.primaryScalerQueries !== undefined && ref.kind !== 'ScaledObject') {
    errors.push({
      path: 'spec.autoscalerRef.primaryScalerQueries',
      message: `only applies to a ScaledObject's triggers, not to a ${ref.kind}; remove it`,
    });
  }
  const r = ref.primaryScalerReplicas;
  if (r?.minReplicas !== undefined && r.maxReplicas !== undefined && r.minReplicas > r.maxReplicas) {
    errors.push({
      path: 'spec.autoscalerRef.primaryScalerReplicas.minReplicas',
      message: `must not exceed maxReplicas (${r.minReplicas} > ${r.maxReplicas})`,
    });
  }
  return errors;
}

/** Errors of a schema-valid Canary: what the controller refuses to run. */
export function validateCanaryRules(canary: Canary): FieldError[] {
  return [
    ...providerErrors(canary),
    ...autoscalerRefErrors(canary),
    ...canaryNameErrors(canary.spec),
    ...strategyErrors(canary),
    ...providerStrategyErrors(canary),
    ...metricErrors(canary),
    ...judgeErrors(canary),
    ...webhookAndAlertErrors(canary),
    ...durationErrors(canary),
    ...sessionAffinityErrors(canary),
    ...delegationErrors(canary),
    ...unsupportedFieldErrors(canary),
    ...trafficSplitErrors(canary),
    ...(isGatewayApiProvider(canary.spec.provider) ? gatewayApiErrors(canary.spec) : []),
  ];
}

/**
 * Warnings of a valid Canary: combinations Flagger accepts and Fledge runs with Flagger's meaning,
 * which is rarely what was meant.
 */
export function canaryWarnings(canary: Canary): FieldError[] {
  const a = canary.spec.analysis;
  const warnings: FieldError[] = [];
  const add = (path: string, message: string) => warnings.push({ path, message });
  if (a.iterations !== undefined) {
    const strategy = a.match && a.match.length > 0 ? 'A/B testing' : 'blue/green';
    for (const field of ['stepWeight', 'stepWeights', 'maxWeight'] as const) {
      if (a[field] !== undefined)
        add(`spec.analysis.${field}`, `is ignored: iterations selects ${strategy}, as in Flagger`);
    }
  } else if (a.stepWeights && a.maxWeight !== undefined) {
    const last = a.stepWeights[a.stepWeights.length - 1];
    add(
      'spec.analysis.maxWeight',
      `is ignored: with stepWeights the last step (${last}) is the max weight, as in Flagger`,
    );
  }
  if (a.mirrorWeight !== undefined && !a.mirror) {
    add('spec.analysis.mirrorWeight', 'has no effect without analysis.mirror: true');
  }
  a.metrics?.forEach((m, i) => {
    const path = `spec.analysis.metrics[${i}]`;
    if (!m.thresholdRange && m.threshold === undefined) {
      add(
        `${path}.thresholdRange`,
        m.name === 'request-success-rate'
          ? 'is not set: as in Flagger the check is "value >= 0", which always passes; set thresholdRange.min'
          : 'is not set: as in Flagger the check is "value <= 0", which fails for any value above 0; set thresholdRange',
      );
    }
    if (isBuiltin(m.name) && (m.query || m.templateRef)) {
      const other = m.query ? 'query' : 'templateRef';
      add(
        `${path}.${other}`,
        `runs besides the builtin ${m.name} query, as in Flagger: both must pass; rename the metric to run only the ${other}`,
      );
    }
  });
  return [
    ...warnings,
    ...durationWarnings(canary),
    ...(isGatewayApiProvider(canary.spec.provider) ? gatewayApiWarnings(canary.spec) : []),
    ...ignoredFieldWarnings(canary),
    ...providerIgnoredWarnings(canary),
    ...trafficSplitWarnings(canary),
  ];
}
