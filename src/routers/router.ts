/**
 * The router port: how Fledge splits traffic between the primary and the canary. One
 * implementation per mesh or ingress (`istio.ts`, later `linkerd.ts`, `gateway-api.ts`, ...),
 * chosen by `factory.ts`.
 */
import type { ResolvedCanary } from '../api/defaults.js';
import type { TickReads } from '../kube/tick-reads.js';

/** A traffic split. Weights are percentages and add up to 100. */
export interface Routes {
  primary: number;
  canary: number;
  /** Whether primary traffic is mirrored to the canary (blue/green with `analysis.mirror`). */
  mirrored: boolean;
  /**
   * Session affinity (`analysis.sessionAffinity`): the cookies the routes match and set, each as
   * `name=value` (Flagger's `status.sessionAffinityCookie` and friends). Absent without it.
   */
  cookies?: SessionCookies;
}

/** The cookies of session affinity, each `name=value`; a missing one has no route. */
export interface SessionCookies {
  /** Issued by the canary while it gets traffic; requests carrying it go to the canary. */
  canary?: string;
  /** The canary cookie of the rollout before: requests carrying it are told to drop it. */
  previous?: string;
  /** Issued by the primary while the canary gets traffic; requests carrying it stay on the primary. */
  primary?: string;
}

/** Everything a router needs to know about the workloads behind the routes. */
export interface RouteTargets {
  /**
   * Subset routing (`service.subsetRouting`): the pod labels that select each version. Host routing
   * ignores them (each version has its own service).
   */
  primaryLabels: Record<string, string>;
  canaryLabels: Record<string, string>;
}

export interface Router {
  /**
   * Creates or updates the mesh objects to match the Canary spec (hosts, gateways, retries, traffic
   * policy, ...) while keeping the current weights. Writes nothing when they already match.
   */
  reconcile(canary: ResolvedCanary, targets: RouteTargets, reads?: TickReads): Promise<void>;
  /**
   * Reads the mesh objects `reconcile` would write and writes nothing: throws an
   * OwnershipConflictError (`kube/owner-references.ts`) when another Canary or another controller
   * controls one of them. Called before any workload is written, so a refused Canary changes nothing.
   *
   * `reads` (in `reconcile` and `getRoutes` too): the objects earlier steps of the same tick read,
   * which a router may take instead of reading them again (`kube/tick-reads.ts`); one that writes an
   * object forgets it there.
   */
  checkOwnership(canary: ResolvedCanary, reads?: TickReads): Promise<void>;
  /** Reads the current split from the mesh objects. */
  getRoutes(canary: ResolvedCanary, reads?: TickReads): Promise<Routes>;
  /** Sets the split; writes nothing when the mesh objects already say so. */
  setRoutes(canary: ResolvedCanary, routes: Routes): Promise<void>;
  /** Restores what the user had before Fledge took over (`revertOnDeletion`). */
  finalize(canary: ResolvedCanary): Promise<void>;
}

/** The router for a provider is missing or the mesh objects are not as Fledge left them. */
export class RouterError extends Error {
  override name = 'RouterError';
}
