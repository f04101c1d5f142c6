/**
 * The ConfigMaps and Secrets a pod spec references (volumes, projected volumes, `env[].valueFrom`,
 * `envFrom`, in containers and init containers), and the rewrite that points the primary at its
 * `-primary` copies. Pure functions: reading and copying the objects is `config-tracker.ts`.
 */
import type { Container, PodSpec } from '../kube/resources.js';
import { PRIMARY_SUFFIX } from './selector-label.js';

export type ConfigKind = 'configmap' | 'secret';

/** One place in a pod spec that references a ConfigMap or Secret. */
export interface ConfigRef {
  kind: ConfigKind;
  name: string;
  /** The reference says the pod may start without the object. */
  optional: boolean;
  /** Where the reference is, e.g. `spec.template.spec.containers[0].envFrom[1].configMapRef`. */
  field: string;
}

/** `configmap/NAME` or `secret/NAME`: the key of `status.trackedConfigs`. */
export function configKey(kind: ConfigKind, name: string): string {
  return `${kind}/${name}`;
}

const TEMPLATE_SPEC = 'spec.template.spec';

function containerRefs(containers: Container[] | undefined, path: string): ConfigRef[] {
  const refs: ConfigRef[] = [];
  (containers ?? []).forEach((c, i) => {
    const at = `${path}[${i}]`;
    (c.env ?? []).forEach((env, j) => {
      const cm = env.valueFrom?.configMapKeyRef;
      const secret = env.valueFrom?.secretKeyRef;
      const field = `${at}.env[${j}].valueFrom`;
      if (cm?.name)
        refs.push({
          kind: 'configmap',
          name: cm.name,
          optional: cm.optional === true,
          field: `${field}.configMapKeyRef`,
        });
      if (secret?.name)
        refs.push({
          kind: 'secret',
          name: secret.name,
          optional: secret.optional === true,
          field: `${field}.secretKeyRef`,
        });
    });
    (c.envFrom ?? []).forEach((from, j) => {
      const field = `${at}.envFrom[${j}]`;
      if (from.configMapRef?.name)
        refs.push({
          kind: 'configmap',
          name: from.configMapRef.name,
          optional: from.configMapRef.optional === true,
          field: `${field}.configMapRef`,
        });
      if (from.secretRef?.name)
        refs.push({
          kind: 'secret',
          name: from.secretRef.name,
          optional: from.secretRef.optional === true,
          field: `${field}.secretRef`,
        });
    });
  });
  return refs;
}

/** Every reference in the pod spec, in document order (an object may appear more than once). */
export function findConfigRefs(spec: PodSpec): ConfigRef[] {
  const refs: ConfigRef[] = [];
  (spec.volumes ?? []).forEach((v, i) => {
    const at = `${TEMPLATE_SPEC}.volumes[${i}]`;
    if (v.configMap?.name)
      refs.push({
        kind: 'configmap',
        name: v.configMap.name,
        optional: v.configMap.optional === true,
        field: `${at}.configMap`,
      });
    if (v.secret?.secretName)
      refs.push({
        kind: 'secret',
        name: v.secret.secretName,
        optional: v.secret.optional === true,
        field: `${at}.secret`,
      });
    (v.projected?.sources ?? []).forEach((source, j) => {
      const field = `${at}.projected.sources[${j}]`;
      if (source.configMap?.name)
        refs.push({
          kind: 'configmap',
          name: source.configMap.name,
          optional: source.configMap.optional === true,
          field: `${field}.configMap`,
        });
      if (source.secret?.name)
        refs.push({
          kind: 'secret',
          name: source.secret.name,
          optional: source.secret.optional === true,
          field: `${field}.secret`,
        });
    });
  });
  refs.push(...containerRefs(spec.initContainers, `${TEMPLATE_SPEC}.initContainers`));
  refs.push(...containerRefs(spec.containers, `${TEMPLATE_SPEC}.containers`));
  return refs;
}

/** The referenced objects, once each: optional only when every reference to it is optional. */
export function uniqueConfigRefs(refs: ConfigRef[]): ConfigRef[] {
  const byKey = new Map<string, ConfigRef>();
  for (const ref of refs) {
    const key = configKey(ref.kind, ref.name);
    const seen = byKey.get(key);
    if (!seen) byKey.set(key, ref);
    else if (seen.optional && !ref.optional) byKey.set(key, ref);
  }
  return [...byKey.values()];
}

function primaryName(kind: ConfigKind, name: string, copied: ReadonlySet<string>): string {
  return copied.has(configKey(kind, name)) ? `${name}${PRIMARY_SUFFIX}` : name;
}

function rewriteContainers(containers: Container[] | undefined, copied: ReadonlySet<string>): void {
  for (const c of containers ?? []) {
    for (const env of c.env ?? []) {
      const cm = env.valueFrom?.configMapKeyRef;
      const secret = env.valueFrom?.secretKeyRef;
      if (cm?.name) cm.name = primaryName('configmap', cm.name, copied);
      if (secret?.name) secret.name = primaryName('secret', secret.name, copied);
    }
    for (const from of c.envFrom ?? []) {
      if (from.configMapRef?.name)
        from.configMapRef.name = primaryName('configmap', from.configMapRef.name, copied);
      if (from.secretRef?.name) from.secretRef.name = primaryName('secret', from.secretRef.name, copied);
    }
  }
}

/**
 * A copy of the pod spec whose references to the copied objects point at their `-primary` copies.
 * @param copied keys ({@link configKey}) of the objects that have a `-primary` copy; others are left as they are
 */
export function rewriteConfigRefs(spec: PodSpec, copied: ReadonlySet<string>): PodSpec {
  const out = structuredClone(spec);
  for (const v of out.volumes ?? []) {
    if (v.configMap?.name) v.configMap.name = primaryName('configmap', v.configMap.name, copied);
    if (v.secret?.secretName) v.secret.secretName = primaryName('secret', v.secret.secretName, copied);
    for (const source of v.projected?.sources ?? []) {
      if (source.configMap?.name)
        source.configMap.name = primaryName('configmap', source.configMap.name, copied);
      if (source.secret?.name) source.secret.name = primaryName('secret', source.secret.name, copied);
    }
  }
  rewriteContainers(out.initContainers, copied);
  rewriteContainers(out.containers, copied);
  return out;
}
