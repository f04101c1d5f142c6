/**
 * Picks the router for a provider. An unknown or unimplemented provider is a configuration error:
 * there is no fallback, because routing through the wrong mesh would shift no traffic while the
 * analysis believes it does.
 */
import type { Cluster } from '../kube/cluster.js';
import { GatewayApiRouter } from './gateway-api.js';
import { IstioRouter } from './istio.js';
import { RouterError, type Router } from './router.js';

/** What routers are built from. */
export interface RouterDeps {
  cluster: Cluster;
}

const ROUTERS: Record<string, (deps: RouterDeps) => Router> = {
  istio: (deps) => new IstioRouter({ cluster: deps.cluster }),
  ...Object.fromEntries(
    ['gatewayapi:v1', 'gatewayapi:v1beta1'].map((p) => [p, (deps: RouterDeps) => new GatewayApiRouter(deps)]),
  ),
};

/** Providers {@link createRouter} accepts. */
export const SUPPORTED_PROVIDERS: readonly string[] = Object.keys(ROUTERS);

/** The provider has no router in this version of Fledge. */
export class UnsupportedProviderError extends RouterError {
  override name = 'UnsupportedProviderError';
  constructor(readonly provider: string) {
    super(
      `provider "${provider}" is not supported by this version of Fledge; supported providers: ${SUPPORTED_PROVIDERS.join(', ')}`,
    );
  }
}

/** The router for `provider` (a Canary's `spec.provider` or the controller's default). */
export function createRouter(provider: string, deps: RouterDeps): Router {
  const build = Object.hasOwn(ROUTERS, provider) ? ROUTERS[provider] : undefined;
  if (!build) throw new UnsupportedProviderError(provider);
  return build(deps);
}
