/**
 * Picks the router for a provider. An unknown or unimplemented provider is a configuration error:
 * there is no fallback, because routing through the wrong mesh would shift no traffic while the
 * analysis believes it does.
 */
import type { Cluster } from '../kube/cluster.js';
import { providerFamily } from '../api/providers.js';
import { GatewayApiRouter } from './gateway-api.js';
import { IstioRouter } from './istio.js';
import { KubernetesRouter } from './kubernetes.js';
import { LinkerdRouter } from './linkerd.js';
import { NginxRouter } from './nginx.js';
import { RouterError, type Router } from './router.js';

/** What routers are built from. */
export interface RouterDeps {
  cluster: Cluster;
  /** Prefix of NGINX's canary annotations (`--ingress-annotations-prefix`); NGINX's own by default. */
  ingressAnnotationsPrefix?: string | undefined;
}

/** Linkerd writes SMI v1alpha1 as Flagger does; each `smi:` form writes its own version. */
const LINKERD_ROUTERS: Record<string, (deps: RouterDeps) => Router> = {
  linkerd: (deps) => new LinkerdRouter({ cluster: deps.cluster, smiVersion: 'v1alpha1' }),
  'smi:v1alpha1': (deps) => new LinkerdRouter({ cluster: deps.cluster, smiVersion: 'v1alpha1' }),
  'smi:v1alpha2': (deps) => new LinkerdRouter({ cluster: deps.cluster, smiVersion: 'v1alpha2' }),
  'smi:v1alpha3': (deps) => new LinkerdRouter({ cluster: deps.cluster, smiVersion: 'v1alpha3' }),
};

const ROUTERS: Record<string, (deps: RouterDeps) => Router> = {
  istio: (deps) => new IstioRouter({ cluster: deps.cluster }),
  ...LINKERD_ROUTERS,
  kubernetes: (deps) => new KubernetesRouter({ cluster: deps.cluster }),
  nginx: (deps) =>
    new NginxRouter({ cluster: deps.cluster, annotationsPrefix: deps.ingressAnnotationsPrefix }),
  ...Object.fromEntries(
    ['gatewayapi:v1', 'gatewayapi:v1beta1'].map((p) => [p, (deps: RouterDeps) => new GatewayApiRouter(deps)]),
  ),
};

/** Providers {@link createRouter} accepts (the SMI forms also with a `:<mesh>` qualifier). */
export const SUPPORTED_PROVIDERS: readonly string[] = Object.keys(ROUTERS);

/** Whether {@link createRouter} has a router for `provider`. */
export function isSupportedProvider(provider: string): boolean {
  return Object.hasOwn(ROUTERS, providerFamily(provider));
}

/** The provider has no router in this version of Fledge. */
export class UnsupportedProviderError extends RouterError {
  override name = 'UnsupportedProviderError';
  constructor(readonly provider: string) {
    super(
      `provider "${provider}" is not supported by this version of Fledge; supported providers: ${SUPPORTED_PROVIDERS.join(', ')}`,
    );
  }
}

/**
 * The router for `provider` (a Canary's `spec.provider` or the controller's default). An SMI form's
 * mesh qualifier (`smi:v1alpha2:osm`) does not change the router.
 */
export function createRouter(provider: string, deps: RouterDeps): Router {
  const family = providerFamily(provider);
  const build = Object.hasOwn(ROUTERS, family) ? ROUTERS[family] : undefined;
  if (!build) throw new UnsupportedProviderError(provider);
  return build(deps);
}
