/**
 * Writing the mesh objects a router owns, for any mesh: create when missing, otherwise a JSON merge
 * patch of only the fields Fledge owns, and only when they differ from what is stored. Objects the
 * user made before Fledge arrived are taken over with their original saved in an annotation, so
 * that {@link restoreOriginal} can put them back.
 *
 * Ownership rules (`kube/owner-references.ts`):
 * - an object Fledge creates carries a controller ownerReference to its Canary (garbage collected
 *   with it);
 * - an object controlled by a Canary of the same namespace and name that this one replaces (a
 *   deleted and recreated Fledge Canary, or Flagger's during a migration) is adopted: the old
 *   reference is replaced by one to this Canary, in the same write as the rest;
 * - an object with no controller is the user's: it is taken over WITHOUT an ownerReference, so
 *   deleting the Canary never deletes the user's object; its original labels, annotations and spec
 *   are saved once in {@link ORIGINAL_CONFIGURATION_ANNOTATION};
 * - an object controlled by anything else is refused with an OwnershipConflictError.
 */
import {
  canaryOwnerReference,
  standingOf,
  withCanaryOwner,
  type CanaryIdentity,
} from '../kube/owner-references.js';
import {
  describeKey,
  keyOf,
  type Cluster,
  type KubeObject,
  type MergePatch,
  type ObjectKey,
} from '../kube/cluster.js';
import { jsonEqual } from '../kube/json-equal.js';
import { RouterError } from './router.js';

/** Holds the user's object as it was before Fledge took it over (JSON of {@link SavedOriginal}). */
export const ORIGINAL_CONFIGURATION_ANNOTATION = 'fledge.dev/original-configuration';

/** kubectl's copy of the applied object: left where it is, never duplicated into the saved original. */
const KUBECTL_LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

/** What {@link ORIGINAL_CONFIGURATION_ANNOTATION} holds. */
export interface SavedOriginal {
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  spec: Record<string, unknown>;
}

/** A mesh object with a spec, as read from the cluster. */
export interface SpecObject extends KubeObject {
  spec?: Record<string, unknown>;
}

/** The part of an object Fledge owns and wants to be so. */
export interface DesiredObject {
  key: ObjectKey;
  /** Added to the object's labels (other labels are left alone). */
  labels: Record<string, string>;
  /** Added to the object's annotations (other annotations are left alone). */
  annotations: Record<string, string>;
  /**
   * Annotations Fledge owns that must be gone (e.g. NGINX's `canary-by-header` once A/B testing
   * ends): removed when present and not in {@link annotations}.
   */
  removedAnnotations?: readonly string[];
  /** The owned spec fields; an owned field missing here is removed from the object. */
  spec: Record<string, unknown>;
  /** Top-level spec fields Fledge owns; every other spec field is the user's and is never touched. */
  ownedSpecFields: readonly string[];
}

/** The Canary that owns the objects. */
export type OwnerCanary = CanaryIdentity;

/** The keys of `desired` whose value differs in `stored`, as a merge patch; undefined when none. */
function mapPatch(
  stored: Record<string, string> | undefined,
  desired: Record<string, string>,
): Record<string, string> | undefined {
  const changed = Object.entries(desired).filter(([k, v]) => stored?.[k] !== v);
  return changed.length > 0 ? Object.fromEntries(changed) : undefined;
}

/**
 * Where Flagger saved the spec of a user's VirtualService it took over (JSON of the spec alone). The
 * object's current spec is then Flagger's routes, not the user's.
 */
export const FLAGGER_ORIGINAL_CONFIGURATION_ANNOTATION = 'flagger.kubernetes.io/original-configuration';

