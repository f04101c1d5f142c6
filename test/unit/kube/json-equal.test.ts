import { jsonEqual } from '../../../src/kube/json-equal.js';

describe('jsonEqual', () => {
  it('compares by content, whatever the key order', () => {
    expect(jsonEqual({ a: 1, b: [1, { c: 'x', d: null }] }, { b: [1, { d: null, c: 'x' }], a: 1 })).toBe(
      true,
    );
    expect(jsonEqual({ a: 1 }, { a: 2 })).toBe(false);
    expect(jsonEqual([1, 2], [2, 1])).toBe(false);
    expect(jsonEqual([1], { 0: 1 })).toBe(false);
    expect(jsonEqual({ a: null }, {})).toBe(false);
    expect(jsonEqual('1', 1)).toBe(false);
  });

  it('counts a key holding undefined as absent, on either side', () => {
    expect(jsonEqual({ a: 1, b: undefined }, { a: 1 })).toBe(true);
    expect(jsonEqual({ a: 1 }, { a: 1, b: undefined })).toBe(true);
    expect(jsonEqual({ a: 1, b: undefined }, { a: 1, c: 2 })).toBe(false);
    expect(jsonEqual({ a: undefined }, { a: null })).toBe(false);
    // JSON writes an undefined list item as null.
    expect(jsonEqual([undefined, 1], [null, 1])).toBe(true);
  });
});
