/**
 * The Istio router: a VirtualService `<apex>` splitting traffic between primary and canary, and
 * DestinationRules carrying `service.trafficPolicy` (see `istio-objects.ts` for their shape in host
 * and subset mode). Reads and writes go through the {@link Cluster} port; every write is a create
 * or a JSON merge patch of the fields Fledge owns, made only when they differ from what is stored,
 * so a tick where nothing changes writes nothing and a split reverted by someone else (a GitOps
 * tool) is set back by the next `setRoutes`.
 *
 * Deletion (`finalize`, called for `revertOnDeletion`): a VirtualService or DestinationRule the user
 * had before Fledge took it over is restored from its saved original. A VirtualService Fledge created
 * is not deleted (the garbage collector removes it with the Canary, together with the services it
 * points at); until then it sends 100% of traffic to the primary.
 */
import type { ResolvedCanary } from '../api/defaults.js';
import { describeKey, type Cluster, type ObjectKey } from '../kube/cluster.js';
import { API, objectKey } from '../kube/resources.js';
import { readChecked, type TickReads } from '../kube/tick-reads.js';
import {
  INITIAL_ROUTES,
  buildDestinationRules,
  buildVirtualService,
  checkRoutes,
  isTcp,
  readRoutes,
  routingModeOf,
  type DestinationRule,
  type VirtualService,
} from './istio-objects.js';
import { checkStandings, isControlledBy } from '../kube/owner-references.js';
import { checkDestinationRule, checkVirtualService } from './istio-shape.js';
import { applyOwnedObject, restoreOriginal } from './owned-object.js';
import { RouterError, type RouteTargets, type Router, type Routes } from './router.js';

export interface IstioRouterOptions {
  /** Where the VirtualService and DestinationRules are read and written. */
  cluster: Cluster;
}

/** {@link Router} for Istio (`provider: istio`), over `networking.istio.io/v1`. */
export class IstioRouter implements Router {
  private readonly cluster: Cluster;

  constructor(options: IstioRouterOptions) {
    if (!options?.cluster) throw new RouterError('IstioRouter: options.cluster is required');
    this.cluster = options.cluster;
  }

  /**
   * Creates or updates the DestinationRules and the VirtualService from the Canary spec. The split
   * stored in the VirtualService is kept; a new VirtualService (or one taken over from the user)
   * starts at primary 100 / canary 0.
   */
  async reconcile(canary: ResolvedCanary, targets: RouteTargets, reads?: TickReads): Promise<void> {
    // Built, read and checked (shape and ownership) before any write, so bad input or an object
    // another Canary controls changes nothing.
    const rules = buildDestinationRules(canary, targets);
    const storedRules = await Promise.all(rules.map((rule) => this.readDestinationRule(rule.key, reads)));
    const current = await this.readVirtualService(canary, reads);
    checkStandings([...storedRules, current], canary);
    const routes = (current && readRoutes(canary, current)) ?? INITIAL_ROUTES;
    for (const [i, rule] of rules.entries()) {
      if (await applyOwnedObject(this.cluster, canary, rule, storedRules[i])) reads?.forget(rule.key);
    }
    const vs = buildVirtualService(canary, routes);
    if (await applyOwnedObject(this.cluster, canary, vs, current)) reads?.forget(vs.key);
  }

  /** Reads the VirtualService and the DestinationRules of the routing mode; writes nothing. */
  async checkOwnership(canary: ResolvedCanary, reads?: TickReads): Promise<void> {
    const names =
      routingModeOf(canary) === 'subset'
        ? [canary.names.apex]
        : [canary.names.primaryService, canary.names.canaryService];
    const objects = await Promise.all([
      this.readVirtualService(canary, reads),
      ...names.map((name) =>
        this.readDestinationRule(objectKey(API.destinationRule, canary.namespace, name), reads),
      ),
    ]);
    checkStandings(objects, canary);
  }

  /** The split stored in the VirtualService, read from the route Fledge owns. */
  async getRoutes(canary: ResolvedCanary, reads?: TickReads): Promise<Routes> {
    const key = this.virtualServiceKey(canary);
    const vs = await this.readVirtualService(canary, reads);
    if (!vs) throw new RouterError(`${describeKey(key)} not found`);
    const routes = readRoutes(canary, vs);
    if (!routes) {
      throw new RouterError(
        `${describeKey(key)} has no ${isTcp(canary) ? 'tcp' : 'http'} route to the canary (${canary.names.canaryService}): it is not as Fledge left it`,
      );
    }
    return routes;
  }

  /** Sets the split (creating the VirtualService when missing); writes nothing when it already says so. */
  async setRoutes(canary: ResolvedCanary, routes: Routes): Promise<void> {
    checkRoutes(canary, routes);
    const current = await this.readVirtualService(canary);
    await applyOwnedObject(this.cluster, canary, buildVirtualService(canary, routes), current);
  }

  /**
   * Restores every object taken over from the user; a VirtualService Fledge created is left routing
   * 100% to the primary. Objects Fledge neither created nor took over are not touched.
   */
  async finalize(canary: ResolvedCanary): Promise<void> {
    const vsKey = this.virtualServiceKey(canary);
    const vs = await this.cluster.get<VirtualService>(vsKey);
    if (vs && !(await restoreOriginal(this.cluster, vs)) && isControlledBy(vs, canary)) {
      await applyOwnedObject(this.cluster, canary, buildVirtualService(canary, INITIAL_ROUTES), vs);
    }
    // Both modes' names: the mode may have changed since an object was taken over.
    const ruleNames = [canary.names.apex, canary.names.primaryService, canary.names.canaryService];
    for (const name of ruleNames) {
      const rule = await this.cluster.get<DestinationRule>(
        objectKey(API.destinationRule, canary.namespace, name),
      );
      if (rule) await restoreOriginal(this.cluster, rule);
    }
  }

  /** The VirtualService `<apex>`, with the fields Fledge reads checked (MalformedObjectError otherwise). */
  private async readVirtualService(
    canary: ResolvedCanary,
    reads?: TickReads,
  ): Promise<VirtualService | undefined> {
    return readChecked(this.cluster, this.virtualServiceKey(canary), checkVirtualService, reads);
  }

  /** A DestinationRule, with the fields Fledge reads checked (MalformedObjectError otherwise). */
  private async readDestinationRule(key: ObjectKey, reads?: TickReads): Promise<DestinationRule | undefined> {
    return readChecked(this.cluster, key, checkDestinationRule, reads);
  }

  private virtualServiceKey(canary: ResolvedCanary) {
    return objectKey(API.virtualService, canary.namespace, canary.names.apex);
  }
}
