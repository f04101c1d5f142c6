/**
 * What each provider can do with traffic, for the parts of Fledge that must not ask a router for a
 * split it cannot carry: the state machine (`controller/weights.ts`, `controller/decide.ts`) and
 * validation. A provider not listed splits and mirrors (Istio, Gateway API).
 */

/** How a provider's router moves traffic. */
export interface ProviderTraffic {
  /** Whether the router can send part (or all) of the traffic to the canary. */
  splits: boolean;
  /** Whether the router can mirror primary traffic to the canary (`analysis.mirror`). */
  mirrors: boolean;
}

const FULL: ProviderTraffic = { splits: true, mirrors: true };

const LIMITED: Readonly<Record<string, ProviderTraffic>> = {
  // Services only: the apex keeps selecting the primary; the analysis talks to `<apex>-canary`.
  kubernetes: { splits: false, mirrors: false },
  // NGINX canary Ingress annotations carry weights and header/cookie matches, no mirroring.
  nginx: { splits: true, mirrors: false },
};

/** The traffic capabilities of `provider` (a Canary's resolved provider). */
export function providerTraffic(provider: string): ProviderTraffic {
  return Object.hasOwn(LIMITED, provider) ? (LIMITED[provider] as ProviderTraffic) : FULL;
}
