/**
 * Where an SMI TrafficSplit sends a request, for the sandbox: the split as the one weighted route it
 * amounts to, so the sandbox's traffic follows a TrafficSplit Fledge wrote exactly as it follows a
 * VirtualService. A TrafficSplit has no matches: every request takes that route.
 */
import { weightValue } from '../routers/traffic-split.js';
import type { VirtualServiceSpec } from './virtual-service-routing.js';

/** The part of a TrafficSplit spec routing reads. */
export interface TrafficSplitSpec {
  backends?: { service?: unknown; weight?: unknown }[];
}

/** The TrafficSplit as one route to its backends, weighted as it says (a bad weight counts 0). */
export function trafficSplitRoutes(spec: TrafficSplitSpec | undefined): VirtualServiceSpec {
  const backends = (spec?.backends ?? []).filter((b) => typeof b.service === 'string');
  return {
    http: [
      {
        route: backends.map((b) => ({
          destination: { host: b.service as string },
          weight: weightValue(b.weight) ?? 0,
        })),
      },
    ],
  };
}
