/**
 * The SMI TrafficSplit of one canary, as pure functions: what it should say for a split, and what
 * split a stored one says. No I/O here; `linkerd.ts` reads and writes.
 *
 * One TrafficSplit `<apex>` for the apex service, with the canary and primary services as weighted
 * backends (Flagger's order: canary first). `split.smi-spec.io/v1alpha1` weights are Kubernetes
 * quantities (Flagger writes them as strings, `"90"`); v1alpha2 and v1alpha3 weights are integers.
 */
import type { ResolvedCanary } from '../api/defaults.js';
import type { SmiVersion } from '../api/providers.js';
import { describeKey, keyOf, type KubeObject, type ObjectKey } from '../kube/cluster.js';
import { aStringOrNumber, aString, checkObject, listOf, objectOf } from '../kube/object-shape.js';
import type { DesiredObject } from './owned-object.js';
import { RouterError, type Routes } from './router.js';

/** The API group of the SMI traffic split. */
export const TRAFFIC_SPLIT_GROUP = 'split.smi-spec.io';

/**
 * Spec fields Fledge owns. `matches` (v1alpha3: routes restricted to HTTPRouteGroup matches) is
 * owned too, so a taken-over split cannot keep sending only some requests through the weights.
 */
export const TRAFFIC_SPLIT_OWNED_FIELDS = ['service', 'backends', 'matches'] as const;

/** One weighted backend; `weight` is a number, or a quantity string in v1alpha1. */
export interface TrafficSplitBackend {
  service: string;
  weight: number | string;
  [key: string]: unknown;
}

/** A `split.smi-spec.io` TrafficSplit; only the fields Fledge reads are typed. */
export interface TrafficSplit extends KubeObject {
  spec?: {
    service?: string;
    backends?: TrafficSplitBackend[];
    [key: string]: unknown;
  };
}

/** The split of a TrafficSplit Fledge has just created. */
export const INITIAL_SPLIT: Routes = { primary: 100, canary: 0, mirrored: false };

/** The key of the TrafficSplit `<apex>` at an SMI version. */
export function trafficSplitKey(canary: ResolvedCanary, version: SmiVersion): ObjectKey {
  return {
    apiVersion: `${TRAFFIC_SPLIT_GROUP}/${version}`,
    kind: 'TrafficSplit',
    namespace: canary.namespace,
    name: canary.names.apex,
  };
}

/** Throws a {@link RouterError} unless the weights are whole percentages adding up to 100, unmirrored. */
export function checkSplit(canary: ResolvedCanary, routes: Routes): void {
  const id = `Canary ${canary.namespace}/${canary.name}`;
  const valid = (w: number): boolean => Number.isInteger(w) && w >= 0 && w <= 100;
  if (!valid(routes.primary) || !valid(routes.canary) || routes.primary + routes.canary !== 100) {
    throw new RouterError(
      `${id}: weights must be whole percentages adding up to 100, got primary ${routes.primary} and canary ${routes.canary}`,
    );
  }
  if (routes.mirrored) {
    throw new RouterError(`${id}: an SMI TrafficSplit cannot mirror traffic (analysis.mirror)`);
  }
}

/**
 * Refuses what a TrafficSplit cannot express, before anything is written: SMI has no header or
 * cookie matching (A/B testing) and no mirroring. `fledge validate` reports the same on the fields.
 */
export function checkSplitStrategy(canary: ResolvedCanary): void {
  const id = `Canary ${canary.namespace}/${canary.name} (provider ${canary.provider})`;
  if (canary.analysis.strategy === 'ab-testing') {
    throw new RouterError(
      `${id}: analysis.match (A/B testing) needs header and cookie routing, which an SMI TrafficSplit does not have; use provider gatewayapi:v1 (Linkerd 2.12+ routes HTTPRoutes)`,
    );
  }
  if (canary.analysis.mirror) {
    throw new RouterError(`${id}: analysis.mirror is not possible with an SMI TrafficSplit; remove it`);
  }
}

/** A weight as the version writes it: a quantity string in v1alpha1, an integer after. */
function weightOf(version: SmiVersion, percent: number): number | string {
  return version === 'v1alpha1' ? String(percent) : percent;
}

/** The TrafficSplit `<apex>` for a split. */
export function buildTrafficSplit(
  canary: ResolvedCanary,
  version: SmiVersion,
  routes: Routes,
): DesiredObject {
  const apex = canary.service.apex;
  return {
    key: trafficSplitKey(canary, version),
    labels: apex?.labels ?? {},
    annotations: apex?.annotations ?? {},
    spec: {
      service: canary.names.apex,
      backends: [
        { service: canary.names.canaryService, weight: weightOf(version, routes.canary) },
        { service: canary.names.primaryService, weight: weightOf(version, routes.primary) },
      ],
    },
    ownedSpecFields: TRAFFIC_SPLIT_OWNED_FIELDS,
  };
}

const QUANTITY = /^(\d+(?:\.\d*)?|\.\d+)(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$/;
const SUFFIX: Record<string, number> = {
  m: 1e-3,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

/** A backend weight as a number (an integer, or a quantity such as `"500m"`); undefined when it is neither or negative. */
export function weightValue(weight: unknown): number | undefined {
  if (typeof weight === 'number') return Number.isFinite(weight) && weight >= 0 ? weight : undefined;
  if (typeof weight !== 'string') return undefined;
  const m = QUANTITY.exec(weight.trim());
  return m ? Number(m[1]) * (m[2] ? (SUFFIX[m[2]] as number) : 1) : undefined;
}

function parseWeight(split: TrafficSplit, index: number, weight: number | string): number {
  const value = weightValue(weight);
  if (value !== undefined) return value;
  throw new RouterError(
    `${describeKey(keyOf(split))}: spec.backends[${index}].weight ${JSON.stringify(weight)} is not a non-negative number or quantity`,
  );
}

/**
 * The split a TrafficSplit says, in percent: the weights of the primary and canary backends,
 * scaled to add up to 100 (Linkerd weighs backends relative to each other, so `900m`/`100m` is a
 * 90/10 split). Undefined when both weights are 0 or missing, e.g. a user's split not taken over.
 */
export function readSplit(canary: ResolvedCanary, split: TrafficSplit): Routes | undefined {
  let primary = 0;
  let canaryWeight = 0;
  (split.spec?.backends ?? []).forEach((b, i) => {
    if (b.service === canary.names.primaryService) primary += parseWeight(split, i, b.weight);
    else if (b.service === canary.names.canaryService) canaryWeight += parseWeight(split, i, b.weight);
  });
  const total = primary + canaryWeight;
  if (total === 0) return undefined;
  const canaryPercent = Math.round((canaryWeight * 100) / total);
  return { primary: 100 - canaryPercent, canary: canaryPercent, mirrored: false };
}

const trafficSplit = objectOf({
  spec: objectOf({
    service: aString,
    backends: listOf(objectOf({ service: aString, weight: aStringOrNumber }, ['service', 'weight'])),
  }),
});

/**
 * The TrafficSplit, typed, once the fields Fledge reads are checked.
 * @throws MalformedObjectError naming the object and the field
 */
export function checkTrafficSplit(object: KubeObject): TrafficSplit {
  return checkObject<TrafficSplit>(object, trafficSplit);
}
