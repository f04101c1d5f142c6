/**
 * Istio: the VirtualService named after the apex service, routed with
 * `src/sandbox/virtual-service-routing.ts` (header matches, first matching route, weights,
 * mirroring). Destinations are hosts (`podinfo-canary`) or subsets (`podinfo/canary`).
 */
import type { Cluster } from '../../../../src/kube/cluster.js';
import { API } from '../../../../src/kube/resources.js';
import {
  pickDestination,
  pickMirror,
  selectRoute,
  type VirtualServiceSpec,
} from '../../../../src/sandbox/virtual-service-routing.js';
import { destinationKey } from '../destinations.js';
import { SingleObjectFollower, type RouteDecision, type RouteRequest } from './follower.js';

interface VirtualServiceObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; resourceVersion?: string };
  spec?: VirtualServiceSpec;
}

/** Follows one VirtualService; its state is the VirtualService's spec. */
export class IstioFollower extends SingleObjectFollower<VirtualServiceObject, VirtualServiceSpec> {
  constructor(
    cluster: Cluster,
    private readonly namespace: string,
    name: string,
  ) {
    super(cluster, API.virtualService, namespace, name);
  }

  route(request: RouteRequest, random: () => number): RouteDecision | undefined {
    const spec = this.state;
    const route = spec ? selectRoute(spec, { headers: request.headers }) : undefined;
    const destination = pickDestination(route, random());
    if (!destination) return undefined;
    const mirror = pickMirror(route, random());
    return {
      destination: destinationKey(destination, this.namespace),
      ...(mirror ? { mirror: destinationKey(mirror, this.namespace) } : {}),
    };
  }
}
