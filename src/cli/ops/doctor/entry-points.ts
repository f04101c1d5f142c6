/**
 * Where traffic enters for the routers that are not a mesh: an HTTPRoute attaches to the Gateways
 * of its `parentRefs`, an Ingress is served by the controller of its IngressClass. A Gateway that
 * does not exist, or a class no controller has, leaves the split Fledge writes unused: the route
 * looks right and no request follows it.
 */
import type { HttpRoute } from '../../../routers/gateway-api-objects.js';
import type { Ingress } from '../../../routers/nginx-objects.js';
import type { KubeObject } from '../../../kube/cluster.js';
import { nameOf, type Finding } from './finding.js';

/** The API group of Gateway API parents that are Gateways (a mesh parent is a Service). */
const GATEWAY_GROUP = 'gateway.networking.k8s.io';

/** The annotation that makes an IngressClass the one of Ingresses that name none. */
export const DEFAULT_CLASS_ANNOTATION = 'ingressclass.kubernetes.io/is-default-class';

/** The annotation that named the class before `spec.ingressClassName`; controllers still honour it. */
const LEGACY_CLASS_ANNOTATION = 'kubernetes.io/ingress.class';

/** A `networking.k8s.io/v1` IngressClass. */
export interface IngressClass extends KubeObject {
  spec?: { controller?: string };
}

/** `namespace/name` of each Gateway an HTTPRoute names in `parentRefs` (other parent kinds skipped). */
export function gatewayParents(route: HttpRoute): string[] {
  const ns = route.metadata.namespace ?? 'default';
  return (route.spec?.parentRefs ?? [])
    .filter((p) => (p.group ?? GATEWAY_GROUP) === GATEWAY_GROUP && (p.kind ?? 'Gateway') === 'Gateway')
    .map((p) => `${p.namespace ?? ns}/${p.name}`);
}

/** What {@link checkGatewayParents} looks at. */
export interface GatewayParentsInput {
  /** The canary's HTTPRoute as stored; undefined when missing (the split check reports that). */
  httpRoute: HttpRoute | undefined;
  /** `namespace/name` of the Gateways that exist among those its parentRefs name. */
  existingGateways: ReadonlySet<string>;
}

/** Finds the Gateways an HTTPRoute attaches to that do not exist. */
export function checkGatewayParents(input: GatewayParentsInput): Finding[] {
  const route = input.httpRoute;
  if (!route) return [];
  return gatewayParents(route)
    .filter((g) => !input.existingGateways.has(g))
    .map((g) => ({
      severity: 'error' as const,
      area: 'routing' as const,
      object: nameOf(route),
      saw: `parentRefs names Gateway ${g}, which does not exist: the route is attached to nothing and no request follows its split`,
      fix: `create Gateway ${g} or fix spec.service.gatewayRefs in the Canary`,
    }));
}

/** What {@link checkIngressClass} looks at. */
export interface IngressClassInput {
  /** The user's Ingress (`spec.ingressRef`), whose class the canary copy shares. */
  ingress: Ingress | undefined;
  /** Every IngressClass; undefined when they could not be listed (a read finding says so). */
  ingressClasses: IngressClass[] | undefined;
}

/** Finds an Ingress that names an IngressClass that does not exist, or names none with no default. */
export function checkIngressClass(input: IngressClassInput): Finding[] {
  const { ingress, ingressClasses: classes } = input;
  if (!ingress || !classes) return [];
  const named = ingress.spec?.ingressClassName;
  const existing = classes.map((c) => c.metadata.name).sort();
  const known =
    existing.length > 0
      ? `: one of ${existing.join(', ')}`
      : ' (none exists: is the ingress controller installed?)';
  if (named !== undefined) {
    if (existing.includes(named)) return [];
    return [
      {
        severity: 'error',
        area: 'routing',
        object: nameOf(ingress),
        saw: `spec.ingressClassName names IngressClass ${named}, which does not exist: no ingress controller serves this Ingress or its canary copy`,
        fix: `create IngressClass ${named} (installing the NGINX ingress controller does), or set spec.ingressClassName to a class that exists${known}`,
      },
    ];
  }
  if (ingress.metadata.annotations?.[LEGACY_CLASS_ANNOTATION] !== undefined) return [];
  if (classes.some((c) => c.metadata.annotations?.[DEFAULT_CLASS_ANNOTATION] === 'true')) return [];
  return [
    {
      severity: 'error',
      area: 'routing',
      object: nameOf(ingress),
      saw: `names no IngressClass (spec.ingressClassName) and no IngressClass is marked default (${DEFAULT_CLASS_ANNOTATION}): no ingress controller serves this Ingress or its canary copy`,
      fix: `set spec.ingressClassName in ${nameOf(ingress)}${known}, or mark a class default`,
    },
  ];
}
