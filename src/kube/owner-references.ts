/**
 * Owner references from generated objects to their Canary, so that the garbage collector removes
 * them with it, and the rules by which a Canary may take an existing object over.
 *
 * A Canary stands towards an existing object in one of four ways ({@link standingOf}):
 * - `controlled`: its controller reference names this Canary (same uid);
 * - `adoptable`: its controller is a Canary of the same namespace and name that this one replaces:
 *   an earlier Fledge Canary (deleted and recreated, so another uid), or Flagger's Canary during a
 *   migration (`flagger.app`). The reference is swapped for one to this Canary, so that deleting
 *   the old Canary no longer garbage collects the object;
 * - `unowned`: no controller (the user made it);
 * - anything else is controlled by another Canary or another controller: {@link OwnershipConflictError}.
 */
import { describeKey, keyOf, type KubeObject, type OwnerReference } from './cluster.js';
import { API } from './resources.js';

/** The Canary that owns generated objects. */
export interface CanaryIdentity {
  namespace: string;
  name: string;
  uid: string;
}

/** API group of Flagger's Canary, whose generated objects a Fledge Canary of the same name adopts. */
export const FLAGGER_GROUP = 'flagger.app';

/** A Canary without a uid (never stored by an API server) cannot own objects. */
export class OwnershipError extends Error {
  override name = 'OwnershipError';
}

/**
 * An object this Canary would write is controlled by another Canary (or another controller). The
 * message names the object and its controller (`Canary ns/name`); nothing has been written.
 */
export class OwnershipConflictError extends Error {
  override name = 'OwnershipConflictError';
  constructor(
    message: string,
    /** The controller, as named in the message (e.g. `Canary test/other`). */
    readonly owner: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** How a Canary stands towards an existing object; see the module comment. */
export type Standing = 'controlled' | 'adoptable' | 'unowned';

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

/** The API group of an apiVersion (`''` for the core group). */
function groupOf(apiVersion: string): string {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? '' : apiVersion.slice(0, slash);
}

/** Whether an owner reference points at a Fledge Canary (any version). */
export function isFledgeCanary(ref: OwnerReference): boolean {
  return ref.kind === API.canary.kind && groupOf(ref.apiVersion) === groupOf(API.canary.apiVersion);
}

/** Whether an owner reference points at a Flagger Canary (`flagger.app`, any version). */
export function isFlaggerCanary(ref: OwnerReference): boolean {
  return ref.kind === 'Canary' && groupOf(ref.apiVersion) === FLAGGER_GROUP;
}

/** Whether this Canary is the object's controller (it created or adopted the object). */
export function isControlledBy(object: KubeObject, canary: CanaryIdentity): boolean {
  return (object.metadata.ownerReferences ?? []).some(
    (ref) => ref.controller === true && isFledgeCanary(ref) && ref.uid === canary.uid,
  );
}

/** Whether a reference is one this Canary replaces (an earlier Fledge Canary or Flagger's, same name). */
function isReplacedBy(ref: OwnerReference, canary: CanaryIdentity): boolean {
  if (ref.name !== canary.name) return false;
  return (isFledgeCanary(ref) && ref.uid !== canary.uid) || isFlaggerCanary(ref);
}

/**
 * How an object's controller is named in messages: `Canary ns/name` for a Fledge Canary,
 * `Flagger Canary ns/name` for Flagger's, `Kind ns/name` for anything else. Owners live in the
 * object's namespace (Kubernetes forbids cross-namespace owner references).
 */
export function describeOwner(ref: OwnerReference, namespace: string): string {
  const kind = isFlaggerCanary(ref) ? 'Flagger Canary' : ref.kind;
  return `${kind} ${namespace}/${ref.name}`;
}

/** The controller reference of an object, if any. */
export function controllerOf(object: KubeObject): OwnerReference | undefined {
  return (object.metadata.ownerReferences ?? []).find((ref) => ref.controller === true);
}

/**
 * How this Canary stands towards an existing object (see the module comment).
 * @throws OwnershipConflictError when another Canary or another controller controls it
 */
export function standingOf(object: KubeObject, canary: CanaryIdentity): Standing {
  const controller = controllerOf(object);
  if (!controller) return 'unowned';
  if (isFledgeCanary(controller) && controller.uid === canary.uid) return 'controlled';
  if (isReplacedBy(controller, canary)) return 'adoptable';
  const namespace = object.metadata.namespace ?? canary.namespace;
  const owner = describeOwner(controller, namespace);
  const hint =
    isFledgeCanary(controller) || isFlaggerCanary(controller)
      ? 'two Canaries cannot share a target, a service name or mesh objects'
      : 'Fledge only takes over objects with no controller';
  throw new OwnershipConflictError(
    `${describeKey(keyOf(object))} is controlled by ${owner}: Canary ${canary.namespace}/${canary.name} will not write to it (${hint})`,
    owner,
  );
}

/**
 * Checks every object before the first write, so that a conflict leaves nothing half-applied.
 * @throws OwnershipConflictError for the first object another controller controls
 */
export function checkStandings(objects: readonly (KubeObject | undefined)[], canary: CanaryIdentity): void {
  for (const object of objects) if (object) standingOf(object, canary);
}

/**
 * The target must be a workload of the user's, not one a Canary generated (another canary's
 * `-primary`): scaling it would take the other canary's stable version down.
 * @throws OwnershipConflictError when a Canary (Fledge's or Flagger's) controls the target
 */
export function checkTargetStanding(target: KubeObject, canary: CanaryIdentity): void {
  const controller = controllerOf(target);
  if (!controller || !(isFledgeCanary(controller) || isFlaggerCanary(controller))) return;
  const owner = describeOwner(controller, target.metadata.namespace ?? canary.namespace);
  throw new OwnershipConflictError(
    `spec.targetRef of Canary ${canary.namespace}/${canary.name}: ${describeKey(keyOf(target))} is generated and controlled by ${owner}; target the Deployment that Canary targets instead`,
    owner,
  );
}

/**
 * The owner references an object should carry: the existing ones, minus references this Canary
 * replaces (an earlier Canary of the same name, Fledge's or Flagger's), plus one to this Canary. The
 * new reference is the controller unless another controller remains (a `-primary` ConfigMap copy
 * shared by two targets), in which case it is a plain reference, which still keeps the object alive.
 */
export function withCanaryOwner(
  refs: OwnerReference[] | undefined,
  canary: CanaryIdentity,
): OwnerReference[] {
  const ours = canaryOwnerReference(canary);
  const kept = (refs ?? []).filter((ref) => !isReplacedBy(ref, canary));
  if (kept.some((ref) => ref.uid === canary.uid)) return kept;
  const otherController = kept.some((ref) => ref.controller === true);
  return [...kept, otherController ? { ...ours, controller: false } : ours];
}
