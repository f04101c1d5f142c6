/**
 * Linkerd (SMI): the TrafficSplit named after the apex service. Requests to `spec.service` go to
 * `spec.backends` in proportion to their weights, as Linkerd's destination controller splits them.
 * SMI has no header matching. Weights are integers (v1alpha2, v1alpha3) or quantities such as
 * `"30"` or `"500m"` (v1alpha1).
 */
import type { Cluster, KubeObject } from '../../../../src/kube/cluster.js';
import { pickWeighted, RouteFollowerError, SingleObjectFollower, type RouteDecision } from './follower.js';

/** The SMI TrafficSplit versions Flagger writes; v1alpha2 is Linkerd's default. */
export const TRAFFIC_SPLIT_API_VERSIONS = [
  'split.smi-spec.io/v1alpha1',
  'split.smi-spec.io/v1alpha2',
  'split.smi-spec.io/v1alpha3',
] as const;

/** One of {@link TRAFFIC_SPLIT_API_VERSIONS}. */
export type TrafficSplitApiVersion = (typeof TRAFFIC_SPLIT_API_VERSIONS)[number];

/** A TrafficSplit as the harness reads it. */
export interface TrafficSplitSpec {
  service?: string;
  backends?: { service: string; weight: number | string }[];
}

interface TrafficSplitObject extends KubeObject {
  spec?: TrafficSplitSpec;
}

const QUANTITY = /^(\d+(?:\.\d+)?)(m)?$/;

/** A backend weight as a number; throws {@link RouteFollowerError} naming the backend. */
export function splitWeight(weight: number | string, field: string): number {
  if (typeof weight === 'number' && Number.isFinite(weight) && weight >= 0) return weight;
  const match = typeof weight === 'string' ? QUANTITY.exec(weight.trim()) : null;
  if (!match)
    throw new RouteFollowerError(`${field}: expected a non-negative weight, got ${JSON.stringify(weight)}`);
  const value = Number(match[1]);
  return match[2] === 'm' ? value / 1000 : value;
}

/** Follows one TrafficSplit; its state is the TrafficSplit's spec. */
export class LinkerdFollower extends SingleObjectFollower<TrafficSplitObject, TrafficSplitSpec> {
  constructor(
    cluster: Cluster,
    namespace: string,
    name: string,
    apiVersion: TrafficSplitApiVersion = 'split.smi-spec.io/v1alpha2',
  ) {
    if (!TRAFFIC_SPLIT_API_VERSIONS.includes(apiVersion)) {
      throw new RouteFollowerError(
        `trafficSplitApiVersion: expected one of ${TRAFFIC_SPLIT_API_VERSIONS.join(', ')}, got ${apiVersion}`,
      );
    }
    super(cluster, { apiVersion, kind: 'TrafficSplit' }, namespace, name);
  }

  /** A malformed weight makes the split unusable: the request is unrouted, as with no split at all. */
  route(_request: unknown, random: () => number): RouteDecision | undefined {
    const backends = this.state?.backends ?? [];
    let choices: { weight: number; value: string }[];
    try {
      choices = backends.map((b, i) => ({
        weight: splitWeight(b.weight, `${this.description} spec.backends[${i}].weight`),
        value: b.service,
      }));
    } catch {
      return undefined;
    }
    const destination = pickWeighted(choices, random());
    return destination ? { destination } : undefined;
  }
}
