import type { FieldError } from '../../../src/api/field-error.js';
import type { Canary } from '../../../src/api/schema/canary.js';
import { canaryErrors, ValidationMemo } from '../../../src/controller/validation-memo.js';
import { canaryObject } from './harness.js';

/** A stored Canary as a cluster hands it out: with uid, generation and resourceVersion. */
function stored(generation: number, resourceVersion: string): Canary {
  const canary = canaryObject('podinfo');
  canary.metadata = { ...canary.metadata, uid: 'uid-1', generation, resourceVersion };
  return canary;
}

describe('ValidationMemo', () => {
  /** A fresh memo and a validation that records each call. */
  function counting() {
    const calls: Canary[] = [];
    const validate = (object: Canary): FieldError[] => {
      calls.push(object);
      return canaryErrors(object, false);
    };
    return { memo: new ValidationMemo(), calls, validate };
  }

  it('validates a generation once, whatever status writes do to its resourceVersion', () => {
    const { memo, calls, validate } = counting();
    expect(memo.errorsOf(stored(1, '10'), validate)).toEqual([]);
    expect(memo.errorsOf(stored(1, '11'), validate)).toEqual([]);
    expect(memo.errorsOf(stored(1, '12'), validate)).toEqual([]);
    expect(calls).toHaveLength(1);
  });

  it('validates again on a new generation, and remembers the errors it found', () => {
    const { memo, calls, validate } = counting();
    memo.errorsOf(stored(1, '10'), validate);
    const bad = stored(2, '11');
    bad.spec.analysis.stepWeight = -5;
    const first = memo.errorsOf(bad, validate);
    expect(first.map((e) => e.path)).toContain('spec.analysis.stepWeight');
    // A caller adding to the list it got does not change what is remembered.
    first.push({ path: 'extra', message: 'added by a caller' });
    const again = memo.errorsOf({ ...bad, metadata: { ...bad.metadata, resourceVersion: '12' } }, validate);
    expect(again.map((e) => e.path)).not.toContain('extra');
    expect(again.map((e) => e.path)).toContain('spec.analysis.stepWeight');
    expect(calls).toHaveLength(2);
  });

  it('validates again when metadata changes without a new generation (labels, annotations)', () => {
    const { memo, calls, validate } = counting();
    memo.errorsOf(stored(1, '10'), validate);
    const relabelled = stored(1, '11');
    // Only the in-memory cluster lets a label hold a number; the validation must still see it.
    relabelled.metadata.labels = { team: 7 as unknown as string };
    expect(memo.errorsOf(relabelled, validate).map((e) => e.path)).toContain('metadata.labels.team');
    expect(calls).toHaveLength(2);
  });

  it('validates a recreated Canary (new uid) and one without uid or generation every time', () => {
    const { memo, calls, validate } = counting();
    memo.errorsOf(stored(1, '10'), validate);
    const recreated = stored(1, '20');
    recreated.metadata.uid = 'uid-2';
    memo.errorsOf(recreated, validate);
    const unsaved = canaryObject('podinfo');
    memo.errorsOf(unsaved, validate);
    memo.errorsOf(unsaved, validate);
    expect(calls).toHaveLength(4);
  });

  it('holds one entry per Canary and forgets a deleted one', () => {
    const { memo, validate } = counting();
    memo.errorsOf(stored(1, '10'), validate);
    memo.errorsOf(stored(2, '11'), validate);
    expect(memo.size).toBe(1);
    memo.forget('test', 'podinfo');
    expect(memo.size).toBe(0);
  });
});