/** Flagger's saved spec, when the annotation holds a JSON object; undefined otherwise. */
function flaggerSavedSpec(text: string | undefined): Record<string, unknown> | undefined {
  if (text === undefined) return undefined;
  try {
    const spec: unknown = JSON.parse(text);
    return typeof spec === 'object' && spec !== null && !Array.isArray(spec)
      ? (spec as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

function savedOriginalOf(object: SpecObject): SavedOriginal {
  const {
    [KUBECTL_LAST_APPLIED]: _lastApplied,
    [FLAGGER_ORIGINAL_CONFIGURATION_ANNOTATION]: flaggerSaved,
    ...annotations
  } = object.metadata.annotations ?? {};
  // Taken over from Flagger: the user's spec is the one Flagger saved (a migration keeps it).
  const spec = flaggerSavedSpec(flaggerSaved) ?? object.spec ?? {};
  return {
    ...(object.metadata.labels ? { labels: object.metadata.labels } : {}),
    ...(Object.keys(annotations).length > 0 ? { annotations } : {}),
    spec,
  };
}

/**
 * Brings one object to the desired state: creates it when `current` is undefined, otherwise merge
 * patches the owned fields that differ. Writes nothing when nothing differs.
 *
 * @throws OwnershipConflictError when another controller controls `current` (nothing written)
 * @param current the object as just read from the cluster (undefined: it does not exist)
 * @returns whether a write was made
 */
export async function applyOwnedObject(
  cluster: Cluster,
  canary: OwnerCanary,
  desired: DesiredObject,
  current: SpecObject | undefined,
): Promise<boolean> {
  if (!current) {
    await cluster.create<SpecObject>({
      apiVersion: desired.key.apiVersion,
      kind: desired.key.kind,
      metadata: {
        name: desired.key.name,
        namespace: desired.key.namespace,
        ...(Object.keys(desired.labels).length > 0 ? { labels: desired.labels } : {}),
        ...(Object.keys(desired.annotations).length > 0 ? { annotations: desired.annotations } : {}),
        ownerReferences: [canaryOwnerReference(canary)],
      },
      spec: desired.spec,
    });
    return true;
  }

  const standing = standingOf(current, canary);
  const metadata: Record<string, unknown> = {};
  const annotations: Record<string, string> = { ...desired.annotations };
  // Saved once: a later tick must not overwrite the user's original with Fledge's own routes.
  const takingOver = isTakeOver(current, canary);
  if (takingOver) annotations[ORIGINAL_CONFIGURATION_ANNOTATION] = JSON.stringify(savedOriginalOf(current));
  if (standing === 'adoptable')
    metadata.ownerReferences = withCanaryOwner(current.metadata.ownerReferences, canary);
  const labelPatch = mapPatch(current.metadata.labels, desired.labels);
  const removed = (desired.removedAnnotations ?? []).filter(
    (key) => !Object.hasOwn(annotations, key) && current.metadata.annotations?.[key] !== undefined,
  );
  const annotationPatch: Record<string, string | null> | undefined =
    removed.length > 0
      ? {
          ...mapPatch(current.metadata.annotations, annotations),
          ...Object.fromEntries(removed.map((key) => [key, null])),
        }
      : mapPatch(current.metadata.annotations, annotations);
  if (labelPatch) metadata.labels = labelPatch;
  if (annotationPatch) metadata.annotations = annotationPatch;

  const spec: Record<string, unknown> = {};
  for (const field of desired.ownedSpecFields) {
    const want = desired.spec[field];
    if (!jsonEqual(current.spec?.[field], want)) spec[field] = want ?? null;
  }

  if (Object.keys(metadata).length === 0 && Object.keys(spec).length === 0) return false;
  const patch: MergePatch = {};
  if (Object.keys(metadata).length > 0) patch.metadata = metadata;
  if (Object.keys(spec).length > 0) patch.spec = spec;
  // Taking over saves what was read: the precondition makes sure that is still what is stored.
  const options = takingOver ? { resourceVersion: current.metadata.resourceVersion } : {};
  await cluster.patch(desired.key, patch, options);
  return true;
}

/**
 * Whether writing to `current` takes it over from the user now: it has no controller and no saved
 * original yet. Its routes are then the user's, not a split this Canary set.
 * @throws OwnershipConflictError when another controller controls it
 */
export function isTakeOver(current: KubeObject, canary: OwnerCanary): boolean {
  return (
    standingOf(current, canary) === 'unowned' &&
    current.metadata.annotations?.[ORIGINAL_CONFIGURATION_ANNOTATION] === undefined
  );
}

/** Reads and checks the saved original of a taken-over object; undefined when there is none. */
export function readSavedOriginal(object: KubeObject): SavedOriginal | undefined {
  const text = object.metadata.annotations?.[ORIGINAL_CONFIGURATION_ANNOTATION];
  if (text === undefined) return undefined;
  let saved: unknown;
  try {
    saved = JSON.parse(text);
  } catch (error) {
    throw new RouterError(
      `${describeKey(keyOf(object))}: annotation ${ORIGINAL_CONFIGURATION_ANNOTATION} is not valid JSON`,
      { cause: error },
    );
  }
  const spec = (saved as { spec?: unknown } | null)?.spec;
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) {
    throw new RouterError(
      `${describeKey(keyOf(object))}: annotation ${ORIGINAL_CONFIGURATION_ANNOTATION} has no spec object`,
    );
  }
  return saved as SavedOriginal;
}

/**
 * Puts a taken-over object back as the user had it (labels, annotations, spec), with a full replace
 * so that fields Fledge added are gone too.
 *
 * @returns false when the object holds no saved original (nothing was restored)
 */
export async function restoreOriginal(cluster: Cluster, current: SpecObject): Promise<boolean> {
  const saved = readSavedOriginal(current);
  if (!saved) return false;
  const lastApplied = current.metadata.annotations?.[KUBECTL_LAST_APPLIED];
  const annotations = {
    ...(saved.annotations ?? {}),
    ...(lastApplied !== undefined ? { [KUBECTL_LAST_APPLIED]: lastApplied } : {}),
  };
  const { labels: _labels, annotations: _annotations, ...metadata } = current.metadata;
  await cluster.replace<SpecObject>({
    ...current,
    metadata: {
      ...metadata,
      ...(saved.labels ? { labels: saved.labels } : {}),
      ...(Object.keys(annotations).length > 0 ? { annotations } : {}),
    },
    spec: saved.spec,
  });
  return true;
}
