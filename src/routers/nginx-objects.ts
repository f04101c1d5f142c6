/**
 * The NGINX objects of one canary, as pure functions: the canary Ingress `<ingress>-canary` that
 * copies the user's Ingress (`spec.ingressRef`) with its backend `<apex>` replaced by
 * `<apex>-canary`, and the canary annotations that carry the split (Flagger's
 * `pkg/router/ingress.go`):
 * - weight 0: `canary: "false"` (the canary Ingress is off, NGINX ignores it);
 * - canary and blue/green: `canary: "true"`, `canary-weight: W`;
 * - A/B testing: `canary: "true"` with `canary-by-header` (+ `-value` or `-pattern`) and/or
 *   `canary-by-cookie`, and no weight: only matched requests reach the canary.
 * No I/O here; `nginx.ts` reads and writes.
 */
import type { ResolvedCanary } from '../api/defaults.js';
import { nginxMatchOf, type NginxMatch } from '../api/nginx-match.js';
import { formatFieldError } from '../api/validate.js';
import { describeKey, keyOf, type KubeObject, type ObjectKey } from '../kube/cluster.js';
import { API, objectKey } from '../kube/resources.js';
import { ORIGINAL_CONFIGURATION_ANNOTATION, type DesiredObject } from './owned-object.js';
import { RouterError, type Routes } from './router.js';

/** The annotation prefix of the NGINX ingress controller (`--annotations-prefix` there). */
export const DEFAULT_INGRESS_ANNOTATIONS_PREFIX = 'nginx.ingress.kubernetes.io';

/** An annotation prefix NGINX accepts: a DNS subdomain (no `/`). */
const PREFIX = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** Why `prefix` cannot prefix an annotation name; undefined when it can. */
export function annotationsPrefixProblem(prefix: string): string | undefined {
  if (prefix.length <= 253 && PREFIX.test(prefix)) return undefined;
  return `${JSON.stringify(prefix)} must be a DNS subdomain such as ${DEFAULT_INGRESS_ANNOTATIONS_PREFIX}`;
}

/** Spec fields of an Ingress Fledge copies into the canary Ingress (and so owns there). */
const INGRESS_SPEC_FIELDS = ['ingressClassName', 'defaultBackend', 'rules', 'tls'] as const;

/** kubectl's copy of the applied object: it describes the user's Ingress, not the copy. */
const KUBECTL_LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

/** An Ingress backend; only the service name is read. */
export interface IngressBackend {
  service?: { name?: string; port?: { number?: number; name?: string } };
  [key: string]: unknown;
}

/** A `networking.k8s.io/v1` Ingress; only the fields Fledge reads are typed. */
export interface Ingress extends KubeObject {
  spec?: {
    ingressClassName?: string;
    defaultBackend?: IngressBackend;
    rules?: { host?: string; http?: { paths?: { backend?: IngressBackend; [key: string]: unknown }[] } }[];
    tls?: unknown[];
    [key: string]: unknown;
  };
}

/** What a new canary Ingress starts with: everything on the primary. */
export const INITIAL_ROUTES: Readonly<Routes> = Object.freeze({ primary: 100, canary: 0, mirrored: false });

/** The full names of the canary annotations under a prefix. */
export function canaryAnnotationKeys(prefix: string) {
  return {
    canary: `${prefix}/canary`,
    weight: `${prefix}/canary-weight`,
    header: `${prefix}/canary-by-header`,
    headerValue: `${prefix}/canary-by-header-value`,
    headerPattern: `${prefix}/canary-by-header-pattern`,
    cookie: `${prefix}/canary-by-cookie`,
  };
}

/** Whether an annotation is one of NGINX's canary annotations (`<prefix>/canary*`). */
function isCanaryAnnotation(key: string, prefix: string): boolean {
  return key.startsWith(`${prefix}/canary`);
}

/** The user's Ingress the canary copies. */
export function ingressKey(canary: ResolvedCanary): ObjectKey {
  return objectKey(API.ingress, canary.namespace, ingressRefName(canary));
}

/** The canary Ingress `<ingress>-canary`. */
export function canaryIngressKey(canary: ResolvedCanary): ObjectKey {
  return objectKey(API.ingress, canary.namespace, `${ingressRefName(canary)}-canary`);
}

/**
 * `spec.ingressRef.name`; validation requires it with `spec.provider: nginx`, this also covers a
 * provider that comes from `--mesh-provider`.
 */
function ingressRefName(canary: ResolvedCanary): string {
  const name = canary.spec.ingressRef?.name;
  if (!name) {
    throw new RouterError(
      `Canary ${canary.namespace}/${canary.name}: spec.ingressRef is required with provider nginx (the Ingress whose canary copy Fledge writes)`,
    );
  }
  return name;
}

/** The NGINX routing of the A/B matches; a RouterError names what NGINX cannot express. */
export function abMatchOf(canary: ResolvedCanary): NginxMatch | undefined {
  if (canary.analysis.strategy !== 'ab-testing') return undefined;
  const { match, errors } = nginxMatchOf(canary.analysis.match, 'spec.analysis.match');
  if (errors.length > 0) {
    throw new RouterError(
      `Canary ${canary.namespace}/${canary.name}: ${errors.map(formatFieldError).join('; ')}`,
    );
  }
  return match;
}

