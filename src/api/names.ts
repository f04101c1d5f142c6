/**
 * Kubernetes' name rules (apimachinery's `IsDNS1123Subdomain`, `IsDNS1123Label`, `IsDNS1035Label`),
 * checked by `fledge validate` and the controller for the names a Canary gives and the names of the
 * objects Fledge generates from them, and by the in-memory cluster on every create, so that what
 * tests see is what a real API server would refuse.
 */
import type { FieldError } from './field-error.js';
import type { CanarySpec } from './schema/canary.js';

/** Which rule a name follows. */
export type NameRule = 'subdomain' | 'label' | 'service';

const SUBDOMAIN_MAX = 253;
const LABEL_MAX = 63;
const LABEL = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
const SUBDOMAIN_RE = new RegExp(`^${LABEL}(\\.${LABEL})*$`);
const LABEL_RE = new RegExp(`^${LABEL}$`);
const DNS1035_RE = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

/**
 * Why Kubernetes would refuse `name` under `rule`, or undefined when it accepts it:
 * `subdomain` for most objects (Deployments, ConfigMaps, custom resources), `label` for namespaces,
 * `service` (DNS-1035 label) for the Services Fledge generates: the strictest rule across versions.
 */
export function nameProblem(name: string, rule: NameRule): string | undefined {
  const max = rule === 'subdomain' ? SUBDOMAIN_MAX : LABEL_MAX;
  if (name.length === 0) return 'must not be empty';
  if (name.length > max) return `must be at most ${max} characters (has ${name.length})`;
  switch (rule) {
    case 'subdomain':
      return SUBDOMAIN_RE.test(name)
        ? undefined
        : 'must be lowercase letters, digits, "-" and ".", starting and ending with a letter or digit (DNS-1123 subdomain)';
    case 'label':
      return LABEL_RE.test(name)
        ? undefined
        : 'must be lowercase letters, digits and "-", starting and ending with a letter or digit (DNS-1123 label)';
    case 'service':
      return DNS1035_RE.test(name)
        ? undefined
        : 'must be lowercase letters, digits and "-", starting with a letter and ending with a letter or digit (DNS-1035 label, as Kubernetes before the relaxed Service names requires)';
  }
}

/**
 * The rule the API server applies to the name of an object of `kind` (core group kinds only
 * differ). Recent Kubernetes (the local control plane the tests run is v1.36) takes a Service name
 * as a DNS-1123 label, which may start with a digit; `fledge validate` keeps the stricter DNS-1035
 * rule of older versions for the Services it generates, so a manifest it passes works on both.
 */
export function nameRuleOf(apiVersion: string, kind: string): NameRule {
  if (apiVersion === 'v1' && (kind === 'Service' || kind === 'Namespace')) return 'label';
  return 'subdomain';
}

/**
 * Names a Canary gives and the generated names derived from them, each with the rule the API
 * server applies: a target of 60 characters is a valid Deployment name, but `<target>-primary`
 * is not a valid Service name, and every rollout of it would fail at the first write.
 */
export function canaryNameErrors(spec: CanarySpec): FieldError[] {
  const errors: FieldError[] = [];
  const check = (path: string, name: string, rule: NameRule, what: string) => {
    const problem = nameProblem(name, rule);
    if (problem) errors.push({ path, message: `${what} ${problem}` });
  };
  const target = spec.targetRef.name;
  const apex = spec.service.name || target;
  const apexPath = spec.service.name ? 'spec.service.name' : 'spec.targetRef.name';
  check('spec.targetRef.name', target, 'subdomain', 'the target Deployment name');
  if (errors.length === 0) {
    check(
      'spec.targetRef.name',
      `${target}-primary`,
      'subdomain',
      `the generated Deployment "${target}-primary"`,
    );
  }
  const before = errors.length;
  check(apexPath, apex, 'service', `the apex Service name "${apex}"`);
  if (errors.length === before) {
    // `-canary` is the longer suffix: reporting it covers `-primary` too.
    check(apexPath, `${apex}-primary`, 'service', `the generated Service "${apex}-primary"`);
    if (errors.length === before)
      check(apexPath, `${apex}-canary`, 'service', `the generated Service "${apex}-canary"`);
  }
  if (spec.service.portName !== undefined) {
    check('spec.service.portName', spec.service.portName, 'label', 'the Service port name');
  }
  return errors;
}

/** Errors for `metadata.name` and `metadata.namespace` of a Fledge object (a custom resource). */
export function metadataNameErrors(metadata: { name: string; namespace?: string | undefined }): FieldError[] {
  const errors: FieldError[] = [];
  const name = nameProblem(metadata.name, 'subdomain');
  if (name) errors.push({ path: 'metadata.name', message: name });
  if (metadata.namespace !== undefined) {
    const namespace = nameProblem(metadata.namespace, 'label');
    if (namespace) errors.push({ path: 'metadata.namespace', message: namespace });
  }
  return errors;
}

/** Errors for a reference to an object by name (and namespace) at `path`. */
export function refNameErrors(
  path: string,
  ref: { name: string; namespace?: string | undefined },
): FieldError[] {
  const errors: FieldError[] = [];
  const name = nameProblem(ref.name, 'subdomain');
  if (name) errors.push({ path: `${path}.name`, message: name });
  if (ref.namespace) {
    const namespace = nameProblem(ref.namespace, 'label');
    if (namespace) errors.push({ path: `${path}.namespace`, message: namespace });
  }
  return errors;
}
