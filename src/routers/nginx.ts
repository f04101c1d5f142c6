/**
 * The NGINX router (`provider: nginx` with `spec.ingressRef`): a canary Ingress `<ingress>-canary`,
 * a copy of the user's Ingress whose backend is `<apex>-canary`, carrying the split in NGINX's
 * canary annotations (`nginx-objects.ts`). The user's Ingress is read, never written: it keeps
 * sending its traffic to the apex Service, which selects the primary.
 *
 * Every write is a create or a JSON merge patch of what Fledge owns, made only when it differs, so
 * a tick where nothing changed writes nothing and a weight someone else changed is set back by the
 * next `setRoutes`. A canary Ingress the user made before Fledge is taken over with its original
 * saved (`owned-object.ts`) and restored by `finalize`.
 */
import type { ResolvedCanary } from '../api/defaults.js';
import { describeKey, type Cluster } from '../kube/cluster.js';
import { checkStandings, isControlledBy } from '../kube/owner-references.js';
import {
  DEFAULT_INGRESS_ANNOTATIONS_PREFIX,
  INITIAL_ROUTES,
  annotationsPrefixProblem,
  buildCanaryIngress,
  canaryIngressKey,
  checkNginxSpec,
  ingressKey,
  readRoutes,
  type Ingress,
} from './nginx-objects.js';
import { applyOwnedObject, isTakeOver, restoreOriginal } from './owned-object.js';
import { RouterError, type RouteTargets, type Router, type Routes } from './router.js';
import { checkRoutes } from './weights.js';

export interface NginxRouterOptions {
  /** Where the Ingresses are read and written. */
  cluster: Cluster;
  /**
   * Prefix of the canary annotations, as the NGINX ingress controller's `--annotations-prefix`
   * (Fledge's `--ingress-annotations-prefix`; default `nginx.ingress.kubernetes.io`).
   */
  annotationsPrefix?: string | undefined;
}

/** {@link Router} for the NGINX ingress controller, over `networking.k8s.io/v1` Ingresses. */
export class NginxRouter implements Router {
  private readonly cluster: Cluster;
  private readonly prefix: string;

  constructor(options: NginxRouterOptions) {
    if (!options?.cluster) throw new RouterError('NginxRouter: options.cluster is required');
    const prefix = options.annotationsPrefix ?? DEFAULT_INGRESS_ANNOTATIONS_PREFIX;
    const problem = annotationsPrefixProblem(prefix);
    if (problem) throw new RouterError(`NginxRouter: annotationsPrefix ${problem}`);
    this.cluster = options.cluster;
    this.prefix = prefix;
  }

  /**
   * Creates or updates the canary Ingress from the user's Ingress, keeping the split it stores (a
   * new one starts with all traffic on the primary).
   */
  async reconcile(canary: ResolvedCanary, _targets: RouteTargets): Promise<void> {
    checkNginxSpec(canary);
    const ingress = await this.readIngress(canary);
    const current = await this.cluster.get<Ingress>(canaryIngressKey(canary));
    checkStandings([current], canary);
    // A canary Ingress taken over from the user starts off: its weight was the user's, not a step
    // of this Canary's analysis (finalize restores it).
    const routes =
      current && !isTakeOver(current, canary) ? readRoutes(canary, current, this.prefix) : INITIAL_ROUTES;
    await this.apply(canary, ingress, routes, current);
  }

  /** Reads the canary Ingress; writes nothing. The spec is checked first (ingressRef, matches). */
  async checkOwnership(canary: ResolvedCanary): Promise<void> {
    checkNginxSpec(canary);
    checkStandings([await this.cluster.get<Ingress>(canaryIngressKey(canary))], canary);
  }

  /** The split the canary Ingress's annotations carry. */
  async getRoutes(canary: ResolvedCanary): Promise<Routes> {
    const key = canaryIngressKey(canary);
    const stored = await this.cluster.get<Ingress>(key);
    if (!stored) throw new RouterError(`${describeKey(key)} not found`);
    return readRoutes(canary, stored, this.prefix);
  }

  /** Sets the split (creating the canary Ingress when missing); writes nothing when it already says so. */
  async setRoutes(canary: ResolvedCanary, routes: Routes): Promise<void> {
    // canary-weight is an integer annotation: 0.5 would be written, then refused by readRoutes.
    checkRoutes(canary, routes);
    if (routes.mirrored) {
      throw new RouterError(
        `Canary ${canary.namespace}/${canary.name}: provider nginx cannot mirror traffic (analysis.mirror)`,
      );
    }
    const ingress = await this.readIngress(canary);
    const current = await this.cluster.get<Ingress>(canaryIngressKey(canary));
    await this.apply(canary, ingress, routes, current);
  }

  /**
   * Restores a canary Ingress taken over from the user; one Fledge created is switched off
   * (`canary: "false"`) until the garbage collector removes it with the Canary.
   */
  async finalize(canary: ResolvedCanary): Promise<void> {
    const current = await this.cluster.get<Ingress>(canaryIngressKey(canary));
    if (!current || (await restoreOriginal(this.cluster, current)) || !isControlledBy(current, canary))
      return;
    const ingress = await this.cluster.get<Ingress>(ingressKey(canary));
    if (ingress) await this.apply(canary, ingress, INITIAL_ROUTES, current);
  }

  private async apply(
    canary: ResolvedCanary,
    ingress: Ingress,
    routes: Readonly<Routes>,
    current: Ingress | undefined,
  ): Promise<void> {
    const desired = buildCanaryIngress(canary, ingress, routes, this.prefix, current);
    await applyOwnedObject(this.cluster, canary, desired, current);
  }

  /** The user's Ingress (`spec.ingressRef`), which must exist. */
  private async readIngress(canary: ResolvedCanary): Promise<Ingress> {
    const key = ingressKey(canary);
    const ingress = await this.cluster.get<Ingress>(key);
    if (!ingress) throw new RouterError(`${describeKey(key)} (spec.ingressRef) not found`);
    return ingress;
  }
}
