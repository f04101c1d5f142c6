/**
 * The validation of a Canary, remembered until what it read changes. A tick validates the whole
 * user-written Canary (schema and rules), which at thousands of canaries was a noticeable share of
 * every tick although the spec rarely changes.
 *
 * What the validation reads and how a change of it is seen:
 * - everything outside `metadata` and `status` (the spec, apiVersion, kind, any other top-level
 *   field): the API server bumps `metadata.generation` on every such change;
 * - `metadata` (names, labels, annotations, finalizers, deletionTimestamp...): changes there keep the
 *   generation, so the metadata itself, less `resourceVersion` (which every status write moves), is
 *   part of the key, and so are apiVersion and kind.
 * A Canary without a uid or a generation is validated every time. One entry per `namespace/name`
 * (a recreated Canary replaces it); {@link ValidationMemo.forget} drops it when the Canary is deleted.
 */
import type { FieldError } from '../api/field-error.js';
import type { Canary } from '../api/schema/canary.js';
import { crossNamespaceRefErrors, validateDocument } from '../api/validate.js';

/**
 * The errors that make the controller refuse a Canary. The status is Fledge's own (and repaired
 * before this is asked): only what the user wrote is validated.
 */
export function canaryErrors(object: Canary, noCrossNamespaceRefs: boolean): FieldError[] {
  const { status: _status, ...written } = object;
  const errors = validateDocument(written);
  // Only a Canary that passed validation has the spec shape the reference check reads.
  if (errors.length === 0 && noCrossNamespaceRefs) errors.push(...crossNamespaceRefErrors(object));
  return errors;
}

interface Remembered {
  uid: string;
  generation: number;
  fingerprint: string;
  errors: readonly FieldError[];
}

/** Validation results per Canary, valid while its generation and metadata stay the same. */
export class ValidationMemo {
  private readonly entries = new Map<string, Remembered>();

  /** How many Canaries have a remembered result (for tests of its bound). */
  get size(): number {
    return this.entries.size;
  }

  /**
   * The errors `validate` finds in `object`, from memory when the same generation with the same
   * metadata was validated before. The returned list is a copy: callers may add to it.
   */
  errorsOf(object: Canary, validate: (object: Canary) => FieldError[]): FieldError[] {
    const { uid, generation, namespace = 'default', name } = object.metadata;
    if (uid === undefined || generation === undefined) return validate(object);
    const id = `${namespace}/${name}`;
    const fingerprint = fingerprintOf(object);
    const hit = this.entries.get(id);
    if (hit && hit.uid === uid && hit.generation === generation && hit.fingerprint === fingerprint) {
      return [...hit.errors];
    }
    const errors = validate(object);
    this.entries.set(id, { uid, generation, fingerprint, errors: [...errors] });
    return errors;
  }

  /** Drops what is remembered of the Canary `namespace/name` (it was deleted). */
  forget(namespace: string, name: string): void {
    this.entries.delete(`${namespace}/${name}`);
  }
}

/** What the validation reads that may change without a new generation. */
function fingerprintOf(object: Canary): string {
  const { resourceVersion: _moves, ...metadata } = object.metadata;
  return JSON.stringify([object.apiVersion, object.kind, metadata]);
}
