/**
 * Which version server stands behind a destination (an Istio host or subset, an SMI or Gateway API
 * backend service, an Ingress backend, a Service's selected pods). Keys are a service host (`podinfo-canary`)
 * or a host and subset (`podinfo/canary`); hosts may be written short or qualified
 * (`podinfo-canary.test`, `.svc`, `.svc.cluster.local`), as in a VirtualService.
 */

/** A version server as the mesh sees it: where to send requests and which workload answers. */
export interface MeshTarget {
  /** Base address of the version server, e.g. `http://127.0.0.1:41234`. */
  url: string;
  /** The workload reported as `destination_workload`, e.g. `podinfo-primary`. */
  workload: string;
  /** The pod reported for it (default {@link podName} of the workload). */
  pod?: string;
}

/** A target as the mesh reports it: with its pod name. */
export type ResolvedTarget = Required<MeshTarget>;

/**
 * A Deployment-shaped pod name for a workload, `<workload>-<10 characters>-<5 characters>`, the same
 * for the same workload: Flagger's HTTP observer queries select pods by that shape.
 */
export function podName(workload: string): string {
  let hash = 2166136261;
  for (const c of workload) hash = Math.imul(hash ^ c.charCodeAt(0), 16777619) >>> 0;
  const chars = 'bcdfghjklmnpqrstvwxz2456789';
  let suffix = '';
  for (let i = 0; i < 15; i++) {
    suffix += chars[hash % chars.length];
    hash = Math.imul(hash ^ i, 2654435761) >>> 0;
  }
  return `${workload}-${suffix.slice(0, 10)}-${suffix.slice(10)}`;
}

/** Version servers by destination key. */
export type DestinationMap = Record<string, MeshTarget>;

/** A destination that could not be looked up: an unmapped or malformed key. */
export class DestinationError extends Error {
  override name = 'DestinationError';
}

/** The short service name of a host in `namespace`; other namespaces' hosts are kept whole. */
export function shortHost(host: string, namespace: string): string {
  for (const suffix of [`.${namespace}.svc.cluster.local`, `.${namespace}.svc`, `.${namespace}`]) {
    if (host.endsWith(suffix)) return host.slice(0, -suffix.length);
  }
  return host;
}

/** The key of a destination: `host` or `host/subset`, with the host shortened. */
export function destinationKey(
  destination: { host: string; subset?: string | undefined },
  namespace: string,
): string {
  const host = shortHost(destination.host, namespace);
  return destination.subset ? `${host}/${destination.subset}` : host;
}

/** Resolves destinations of one namespace to version servers. */
export class DestinationResolver {
  private readonly byKey = new Map<string, ResolvedTarget>();

  /** Throws {@link DestinationError} for a key with more than one `/` or an empty part, or a bad target. */
  constructor(
    destinations: DestinationMap,
    private readonly namespace: string,
  ) {
    for (const [key, target] of Object.entries(destinations)) {
      const parts = key.split('/');
      if (parts.length > 2 || parts.some((p) => p === '')) {
        throw new DestinationError(`destinations["${key}"]: expected "host" or "host/subset"`);
      }
      if (!target || typeof target.url !== 'string' || !/^https?:\/\//.test(target.url)) {
        throw new DestinationError(`destinations["${key}"].url: expected an http(s) URL, got ${target?.url}`);
      }
      if (typeof target.workload !== 'string' || target.workload === '') {
        throw new DestinationError(`destinations["${key}"].workload: expected a workload name`);
      }
      const [host, subset] = parts as [string, string | undefined];
      this.byKey.set(destinationKey({ host, subset }, namespace), {
        url: target.url,
        workload: target.workload,
        pod: target.pod ?? podName(target.workload),
      });
    }
    if (this.byKey.size === 0) throw new DestinationError('destinations: at least one is needed');
  }

  /** The version server behind a destination key (`host` or `host/subset`), undefined when unmapped. */
  resolve(key: string): ResolvedTarget | undefined {
    const [host, subset] = key.split('/') as [string, string | undefined];
    return this.byKey.get(destinationKey({ host, subset }, this.namespace));
  }
}

/**
 * The destinations Fledge's routers write for `apex`: services `<apex>-primary` and `<apex>-canary`,
 * Istio's subsets `primary` and `canary` of host `<apex>`, and `<apex>` itself (its Service selects
 * the primary pods, as Flagger's apex Service does, e.g. behind the user's Ingress).
 */
export function apexDestinations(
  apex: string,
  versions: { primary: MeshTarget; canary: MeshTarget },
): DestinationMap {
  return {
    [apex]: versions.primary,
    [`${apex}-primary`]: versions.primary,
    [`${apex}-canary`]: versions.canary,
    [`${apex}/primary`]: versions.primary,
    [`${apex}/canary`]: versions.canary,
  };
}
