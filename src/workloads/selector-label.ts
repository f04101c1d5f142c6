/**
 * The pod label that tells the two versions apart. Flagger picks one label of the target's selector
 * and gives the primary's pods the same label with `-primary` appended to its value; the services
 * and (subset routing) the mesh select each version by it.
 */
import { describeKey } from '../kube/cluster.js';
import type { Deployment, PodTemplateSpec } from '../kube/resources.js';
import { InvalidTargetError } from './workload.js';

/** Selector labels that can tell the versions apart, in order of preference (Flagger's list). */
export const SELECTOR_LABELS = ['app', 'name', 'app.kubernetes.io/name'] as const;

/** Appended to names and to the selector label value of everything that belongs to the primary. */
export const PRIMARY_SUFFIX = '-primary';

/** The label that selects one version's pods. */
export interface SelectorLabel {
  key: string;
  /** Value on the target's (canary's) pods. */
  canaryValue: string;
  /** Value on the primary's pods: `<canaryValue>-primary`. */
  primaryValue: string;
}

/**
 * The first of {@link SELECTOR_LABELS} present in the target's `spec.selector.matchLabels`.
 * @throws InvalidTargetError when none is present
 */
export function selectorLabelOf(target: Deployment): SelectorLabel {
  const matchLabels = target.spec?.selector?.matchLabels ?? {};
  for (const key of SELECTOR_LABELS) {
    const value = matchLabels[key];
    if (value) return { key, canaryValue: value, primaryValue: `${value}${PRIMARY_SUFFIX}` };
  }
  throw new InvalidTargetError(
    `${describeKey({ kind: 'Deployment', namespace: target.metadata.namespace, name: target.metadata.name })}: ` +
      `spec.selector.matchLabels must contain one of the labels ${SELECTOR_LABELS.join(', ')} ` +
      `to tell the primary and canary pods apart`,
  );
}

/** The pod template with the selector label set to the primary's value. */
export function relabelTemplate(template: PodTemplateSpec, label: SelectorLabel): PodTemplateSpec {
  return {
    ...template,
    metadata: {
      ...template.metadata,
      labels: { ...template.metadata?.labels, [label.key]: label.primaryValue },
    },
  };
}

/**
 * Subset routing: the labels both versions' pods carry, which the apex service selects by. The
 * selector label is left out (its value differs by design), and so is any label whose value differs
 * between the two templates (a `version` label during a rollout).
 * @throws InvalidTargetError when no label is shared
 */
export function sharedPodLabels(
  target: Deployment,
  label: SelectorLabel,
  primaryTemplate: PodTemplateSpec | undefined,
): Record<string, string> {
  const targetLabels = target.spec.template.metadata?.labels ?? {};
  const primaryLabels = primaryTemplate?.metadata?.labels;
  const shared = Object.entries(targetLabels).filter(
    ([k, v]) => k !== label.key && (primaryLabels === undefined || primaryLabels[k] === v),
  );
  if (shared.length === 0) {
    throw new InvalidTargetError(
      `${describeKey({ kind: 'Deployment', namespace: target.metadata.namespace, name: target.metadata.name })}: ` +
        `spec.service.subsetRouting needs a pod label shared by both versions (for example ` +
        `app.kubernetes.io/part-of) in spec.template.metadata.labels of the target, besides ${label.key}`,
    );
  }
  return Object.fromEntries(shared);
}
