/**
 * What the caches keep of an object (the informers of the real adapter, and the reads of the
 * in-memory cluster, which must agree with them). Every kind loses `metadata.managedFields`, which
 * nothing in Fledge reads and which is often the largest part of an object. ConfigMaps and Secrets
 * lose their content: config tracking needs only a checksum of it, and a cache of every Secret of a
 * watched namespace must not hold their values. What does need the content (writing a `-primary`
 * copy, reading a provider's credentials) reads the object whole with {@link Cluster.getFull}.
 */
import type { KubeObject, ObjectMeta } from './cluster.js';
import { stableHash } from '../workloads/stable-hash.js';

/** kubectl's copy of the last applied object: for a ConfigMap or Secret, its whole content again. */
export const LAST_APPLIED_ANNOTATION = 'kubectl.kubernetes.io/last-applied-configuration';

/**
 * A ConfigMap or Secret as `get`, `list` and `watch` return it: metadata (without managedFields and
 * {@link LAST_APPLIED_ANNOTATION}), `type` and `immutable`, and {@link contentChecksum} in place
 * of `data`, `binaryData` and `stringData`.
 */
export interface ConfigSummary extends KubeObject {
  /** A Secret's type (`Opaque`, `kubernetes.io/tls`...); absent on ConfigMaps. */
  type?: string;
  immutable?: boolean;
  /** {@link contentChecksum} of the object the summary stands for. */
  contentChecksum: string;
}

/** Whether objects of this kind are kept as a {@link ConfigSummary}: core ConfigMaps and Secrets. */
export function isConfigKind(apiVersion: string, kind: string): boolean {
  return apiVersion === 'v1' && (kind === 'ConfigMap' || kind === 'Secret');
}

/**
 * Checksum of a ConfigMap's `data` and `binaryData`, or of a Secret's `data` (and `stringData`,
 * which only exists before an API server folds it into `data`; the in-memory cluster keeps it).
 * It is the value recorded in a Canary's `status.trackedConfigs`, so it must not change its form:
 * a new form would look like a config change to every Canary on upgrade.
 */
export function contentChecksum(object: KubeObject): string {
  const content = object as KubeObject & Record<string, Record<string, string> | undefined>;
  if (object.kind === 'Secret')
    return stableHash({
      data: content['data'] ?? {},
      ...(content['stringData'] ? { stringData: content['stringData'] } : {}),
    });
  return stableHash({ data: content['data'] ?? {}, binaryData: content['binaryData'] ?? {} });
}

/**
 * The form a cache keeps of `object` (see the file comment); `object` itself is not changed, and
 * an object already in that form is returned as it is.
 */
export function cacheShape<T extends KubeObject>(object: T): T {
  const meta = object.metadata as ObjectMeta & { managedFields?: unknown };
  const config = isConfigKind(object.apiVersion, object.kind);
  if (config && typeof (object as Partial<ConfigSummary>).contentChecksum === 'string') return object;
  if (!config) {
    if (meta?.managedFields === undefined) return object;
    const { managedFields: _dropped, ...metadata } = meta;
    return { ...object, metadata };
  }
  const { managedFields: _dropped, annotations, ...metadata } = meta;
  const { [LAST_APPLIED_ANNOTATION]: _applied, ...kept } = annotations ?? {};
  const source = object as unknown as Partial<ConfigSummary>;
  const summary: ConfigSummary = {
    apiVersion: object.apiVersion,
    kind: object.kind,
    metadata: { ...metadata, ...(annotations ? { annotations: kept } : {}) },
    ...(source.type !== undefined ? { type: source.type } : {}),
    ...(source.immutable !== undefined ? { immutable: source.immutable } : {}),
    contentChecksum: contentChecksum(object),
  };
  return summary as unknown as T;
}
