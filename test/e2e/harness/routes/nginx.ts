/**
 * NGINX: the user's Ingress (whose backend is the apex service) and Fledge's `<ingress>-canary`
 * copy, routed as ingress-nginx routes a canary Ingress when its `<prefix>/canary` annotation is
 * `"true"`. Rules in ingress-nginx's order of precedence:
 * 1. `canary-by-header`: with `canary-by-header-value`, that exact value goes to the canary; else
 *    with `canary-by-header-pattern`, a value the pattern finds goes to the canary; else `always`
 *    goes to the canary and `never` to the primary. Any other value falls through.
 * 2. `canary-by-cookie`: `always` to the canary, `never` to the primary, else falls through.
 * 3. `canary-weight` out of `canary-weight-total` (default 100).
 * The backend is the first path of the first rule (or `defaultBackend`) of each Ingress.
 */
import type { Cluster, KubeObject } from '../../../../src/kube/cluster.js';
import {
  cookieValue,
  RouteFollowerError,
  WatchedObjects,
  type RouteDecision,
  type RouteFollower,
  type RouteRequest,
} from './follower.js';

/** ingress-nginx's annotation prefix (Fledge's `--ingress-annotations-prefix` default). */
export const NGINX_ANNOTATION_PREFIX = 'nginx.ingress.kubernetes.io';

interface IngressBackend {
  service?: { name: string; port?: { number?: number; name?: string } };
}

interface IngressObject extends KubeObject {
  spec?: {
    defaultBackend?: IngressBackend;
    rules?: { host?: string; http?: { paths?: { path?: string; backend: IngressBackend }[] } }[];
  };
}

/** What the follower read from the two Ingresses. */
export interface NginxRoutes {
  /** Backend service of the user's Ingress. */
  primary?: string;
  /** Backend service of the canary Ingress, when it is an active canary. */
  canary?: string;
  /** The canary Ingress's annotations without the prefix (`weight`, `by-header`, ...). */
  canaryAnnotations: Record<string, string>;
}

function backendOf(ingress: IngressObject | undefined): { name: string; port: string } | undefined {
  const backend = ingress?.spec?.rules?.[0]?.http?.paths?.[0]?.backend ?? ingress?.spec?.defaultBackend;
  const service = backend?.service;
  if (!service) return undefined;
  return { name: service.name, port: String(service.port?.number ?? service.port?.name ?? '') };
}

/** Follows an Ingress and its `-canary` copy. */
export class NginxFollower implements RouteFollower {
  readonly description: string;
  private readonly watched: WatchedObjects<IngressObject>;
  private readonly canaryName: string;

  constructor(
    cluster: Cluster,
    private readonly namespace: string,
    private readonly ingress: string,
    private readonly prefix = NGINX_ANNOTATION_PREFIX,
  ) {
    if (!/^[a-z0-9.-]+(\/[a-z0-9.-]+)?$/i.test(prefix)) {
      throw new RouteFollowerError(`ingressAnnotationsPrefix: expected a DNS-like prefix, got "${prefix}"`);
    }
    this.canaryName = `${ingress}-canary`;
    this.description = `Ingresses ${namespace}/${ingress} and ${namespace}/${this.canaryName}`;
    this.watched = new WatchedObjects(
      cluster,
      { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress' },
      namespace,
      [ingress, this.canaryName],
    );
  }

  start(onChange: () => void): void {
    this.watched.start(onChange);
  }

  stop(): void {
    this.watched.stop();
  }

  get state(): NginxRoutes | undefined {
    const main = this.watched.get(this.ingress);
    if (!main) return undefined;
    const canary = this.watched.get(this.canaryName);
    const annotations = canary?.metadata.annotations ?? {};
    const own = `${this.prefix}/`;
    const canaryAnnotations = Object.fromEntries(
      Object.entries(annotations)
        .filter(([k]) => k.startsWith(own))
        .map(([k, v]) => [k.slice(own.length), v]),
    );
    const active = canaryAnnotations['canary'] === 'true';
    const primary = backendOf(main)?.name;
    const canaryBackend = active ? backendOf(canary)?.name : undefined;
    return {
      ...(primary ? { primary } : {}),
      ...(canaryBackend ? { canary: canaryBackend } : {}),
      canaryAnnotations: active ? canaryAnnotations : {},
    };
  }

  get version(): string | undefined {
    return this.watched.version();
  }

  route(request: RouteRequest, random: () => number): RouteDecision | undefined {
    const main = backendOf(this.watched.get(this.ingress));
    if (!main) return undefined;
    const toPrimary: RouteDecision = { destination: main.name, ingress: this.ingress };
    const state = this.state;
    const canary = backendOf(this.watched.get(this.canaryName));
    if (!state?.canary || !canary) return toPrimary;
    const toCanary: RouteDecision = {
      destination: canary.name,
      ingress: this.ingress,
      canaryUpstream: `${this.namespace}-${canary.name}-${canary.port}`,
    };
    const verdict = canaryVerdict(state.canaryAnnotations, request);
    if (verdict !== undefined) return verdict ? toCanary : toPrimary;
    const weight = Number(state.canaryAnnotations['canary-weight'] ?? 0);
    const total = Number(state.canaryAnnotations['canary-weight-total'] ?? 100);
    return random() * total < weight ? toCanary : toPrimary;
  }
}

/** true: the canary; false: the primary; undefined: up to the weight. */
function canaryVerdict(a: Record<string, string>, request: RouteRequest): boolean | undefined {
  const header = a['canary-by-header'];
  if (header) {
    const value = request.headers[header.toLowerCase()];
    if (value !== undefined) {
      if (a['canary-by-header-value']) {
        if (value === a['canary-by-header-value']) return true;
      } else if (a['canary-by-header-pattern']) {
        if (new RegExp(a['canary-by-header-pattern']).test(value)) return true;
      } else if (value === 'always') return true;
      else if (value === 'never') return false;
    }
  }
  const cookie = a['canary-by-cookie'];
  if (cookie) {
    const value = cookieValue(request.headers, cookie);
    if (value === 'always') return true;
    if (value === 'never') return false;
  }
  return undefined;
}
