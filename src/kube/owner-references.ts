/**
 * Owner references from generated objects to their Canary, so that the garbage collector removes
 * them with it. Only one owner reference may be the controller: an object someone else controls
 * (a Flagger Canary during a migration) gets a plain reference, which still keeps it alive.
 */
import type { KubeObject, OwnerReference } from './cluster.js';
import { API } from './resources.js';

/** The Canary that owns generated objects. */
export interface CanaryIdentity {
  namespace: string;
  name: string;
  uid: string;
}

/** A Canary without a uid (never stored by an API server) cannot own objects. */
export class OwnershipError extends Error {
  override name = 'OwnershipError';
}

/** The controller owner reference to the Canary. */
export function canaryOwnerReference(canary: CanaryIdentity): OwnerReference {
  if (!canary.uid) {
    throw new OwnershipError(
      `Canary ${canary.namespace}/${canary.name} has no metadata.uid: generated objects cannot reference it as their owner`,
    );
  }
  return {
    apiVersion: API.canary.apiVersion,
    kind: API.canary.kind,
    name: canary.name,
    uid: canary.uid,
    controller: true,
    blockOwnerDeletion: true,
  };
}

/** Whether an owner reference points at a Fledge Canary (any version). */
export function isFledgeCanary(ref: OwnerReference): boolean {
  return ref.kind === API.canary.kind && ref.apiVersion.split('/')[0] === API.canary.apiVersion.split('/')[0];
}

/** Whether this Canary is the object's controller (it created or adopted the object). */
export function isControlledBy(object: KubeObject, canary: CanaryIdentity): boolean {
  return (object.metadata.ownerReferences ?? []).some(
    (ref) => ref.controller === true && isFledgeCanary(ref) && ref.uid === canary.uid,
  );
}

/**
 * The owner references an object should carry: the existing ones, minus references to an earlier
 * Canary of the same name (deleted and recreated), plus one to this Canary. The new reference is the
 * controller unless another controller remains.
 */
export function withCanaryOwner(
  refs: OwnerReference[] | undefined,
  canary: CanaryIdentity,
): OwnerReference[] {
  const ours = canaryOwnerReference(canary);
  const kept = (refs ?? []).filter(
    (ref) => !(isFledgeCanary(ref) && ref.name === canary.name && ref.uid !== canary.uid),
  );
  if (kept.some((ref) => ref.uid === canary.uid)) return kept;
  const otherController = kept.some((ref) => ref.controller === true);
  return [...kept, otherController ? { ...ours, controller: false } : ours];
}
