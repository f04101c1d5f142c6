/**
 * Maps apiVersion + kind to the REST resource (plural name, scope, status subresource) through the
 * API server's discovery documents, cached per apiVersion. A kind missing from the cache triggers
 * one refetch (its CRD may have been installed since), at most once per `refreshMinIntervalMs`.
 */
import { UnknownKindError, toKubeError } from './errors.js';
import type { KubeTransport } from './transport.js';

/** What the adapter needs to know about a resource to address it. */
export interface ResourceInfo {
  apiVersion: string;
  kind: string;
  /** `''` for the core group. */
  group: string;
  version: string;
  /** Plural resource name used in paths, e.g. `canaries`. */
  plural: string;
  namespaced: boolean;
  /** Whether `/status` is a separate subresource. */
  hasStatus: boolean;
}

/** One entry of an `APIResourceList`. */
interface ApiResource {
  name: string;
  kind: string;
  namespaced: boolean;
}

/** Splits `group/version` (`v1` is the core group). */
export function splitApiVersion(apiVersion: string): { group: string; version: string } {
  const slash = apiVersion.indexOf('/');
  return slash < 0
    ? { group: '', version: apiVersion }
    : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) };
}

/** The discovery path of an apiVersion: `/api/v1` or `/apis/group/version`. */
export function apiVersionPath(apiVersion: string): string {
  const { group, version } = splitApiVersion(apiVersion);
  return group === '' ? `/api/${version}` : `/apis/${group}/${version}`;
}

/** Resource label the API server uses in its metrics and kubectl in its output: `plural[.group][/sub]`. */
export function resourceLabel(info: ResourceInfo, subresource?: string): string {
  return `${info.plural}${info.group ? `.${info.group}` : ''}${subresource ? `/${subresource}` : ''}`;
}

/** Path of a collection: one namespace, or all namespaces when `namespace` is undefined. */
export function collectionPath(info: ResourceInfo, namespace?: string): string {
  const scope =
    info.namespaced && namespace !== undefined ? `/namespaces/${encodeURIComponent(namespace)}` : '';
  return `${apiVersionPath(info.apiVersion)}${scope}/${info.plural}`;
}

/** Path of one object, or of its subresource. */
export function objectPath(
  info: ResourceInfo,
  namespace: string,
  name: string,
  subresource?: string,
): string {
  const base = collectionPath(info, info.namespaced ? namespace : undefined);
  return `${base}/${encodeURIComponent(name)}${subresource ? `/${subresource}` : ''}`;
}

/** Picks the resource for `kind` out of an `APIResourceList`'s entries; subresources are skipped. */
export function findResource(
  apiVersion: string,
  kind: string,
  resources: readonly ApiResource[],
): ResourceInfo | undefined {
  const main = resources.find((r) => r.kind === kind && !r.name.includes('/'));
  if (!main) return undefined;
  return {
    apiVersion,
    kind,
    ...splitApiVersion(apiVersion),
    plural: main.name,
    namespaced: main.namespaced,
    hasStatus: resources.some((r) => r.name === `${main.name}/status`),
  };
}

interface CachedList {
  resources: ApiResource[];
  fetchedAtMs: number;
}

export interface ResourceDiscoveryOptions {
  transport: KubeTransport;
  /** Minimum time between refetches of one apiVersion after a miss (default 5 s). */
  refreshMinIntervalMs?: number;
  now?: () => number;
}

/** Cached discovery. Concurrent lookups of one apiVersion share a single request. */
export class ResourceDiscovery {
  private readonly cache = new Map<string, CachedList>();
  private readonly inFlight = new Map<string, Promise<CachedList>>();
  private readonly now: () => number;
  private readonly refreshMinIntervalMs: number;

  constructor(private readonly o: ResourceDiscoveryOptions) {
    this.now = o.now ?? (() => performance.now());
    this.refreshMinIntervalMs = o.refreshMinIntervalMs ?? 5_000;
  }

  /**
   * The resource serving `kind` in `apiVersion`.
   * @throws UnknownKindError when the server does not serve it
   */
  async resolve(apiVersion: string, kind: string): Promise<ResourceInfo> {
    let cached = this.cache.get(apiVersion) ?? (await this.fetch(apiVersion));
    let found = findResource(apiVersion, kind, cached.resources);
    if (!found && this.now() - cached.fetchedAtMs >= this.refreshMinIntervalMs) {
      cached = await this.fetch(apiVersion);
      found = findResource(apiVersion, kind, cached.resources);
    }
    if (!found)
      throw new UnknownKindError(
        `the API server does not serve kind ${kind} in ${apiVersion} (is its CustomResourceDefinition installed?)`,
      );
    return found;
  }

  private fetch(apiVersion: string): Promise<CachedList> {
    const pending = this.inFlight.get(apiVersion);
    if (pending) return pending;
    const request = this.load(apiVersion).finally(() => this.inFlight.delete(apiVersion));
    this.inFlight.set(apiVersion, request);
    return request;
  }

  private async load(apiVersion: string): Promise<CachedList> {
    const response = await this.o.transport.send({
      method: 'GET',
      path: apiVersionPath(apiVersion),
      count: `discovery ${apiVersion}`,
    });
    let resources: ApiResource[];
    if (response.status === 404) {
      resources = [];
    } else if (response.status !== 200) {
      throw toKubeError(response.status, response.body, `discover ${apiVersion}`);
    } else {
      const body = response.body as { resources?: ApiResource[] } | undefined;
      resources = Array.isArray(body?.resources) ? body.resources : [];
    }
    const entry = { resources, fetchedAtMs: this.now() };
    this.cache.set(apiVersion, entry);
    return entry;
  }
}
