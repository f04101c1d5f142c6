/**
 * Config tracking: reads the ConfigMaps and Secrets the target references, checksums them (a change
 * is a new revision, as a template change is), and keeps the primary's `-primary` copies in step.
 * The checksums come from the caches, which keep no content (`cache-shape.ts`); the content is read
 * whole only to write a copy whose checksum differs from its source's.
 *
 * Not tracked (the primary keeps referencing the object itself, as Flagger does): objects annotated
 * `fledge.dev/config-tracking: disabled` (or Flagger's `flagger.app/config-tracking`), and Secrets
 * that are not plain data (image pull secrets, service account tokens).
 */
import { calculateMergePatch } from './merge-patch.js';
import type { ResolvedCanary } from '../api/defaults.js';
import {
  describeKey,
  type Cluster,
  type ConfigSummary,
  type KubeObject,
  type ObjectKey,
} from '../kube/cluster.js';
import { API, objectKey, type ConfigMap, type PodSpec, type Secret } from '../kube/resources.js';
import {
  configKey,
  findConfigRefs,
  uniqueConfigRefs,
  type ConfigKind,
  type ConfigRef,
} from './config-refs.js';
import { OwnershipConflictError, standingOf, withCanaryOwner } from '../kube/owner-references.js';
import { PRIMARY_SUFFIX } from './selector-label.js';

/** Annotations that switch tracking off for one ConfigMap or Secret when set to `disabled`. */
export const CONFIG_TRACKING_ANNOTATIONS = [
  'fledge.dev/config-tracking',
  'flagger.app/config-tracking',
] as const;

/** Secret types holding application data; other types are left alone. */
export const TRACKED_SECRET_TYPES = [
  'Opaque',
  'kubernetes.io/basic-auth',
  'kubernetes.io/ssh-auth',
  'kubernetes.io/tls',
] as const;

/** A referenced object that exists and is tracked. */
export interface TrackedConfig {
  kind: ConfigKind;
  name: string;
  checksum: string;
  /** The source as the caches keep it: metadata, `type`, checksum. */
  object: ConfigSummary;
}

/** What the target's pod spec references. */
export interface TargetConfigs {
  tracked: TrackedConfig[];
  /** Required references whose object does not exist (the pods cannot start). */
  missing: ConfigRef[];
}

/** `configmap/NAME` / `secret/NAME` to checksum, as stored in `status.trackedConfigs`. */
export function trackedConfigsOf(configs: TrackedConfig[]): Record<string, string> {
  return Object.fromEntries(
    configs.map((c) => [configKey(c.kind, c.name), c.checksum] as const).sort(([a], [b]) => (a < b ? -1 : 1)),
  );
}

/** Human-readable list of missing references, for readiness messages and errors. */
export function describeMissing(namespace: string, missing: ConfigRef[]): string {
  return missing
    .map(
      (ref) =>
        `${describeKey({ kind: apiOf(ref.kind).kind, namespace, name: ref.name })} (${ref.field}) not found`,
    )
    .join('; ');
}

function apiOf(kind: ConfigKind): { apiVersion: string; kind: string } {
  return kind === 'configmap' ? API.configMap : API.secret;
}

function isTracked(kind: ConfigKind, object: ConfigSummary): boolean {
  if (CONFIG_TRACKING_ANNOTATIONS.some((a) => object.metadata.annotations?.[a] === 'disabled')) return false;
  if (kind === 'secret') {
    const type = object.type ?? 'Opaque';
    return (TRACKED_SECRET_TYPES as readonly string[]).includes(type);
  }
  return true;
}

/** Reads every ConfigMap and Secret the pod spec references. */
export async function readTargetConfigs(
  cluster: Cluster,
  namespace: string,
  spec: PodSpec,
): Promise<TargetConfigs> {
  const refs = uniqueConfigRefs(findConfigRefs(spec));
  const found = await Promise.all(
    refs.map((ref) => cluster.get<ConfigSummary>(objectKey(apiOf(ref.kind), namespace, ref.name))),
  );
  const tracked: TrackedConfig[] = [];
  const missing: ConfigRef[] = [];
  refs.forEach((ref, i) => {
    const object = found[i];
    if (!object) {
      if (!ref.optional) missing.push(ref);
      return;
    }
    if (isTracked(ref.kind, object))
      tracked.push({ kind: ref.kind, name: ref.name, checksum: object.contentChecksum, object });
  });
  return { tracked, missing };
}

