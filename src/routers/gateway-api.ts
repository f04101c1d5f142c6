/**
 * The Gateway API router (`provider: gatewayapi:v1` or `gatewayapi:v1beta1`): an HTTPRoute `<apex>`
 * splitting traffic between the services `<apex>-primary` and `<apex>-canary` (see
 * `gateway-api-objects.ts` for its shape). Reads and writes go through the {@link Cluster} port;
 * every write is a create or a JSON merge patch of the fields Fledge owns, made only when they differ
 * from what is stored, so an unchanged tick writes nothing and a split reverted by someone else is
 * set back by the next `setRoutes`.
 *
 * Deletion (`finalize`, called for `revertOnDeletion`): an HTTPRoute the user had before Fledge took
 * it over is restored from its saved original. One Fledge created is not deleted (the garbage
 * collector removes it with the Canary, together with the services it points at); until then it
 * sends 100% of traffic to the primary.
 */
import type { ResolvedCanary } from '../api/defaults.js';
import { describeKey, type Cluster } from '../kube/cluster.js';
import { objectKey } from '../kube/resources.js';
import { checkStandings, isControlledBy } from '../kube/owner-references.js';
import { randomBytes } from 'node:crypto';
import { readAffinity, type AffinityState } from './gateway-api-affinity.js';
import { buildHttpRoute, httpRouteApiOf, readRoutes, type HttpRoute } from './gateway-api-objects.js';
import { checkHttpRoute } from './gateway-api-shape.js';
import { applyOwnedObject, restoreOriginal } from './owned-object.js';
import { RouterError, type RouteTargets, type Router, type Routes } from './router.js';
import { INITIAL_ROUTES, checkRoutes } from './weights.js';

export interface GatewayApiRouterOptions {
  /** Where the HTTPRoute is read and written. */
  cluster: Cluster;
  /** Draws the value of a new session affinity cookie (default: 16 random bytes, hex). */
  cookieValue?: () => string;
}

/** {@link Router} for the Gateway API (`provider: gatewayapi:v1`, `gatewayapi:v1beta1`). */
export class GatewayApiRouter implements Router {
  private readonly cluster: Cluster;
  private readonly cookieValue: () => string;

  constructor(options: GatewayApiRouterOptions) {
    if (!options?.cluster) throw new RouterError('GatewayApiRouter: options.cluster is required');
    this.cluster = options.cluster;
    this.cookieValue = options.cookieValue ?? (() => randomBytes(16).toString('hex'));
  }

  /**
   * Creates or updates the HTTPRoute from the Canary spec. The split stored in it is kept; a new
   * HTTPRoute (or one taken over from the user) starts at primary 100 / canary 0.
   */
  async reconcile(canary: ResolvedCanary, _targets: RouteTargets): Promise<void> {
    const current = await this.readHttpRoute(canary);
    // Refused before any write: an HTTPRoute another Canary or controller controls.
    checkStandings([current], canary);
    const routes = (current && readRoutes(canary, current)) ?? INITIAL_ROUTES;
    const desired = buildHttpRoute(canary, routes, this.affinityCookies(canary, routes, current));
    await applyOwnedObject(this.cluster, canary, desired, current);
  }

  /** Reads the HTTPRoute; writes nothing. */
  async checkOwnership(canary: ResolvedCanary): Promise<void> {
    checkStandings([await this.readHttpRoute(canary)], canary);
  }

  /** The split stored in the HTTPRoute, read from its weighted rule. */
  async getRoutes(canary: ResolvedCanary): Promise<Routes> {
    const key = this.httpRouteKey(canary);
    const route = await this.readHttpRoute(canary);
    if (!route) throw new RouterError(`${describeKey(key)} not found`);
    const routes = readRoutes(canary, route);
    if (!routes) {
      throw new RouterError(
        `${describeKey(key)} has no rule with a backendRef to the canary (${canary.names.canaryService}): it is not as Fledge left it`,
      );
    }
    return routes;
  }

  /** Sets the split (creating the HTTPRoute when missing); writes nothing when it already says so. */
  async setRoutes(canary: ResolvedCanary, routes: Routes): Promise<void> {
    checkRoutes(canary, routes);
    const current = await this.readHttpRoute(canary);
    const desired = buildHttpRoute(canary, routes, this.affinityCookies(canary, routes, current));
    await applyOwnedObject(this.cluster, canary, desired, current);
  }

  /**
   * Restores an HTTPRoute taken over from the user; one Fledge created is left routing 100% to the
   * primary. An HTTPRoute Fledge neither created nor took over is not touched.
   */
  async finalize(canary: ResolvedCanary): Promise<void> {
    const route = await this.cluster.get<HttpRoute>(this.httpRouteKey(canary));
    if (route && !(await restoreOriginal(this.cluster, route)) && isControlledBy(route, canary)) {
      const cookies = this.affinityCookies(canary, INITIAL_ROUTES, route);
      await applyOwnedObject(this.cluster, canary, buildHttpRoute(canary, INITIAL_ROUTES, cookies), route);
    }
  }

  /**
   * The session affinity cookies for a split: with canary weight, the run's cookie (the stored one,
   * or a new one when the run starts); at weight 0, the cookie to expire (the last run's).
   */
  private affinityCookies(
    canary: ResolvedCanary,
    routes: Routes,
    current: HttpRoute | undefined,
  ): AffinityState {
    const affinity = canary.spec.analysis.sessionAffinity;
    if (!affinity?.cookieName) return {};
    const stored = readAffinity(canary, current);
    if (routes.canary > 0) return { active: stored.active ?? `${affinity.cookieName}=${this.cookieValue()}` };
    const previous = stored.active ?? stored.previous;
    return previous ? { previous } : {};
  }

  /** The HTTPRoute `<apex>`, with the fields Fledge reads checked (MalformedObjectError otherwise). */
  private async readHttpRoute(canary: ResolvedCanary): Promise<HttpRoute | undefined> {
    const object = await this.cluster.get<HttpRoute>(this.httpRouteKey(canary));
    return object && checkHttpRoute(object);
  }

  private httpRouteKey(canary: ResolvedCanary) {
    return objectKey(httpRouteApiOf(canary), canary.namespace, canary.names.apex);
  }
}
