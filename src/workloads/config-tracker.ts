/**
 * Config tracking: reads the ConfigMaps and Secrets the target references, checksums them (a change
 * is a new revision, as a template change is), and keeps the primary's `-primary` copies in step.
 *
 * Not tracked (the primary keeps referencing the object itself, as Flagger does): objects annotated
 * `fledge.dev/config-tracking: disabled` (or Flagger's `flagger.app/config-tracking`), and Secrets
 * that are not plain data (image pull secrets, service account tokens).
 */
import { calculateMergePatch } from './merge-patch.js';
import type { ResolvedCanary } from '../api/defaults.js';
import { describeKey, type Cluster, type KubeObject } from '../kube/cluster.js';
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
import { stableHash } from './stable-hash.js';

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
  object: ConfigMap | Secret;
}

/** What the target's pod spec references. */
export interface TargetConfigs {
  tracked: TrackedConfig[];
  /** Required references whose object does not exist (the pods cannot start). */
  missing: ConfigRef[];
}

/** Checksum of the content of a ConfigMap (data, binaryData) or Secret (data). */
export function configChecksum(kind: ConfigKind, object: ConfigMap | Secret): string {
  return stableHash(contentOf(kind, object));
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

function isTracked(kind: ConfigKind, object: ConfigMap | Secret): boolean {
  if (CONFIG_TRACKING_ANNOTATIONS.some((a) => object.metadata.annotations?.[a] === 'disabled')) return false;
  if (kind === 'secret') {
    const type = (object as Secret).type ?? 'Opaque';
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
    refs.map((ref) => cluster.get<ConfigMap | Secret>(objectKey(apiOf(ref.kind), namespace, ref.name))),
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
      tracked.push({ kind: ref.kind, name: ref.name, checksum: configChecksum(ref.kind, object), object });
  });
  return { tracked, missing };
}

/**
 * The content a `-primary` copy carries, compared with the stored copy and checksummed. A Secret's
 * stringData only exists before the API server folds it into data (the in-memory cluster keeps it).
 */
function contentOf(kind: ConfigKind, object: ConfigMap | Secret): Record<string, Record<string, string>> {
  if (kind === 'configmap') {
    const cm = object as ConfigMap;
    return { data: cm.data ?? {}, binaryData: cm.binaryData ?? {} };
  }
  const secret = object as Secret;
  return { data: secret.data ?? {}, ...(secret.stringData ? { stringData: secret.stringData } : {}) };
}

/**
 * Creates or updates the `-primary` copy of each tracked config with the source's content, owned by
 * the Canary. Writes only what differs.
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
    const stored = await cluster.get<ConfigMap | Secret>(key);
    const content = contentOf(config.kind, config.object);
    if (!stored) {
      const type = config.kind === 'secret' ? (config.object as Secret).type : undefined;
      await cluster.create<KubeObject>({
        ...api,
        metadata: { name, namespace: canary.namespace, ownerReferences: withCanaryOwner(undefined, canary) },
        ...(type ? { type } : {}),
        ...content,
      } as KubeObject);
      continue;
    }
    const before = { content: contentOf(config.kind, stored), owners: stored.metadata.ownerReferences ?? [] };
    const after = { content, owners: withCanaryOwner(stored.metadata.ownerReferences, canary) };
    const diff = calculateMergePatch(before, after) as { content?: object; owners?: unknown } | undefined;
    if (!diff) continue;
    await cluster.patch(
      key,
      { ...(diff.content ?? {}), ...(diff.owners ? { metadata: { ownerReferences: after.owners } } : {}) },
      { resourceVersion: stored.metadata.resourceVersion },
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
    const copy = await cluster.get<ConfigMap | Secret>(key);
    if (!copy || !isAdoptable(copy, canary)) continue;
    await cluster.patch(
      key,
      { metadata: { ownerReferences: withCanaryOwner(copy.metadata.ownerReferences, canary) } },
      { resourceVersion: copy.metadata.resourceVersion },
    );
  }
}