/**
 * The content a `-primary` copy carries (what `contentChecksum` of `cache-shape.ts` covers). A Secret's stringData
 * only exists before the API server folds it into data (the in-memory cluster keeps it).
 */
function contentOf(kind: ConfigKind, object: ConfigMap | Secret): Record<string, Record<string, string>> {
  if (kind === 'configmap') {
    const cm = object as ConfigMap;
    return { data: cm.data ?? {}, binaryData: cm.binaryData ?? {} };
  }
  const secret = object as Secret;
  return { data: secret.data ?? {}, ...(secret.stringData ? { stringData: secret.stringData } : {}) };
}

/** Reads an object whole (content included); one that vanished since the cache saw it is an error. */
async function readWhole<T extends ConfigMap | Secret>(cluster: Cluster, key: ObjectKey): Promise<T> {
  const object = await cluster.getFull<T>(key);
  if (!object) throw new Error(`${describeKey(key)} vanished while its -primary copy was written`);
  return object;
}

/**
 * Creates or updates the `-primary` copy of each tracked config with the source's content, owned by
 * the Canary. Writes only what differs; reads the contents (source and copy) only when the cached
 * checksums differ.
 */
export async function syncPrimaryCopies(
  cluster: Cluster,
  canary: ResolvedCanary,
  configs: TrackedConfig[],
): Promise<void> {
  for (const config of configs) {
    const api = apiOf(config.kind);
    const name = `${config.name}${PRIMARY_SUFFIX}`;
    const key = objectKey(api, canary.namespace, name);
    const sourceKey = objectKey(api, canary.namespace, config.name);
    const stored = await cluster.get<ConfigSummary>(key);
    if (!stored) {
      const content = contentOf(config.kind, await readWhole(cluster, sourceKey));
      await cluster.create<KubeObject>({
        ...api,
        metadata: { name, namespace: canary.namespace, ownerReferences: withCanaryOwner(undefined, canary) },
        ...(config.object.type ? { type: config.object.type } : {}),
        ...content,
      } as KubeObject);
      continue;
    }
    const owners = withCanaryOwner(stored.metadata.ownerReferences, canary);
    const ownersDiffer = calculateMergePatch(stored.metadata.ownerReferences ?? [], owners) !== undefined;
    let contentPatch: object | undefined;
    let resourceVersion = stored.metadata.resourceVersion;
    if (stored.contentChecksum !== config.checksum) {
      const [source, copy] = await Promise.all([readWhole(cluster, sourceKey), readWhole(cluster, key)]);
      contentPatch = calculateMergePatch(contentOf(config.kind, copy), contentOf(config.kind, source)) as
        object | undefined;
      // The patch is computed from the copy just read, so its version is the precondition.
      resourceVersion = copy.metadata.resourceVersion;
    }
    if (!contentPatch && !ownersDiffer) continue;
    await cluster.patch(
      key,
      { ...(contentPatch ?? {}), ...(ownersDiffer ? { metadata: { ownerReferences: owners } } : {}) },
      { resourceVersion },
    );
  }
}

/** Whether this Canary replaces the copy's controller; a copy another canary controls stays its own. */
function isAdoptable(copy: KubeObject, canary: ResolvedCanary): boolean {
  try {
    return standingOf(copy, canary) === 'adoptable';
  } catch (err) {
    // Shared with another canary's target: that canary keeps it; promotion adds a plain reference.
    if (err instanceof OwnershipConflictError) return false;
    throw err;
  }
}

/**
 * Adopts the `-primary` copies that the primary runs with when an earlier Canary of the same name
 * (Flagger's, during a migration) created them: only their owner reference is swapped, their content
 * stays what the primary was promoted with. Without this, deleting the old Canary would collect the
 * copies from under the running primary. Copies with no adoptable owner are left alone (promotion
 * brings them in step).
 */
export async function adoptPrimaryCopies(
  cluster: Cluster,
  canary: ResolvedCanary,
  spec: PodSpec,
): Promise<void> {
  for (const ref of uniqueConfigRefs(findConfigRefs(spec))) {
    const key = objectKey(apiOf(ref.kind), canary.namespace, `${ref.name}${PRIMARY_SUFFIX}`);
    const copy = await cluster.get<ConfigSummary>(key);
    if (!copy || !isAdoptable(copy, canary)) continue;
    await cluster.patch(
      key,
      { metadata: { ownerReferences: withCanaryOwner(copy.metadata.ownerReferences, canary) } },
      { resourceVersion: copy.metadata.resourceVersion },
    );
  }
}