/** Checks the routing before anything is written (the ingressRef, the matches). */
export function checkNginxSpec(canary: ResolvedCanary): void {
  ingressRefName(canary);
  abMatchOf(canary);
}

/** The canary annotations for a split. */
export function canaryAnnotations(
  canary: ResolvedCanary,
  routes: Routes,
  prefix: string,
): Record<string, string> {
  const keys = canaryAnnotationKeys(prefix);
  if (routes.canary <= 0) return { [keys.canary]: 'false' };
  const match = abMatchOf(canary);
  if (!match) return { [keys.canary]: 'true', [keys.weight]: String(routes.canary) };
  return {
    [keys.canary]: 'true',
    ...(match.header !== undefined ? { [keys.header]: match.header } : {}),
    ...(match.headerValue !== undefined ? { [keys.headerValue]: match.headerValue } : {}),
    ...(match.headerPattern !== undefined ? { [keys.headerPattern]: match.headerPattern } : {}),
    ...(match.cookie !== undefined ? { [keys.cookie]: match.cookie } : {}),
  };
}

/** A backend pointing at the apex Service, pointed at the canary Service instead. */
function retarget(backend: IngressBackend | undefined, apex: string, canaryService: string) {
  if (backend?.service?.name !== apex) return { backend, found: false };
  return { backend: { ...backend, service: { ...backend.service, name: canaryService } }, found: true };
}

/** The user's spec with every backend `<apex>` replaced by `<apex>-canary`. */
function canarySpec(canary: ResolvedCanary, ingress: Ingress): Record<string, unknown> {
  const { apex, canaryService } = canary.names;
  const spec = structuredClone(ingress.spec ?? {});
  let found = false;
  if (spec.defaultBackend) {
    const r = retarget(spec.defaultBackend, apex, canaryService);
    found ||= r.found;
    if (r.backend) spec.defaultBackend = r.backend;
  }
  for (const rule of Array.isArray(spec.rules) ? spec.rules : []) {
    for (const path of Array.isArray(rule?.http?.paths) ? rule.http.paths : []) {
      const r = retarget(path?.backend, apex, canaryService);
      found ||= r.found;
      if (r.found && r.backend) path.backend = r.backend;
    }
  }
  if (!found) {
    throw new RouterError(
      `${describeKey(keyOf(ingress))} (spec.ingressRef) has no backend service ${apex}: the canary copy would not reach ${canaryService}`,
    );
  }
  return spec;
}

/**
 * What the canary Ingress should be: the user's labels, annotations (without NGINX's canary ones
 * and kubectl's copy) and spec retargeted at the canary Service, with the canary annotations of
 * `routes`. Canary annotations stored but not wanted (left from another strategy) are removed.
 */
export function buildCanaryIngress(
  canary: ResolvedCanary,
  ingress: Ingress,
  routes: Routes,
  prefix: string,
  current: Ingress | undefined,
): DesiredObject {
  const own = canaryAnnotations(canary, routes, prefix);
  const copied = Object.entries(ingress.metadata.annotations ?? {}).filter(
    ([key]) =>
      !isCanaryAnnotation(key, prefix) &&
      key !== KUBECTL_LAST_APPLIED &&
      key !== ORIGINAL_CONFIGURATION_ANNOTATION,
  );
  const spec = canarySpec(canary, ingress);
  return {
    key: canaryIngressKey(canary),
    labels: { ...(ingress.metadata.labels ?? {}) },
    annotations: { ...Object.fromEntries(copied), ...own },
    removedAnnotations: Object.keys(current?.metadata.annotations ?? {}).filter(
      (key) => isCanaryAnnotation(key, prefix) && !Object.hasOwn(own, key),
    ),
    spec,
    ownedSpecFields: [...new Set([...INGRESS_SPEC_FIELDS, ...Object.keys(spec)])],
  };
}

/**
 * The split a canary Ingress carries: none while `canary` is not "true"; with A/B testing all
 * matched traffic while a header or cookie annotation is set; otherwise `canary-weight`.
 */
export function readRoutes(canary: ResolvedCanary, stored: Ingress, prefix: string): Routes {
  const keys = canaryAnnotationKeys(prefix);
  const annotations = stored.metadata.annotations ?? {};
  if (annotations[keys.canary] !== 'true') return { ...INITIAL_ROUTES };
  if (
    canary.analysis.strategy === 'ab-testing' &&
    (annotations[keys.header] !== undefined || annotations[keys.cookie] !== undefined)
  ) {
    return { primary: 0, canary: 100, mirrored: false };
  }
  const text = annotations[keys.weight];
  if (text === undefined) return { ...INITIAL_ROUTES };
  const weight = Number(text);
  if (!/^\d+$/.test(text) || weight > 100) {
    throw new RouterError(
      `${describeKey(keyOf(stored))}: annotation ${keys.weight} must be an integer from 0 to 100 (got ${JSON.stringify(text)})`,
    );
  }
  return { primary: 100 - weight, canary: weight, mirrored: false };
}
