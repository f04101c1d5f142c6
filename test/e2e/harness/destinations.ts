/**
 * Which version server stands behind an Istio destination. Keys are a service host (`podinfo-canary`)
 * or a host and subset (`podinfo/canary`); hosts may be written short or qualified
 * (`podinfo-canary.test`, `.svc`, `.svc.cluster.local`), as in a VirtualService.
 */

/** A version server as the mesh sees it: where to send requests and which workload answers. */
export interface MeshTarget {
  /** Base address of the version server, e.g. `http://127.0.0.1:41234`. */
  url: string;
  /** The workload reported as `destination_workload`, e.g. `podinfo-primary`. */
  workload: string;
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
  private readonly byKey = new Map<string, MeshTarget>();

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
      this.byKey.set(destinationKey({ host, subset }, namespace), target);
    }
    if (this.byKey.size === 0) throw new DestinationError('destinations: at least one is needed');
  }

  /** The version server behind a destination, or undefined when it is not mapped. */
  resolve(destination: { host: string; subset?: string | undefined }): MeshTarget | undefined {
    return this.byKey.get(destinationKey(destination, this.namespace));
  }
}

/**
 * The destinations Fledge's Istio router writes for `apex`, in both routing modes: hosts
 * `<apex>-primary` and `<apex>-canary`, subsets `primary` and `canary` of host `<apex>`, and `<apex>`
 * itself (its Service selects the primary pods, as Flagger's apex Service does).
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
