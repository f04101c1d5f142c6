/**
 * The Linkerd / SMI router: one SMI TrafficSplit `<apex>` splitting the apex service between the
 * primary and canary services (see `traffic-split.ts` for its shape). `provider: linkerd` writes
 * `split.smi-spec.io/v1alpha1`, as Flagger does; `smi:v1alpha1`, `smi:v1alpha2` and `smi:v1alpha3`
 * (optionally `:<mesh>`) write that version. Every write is a create or a JSON merge patch of the
 * fields Fledge owns (`owned-object.ts`), made only when they differ, so a tick where nothing
 * changes writes nothing and weights reverted by someone else are set back by the next `setRoutes`.
 *
 * An SMI TrafficSplit has weights only: A/B testing (`analysis.match`) and mirroring are refused
 * before anything is written. Deletion (`finalize`): a TrafficSplit the user had before is restored
 * from its saved original; one Fledge created is left sending 100% to the primary until the garbage
 * collector removes it with the Canary.
 */
import type { ResolvedCanary } from '../api/defaults.js';
import { SMI_VERSIONS, type SmiVersion } from '../api/providers.js';
import { describeKey, type Cluster } from '../kube/cluster.js';
import { checkStandings, isControlledBy } from '../kube/owner-references.js';
import { applyOwnedObject, restoreOriginal } from './owned-object.js';
import { RouterError, type RouteTargets, type Router, type Routes } from './router.js';
import {
  INITIAL_SPLIT,
  buildTrafficSplit,
  checkSplit,
  checkSplitStrategy,
  checkTrafficSplit,
  readSplit,
  trafficSplitKey,
  type TrafficSplit,
} from './traffic-split.js';

export interface LinkerdRouterOptions {
  /** Where the TrafficSplit is read and written. */
  cluster: Cluster;
  /** The `split.smi-spec.io` version written (default `v1alpha1`, what Flagger writes for Linkerd). */
  smiVersion?: SmiVersion;
}

/** {@link Router} for Linkerd (`provider: linkerd`) and the SMI providers (`smi:v1alpha1|2|3`). */
export class LinkerdRouter implements Router {
  private readonly cluster: Cluster;
  private readonly version: SmiVersion;

  constructor(options: LinkerdRouterOptions) {
    if (!options?.cluster) throw new RouterError('LinkerdRouter: options.cluster is required');
    const version = options.smiVersion ?? 'v1alpha1';
    if (!(SMI_VERSIONS as readonly string[]).includes(version)) {
      throw new RouterError(
        `LinkerdRouter: options.smiVersion must be one of ${SMI_VERSIONS.join(', ')}, got ${JSON.stringify(version)}`,
      );
    }
    this.cluster = options.cluster;
    this.version = version;
  }

  /**
   * Creates or updates the TrafficSplit from the Canary spec, keeping the stored split; a new
   * TrafficSplit (or one taken over from the user) starts at primary 100 / canary 0.
   */
  async reconcile(canary: ResolvedCanary, _targets: RouteTargets): Promise<void> {
    checkSplitStrategy(canary);
    const current = await this.read(canary);
    checkStandings([current], canary);
    const routes = (current && readSplit(canary, current)) ?? INITIAL_SPLIT;
    await applyOwnedObject(this.cluster, canary, buildTrafficSplit(canary, this.version, routes), current);
  }

  /** Reads the TrafficSplit; writes nothing. */
  async checkOwnership(canary: ResolvedCanary): Promise<void> {
    checkStandings([await this.read(canary)], canary);
  }

  /** The split stored in the TrafficSplit; both weights 0 (or missing) is an error. */
  async getRoutes(canary: ResolvedCanary): Promise<Routes> {
    const key = trafficSplitKey(canary, this.version);
    const split = await this.read(canary);
    if (!split) throw new RouterError(`${describeKey(key)} not found`);
    const routes = readSplit(canary, split);
    if (!routes) {
      throw new RouterError(
        `${describeKey(key)} gives no weight to ${canary.names.primaryService} nor ${canary.names.canaryService}: it is not as Fledge left it`,
      );
    }
    return routes;
  }

  /** Sets the split (creating the TrafficSplit when missing); writes nothing when it already says so. */
  async setRoutes(canary: ResolvedCanary, routes: Routes): Promise<void> {
    checkSplit(canary, routes);
    checkSplitStrategy(canary);
    const current = await this.read(canary);
    await applyOwnedObject(this.cluster, canary, buildTrafficSplit(canary, this.version, routes), current);
  }

  /**
   * Restores a TrafficSplit taken over from the user; one Fledge created is left routing 100% to
   * the primary. A TrafficSplit Fledge neither created nor took over is not touched.
   */
  async finalize(canary: ResolvedCanary): Promise<void> {
    const split = await this.cluster.get<TrafficSplit>(trafficSplitKey(canary, this.version));
    if (split && !(await restoreOriginal(this.cluster, split)) && isControlledBy(split, canary)) {
      await applyOwnedObject(
        this.cluster,
        canary,
        buildTrafficSplit(canary, this.version, INITIAL_SPLIT),
        split,
      );
    }
  }

  /** The TrafficSplit `<apex>`, with the fields Fledge reads checked (MalformedObjectError otherwise). */
  private async read(canary: ResolvedCanary): Promise<TrafficSplit | undefined> {
    const object = await this.cluster.get<TrafficSplit>(trafficSplitKey(canary, this.version));
    return object && checkTrafficSplit(object);
  }
}
