/**
 * The harness's stand-in for each router provider: which objects it follows (a {@link RouteFollower})
 * and which metrics it exports (a {@link MetricsEndpoint}), with the names and labels that
 * provider's builtin queries select on. Flagger's HTTP observer serves both `gatewayapi` and
 * `kubernetes`. An unknown provider is a configuration error.
 */
import type { Cluster } from '../../../src/kube/cluster.js';
import { HttpObserverMetrics } from './metrics/http-observer.js';
import type { MetricsEndpoint } from './metrics/endpoint.js';
import { IstioMetrics } from './metrics/istio.js';
import { LinkerdMetrics } from './metrics/linkerd.js';
import { NginxMetrics } from './metrics/nginx.js';
import type { RouteFollower } from './routes/follower.js';
import { GatewayApiFollower, type HttpRouteApiVersion } from './routes/gatewayapi.js';
import { IstioFollower } from './routes/istio.js';
import { KubernetesFollower, type PodLabels } from './routes/kubernetes.js';
import { LinkerdFollower, type TrafficSplitApiVersion } from './routes/linkerd.js';
import { NGINX_ANNOTATION_PREFIX, NginxFollower } from './routes/nginx.js';
import { MeshConfigError } from './user-classes.js';

/** Providers the harness can play. */
export const HARNESS_PROVIDERS = ['istio', 'linkerd', 'gatewayapi', 'nginx', 'kubernetes'] as const;

/** One of {@link HARNESS_PROVIDERS}. */
export type HarnessProvider = (typeof HARNESS_PROVIDERS)[number];

/** What a provider's follower needs to know. */
export interface ProviderOptions {
  cluster: Cluster;
  namespace: string;
  /** The apex service: names the VirtualService, TrafficSplit, HTTPRoute and the followed Service. */
  apex: string;
  /** Workloads of the two versions (their pods' `app` label, for `kubernetes`). */
  workloads: { primary: string; canary: string };
  /** NGINX: the user's Ingress (default: the apex name); Fledge's copy is `<ingress>-canary`. */
  ingress?: string;
  /** NGINX: annotation prefix (default `nginx.ingress.kubernetes.io`). */
  ingressAnnotationsPrefix?: string;
  /** Linkerd: TrafficSplit API version (default `split.smi-spec.io/v1alpha2`). */
  trafficSplitApiVersion?: TrafficSplitApiVersion;
  /** Gateway API: HTTPRoute API version (default `gateway.networking.k8s.io/v1`). */
  httpRouteApiVersion?: HttpRouteApiVersion;
}

/** Throws {@link MeshConfigError} unless `provider` is one the harness plays. */
export function checkProvider(provider: string): HarnessProvider {
  if (!(HARNESS_PROVIDERS as readonly string[]).includes(provider)) {
    throw new MeshConfigError(`provider: expected one of ${HARNESS_PROVIDERS.join(', ')}, got "${provider}"`);
  }
  return provider as HarnessProvider;
}

/** The follower of `provider`'s routing objects. */
export function createFollower(provider: HarnessProvider, o: ProviderOptions): RouteFollower {
  switch (provider) {
    case 'istio':
      return new IstioFollower(o.cluster, o.namespace, o.apex);
    case 'linkerd':
      return new LinkerdFollower(o.cluster, o.namespace, o.apex, o.trafficSplitApiVersion);
    case 'gatewayapi':
      return new GatewayApiFollower(o.cluster, o.namespace, o.apex, o.httpRouteApiVersion);
    case 'nginx':
      return new NginxFollower(
        o.cluster,
        o.namespace,
        o.ingress ?? o.apex,
        o.ingressAnnotationsPrefix ?? NGINX_ANNOTATION_PREFIX,
      );
    case 'kubernetes':
      return new KubernetesFollower(o.cluster, o.namespace, o.apex, versionPodLabels(o.apex, o.workloads));
  }
}

/**
 * The pods of each version behind the services Flagger writes for `apex`: the primary's carry
 * `app: <primary workload>`, the target's `app: <canary workload>`.
 */
export function versionPodLabels(apex: string, workloads: { primary: string; canary: string }): PodLabels {
  return {
    [`${apex}-primary`]: { app: workloads.primary },
    [`${apex}-canary`]: { app: workloads.canary },
  };
}

/** The exporter of `provider`'s metrics. */
export function createMetrics(provider: HarnessProvider): MetricsEndpoint {
  switch (provider) {
    case 'istio':
      return new IstioMetrics();
    case 'linkerd':
      return new LinkerdMetrics();
    case 'nginx':
      return new NginxMetrics();
    case 'gatewayapi':
    case 'kubernetes':
      return new HttpObserverMetrics();
  }
}
