/**
 * Routing: do the router's objects carry the split Fledge intends for the current status, does
 * another VirtualService claim the canary's host, do the DestinationRule subsets select pods, and
 * do the gateways the routes bind to exist?
 */
import type { ResolvedCanary } from '../../../api/defaults.js';
import type { Phase } from '../../../api/schema/canary.js';
import { canaryShouldRun, sameRoutes } from '../../../controller/weights.js';
import type { DestinationRule, VirtualService } from '../../../routers/istio-objects.js';
import type { Routes } from '../../../routers/router.js';
import type { CanaryStatus } from '../../../api/schema/canary.js';
import { nameOf, selects, type Finding, type Pod } from './finding.js';

/** The cluster domain short hosts are completed with, as Istio does by default. */
const CLUSTER_DOMAIN = 'svc.cluster.local';

/** What {@link checkRouting} looks at. */
export interface RoutingInput {
  canary: ResolvedCanary;
  status: CanaryStatus;
  /** The split for the status (`routesFor`, the controller's own). */
  intended: Routes;
  /** The split the router reads from its objects, or why it could not. */
  current: { routes: Routes } | { error: string };
  /** What the router keeps the split in, e.g. `VirtualService ns/app`. */
  routerObject: string;
  /** The canary's VirtualService (Istio only). */
  virtualService: VirtualService | undefined;
  /** Every VirtualService that could be read (the namespace's, or all namespaces'). */
  virtualServices: VirtualService[];
  /** The canary's DestinationRules as stored. */
  destinationRules: DestinationRule[];
  /** The pods of the canary's namespace. */
  pods: Pod[];
  /** `namespace/name` of the Istio Gateways that exist among those referenced. */
  existingGateways: ReadonlySet<string>;
}

function describeRoutes(r: Routes): string {
  return `primary ${r.primary}% / canary ${r.canary}%${r.mirrored ? ' (mirrored)' : ''}`;
}

/** A host as Istio resolves it for a VirtualService in `namespace`. */
export function fullHost(host: string, namespace: string): string {
  if (host.includes('*')) return host;
  const parts = host.split('.');
  if (parts.length === 1) return `${host}.${namespace}.${CLUSTER_DOMAIN}`;
  if (parts.length === 2) return `${host}.${CLUSTER_DOMAIN}`;
  return host;
}

/** `namespace/name` of each gateway a VirtualService binds to (`mesh` for sidecars). */
export function gatewayRefs(vs: VirtualService): string[] {
  const ns = vs.metadata.namespace ?? 'default';
  return (vs.spec?.gateways?.length ? vs.spec.gateways : ['mesh']).map((g) =>
    g === 'mesh' || g.includes('/') ? g : `${ns}/${g}`,
  );
}

/** The phases before the router's objects exist. */
const NOT_ROUTED: ReadonlySet<Phase | undefined> = new Set([undefined, 'Initializing']);

function checkSplit(input: RoutingInput): Finding[] {
  if (NOT_ROUTED.has(input.status.phase)) return [];
  const phase = `${input.status.phase} at canary weight ${input.status.canaryWeight ?? 0}`;
  if ('error' in input.current) {
    return [
      {
        severity: 'error',
        area: 'routing',
        object: input.routerObject,
        saw: `the split cannot be read (${input.current.error}) while the canary is ${phase}`,
        fix: 'let the controller recreate it (check its logs), or restore the object Fledge wrote',
      },
    ];
  }
  if (sameRoutes(input.current.routes, input.intended)) return [];
  return [
    {
      severity: 'error',
      area: 'routing',
      object: input.routerObject,
      saw: `routes ${describeRoutes(input.current.routes)}, but the canary is ${phase}, which means ${describeRoutes(input.intended)}`,
      fix: 'another writer changed the split (a GitOps tool, a manual edit): stop it from managing these fields; the next tick restores them',
    },
  ];
}

function checkHosts(input: RoutingInput): Finding[] {
  const own = input.virtualService;
  if (!own) return [];
  const ns = input.canary.namespace;
  const hosts = new Set((own.spec?.hosts ?? []).map((h) => fullHost(h, ns)).filter((h) => !h.includes('*')));
  const gateways = new Set(gatewayRefs(own));
  const findings: Finding[] = [];
  for (const vs of input.virtualServices) {
    if (vs.metadata.namespace === ns && vs.metadata.name === own.metadata.name) continue;
    const theirNs = vs.metadata.namespace ?? 'default';
    const shared = (vs.spec?.hosts ?? []).map((h) => fullHost(h, theirNs)).filter((h) => hosts.has(h));
    const sharedGateways = gatewayRefs(vs).filter((g) => gateways.has(g));
    if (shared.length === 0 || sharedGateways.length === 0) continue;
    findings.push({
      severity: 'error',
      area: 'routing',
      object: nameOf(vs),
      saw: `claims host ${shared.join(', ')} on ${sharedGateways.join(', ')}, as ${nameOf(own)} does: Istio uses one of them and the split may never apply`,
      fix: `remove the host from ${nameOf(vs)} or merge its routes into the Canary (spec.service.match, headers, retries)`,
    });
  }
  return findings;
}

function checkSubsets(input: RoutingInput): Finding[] {
  const findings: Finding[] = [];
  const canaryRuns = canaryShouldRun(input.status);
  for (const dr of input.destinationRules) {
    for (const subset of dr.spec?.subsets ?? []) {
      // Between rollouts the canary runs no pods, so its subset selects none by design.
      if (subset.name === 'canary' && !canaryRuns) continue;
      const matched = input.pods.filter((p) => selects(subset.labels, p.metadata.labels ?? {}));
      if (matched.length > 0) continue;
      findings.push({
        severity: 'error',
        area: 'routing',
        object: nameOf(dr),
        saw: `subset ${subset.name} selects pods labelled ${JSON.stringify(subset.labels ?? {})} and no pod in ${input.canary.namespace} has them: its share of traffic gets 503 no healthy upstream`,
        fix: 'make the labels match the Deployment pod template, or check that the pods run',
      });
    }
  }
  return findings;
}

function checkGateways(input: RoutingInput): Finding[] {
  if (!input.virtualService) return [];
  return gatewayRefs(input.virtualService)
    .filter((g) => g !== 'mesh' && !input.existingGateways.has(g))
    .map((g) => ({
      severity: 'error' as const,
      area: 'routing' as const,
      object: nameOf(input.virtualService as VirtualService),
      saw: `binds to Gateway ${g}, which does not exist: traffic through it is not routed`,
      fix: `create Gateway ${g} or fix spec.service.gateways in the Canary`,
    }));
}

/** Finds routing that does not match what Fledge intends or that Istio cannot apply. */
export function checkRouting(input: RoutingInput): Finding[] {
  return [...checkSplit(input), ...checkHosts(input), ...checkSubsets(input), ...checkGateways(input)];
}
