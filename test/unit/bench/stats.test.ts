import { diffCounts, percentile, ratio, spreadOf } from '../../../bench/stats.js';

describe('percentile', () => {
  it('takes the nearest rank, whatever the input order', () => {
    const values = [5, 1, 4, 2, 3, 10, 9, 8, 7, 6];
    expect(percentile(values, 50)).toBe(5);
    expect(percentile(values, 99)).toBe(10);
    expect(percentile(values, 0)).toBe(1);
    expect(percentile(values, 100)).toBe(10);
  });

  it('is undefined for no samples and refuses a p outside 0..100', () => {
    expect(percentile([], 50)).toBeUndefined();
    expect(() => percentile([1], 101)).toThrow(/p must be between 0 and 100, got 101/);
  });

  it('p99 of 200 samples is the 198th smallest', () => {
    const values = Array.from({ length: 200 }, (_, i) => i + 1);
    expect(percentile(values, 99)).toBe(198);
  });
});

describe('spreadOf, ratio, diffCounts', () => {
  it('summarises a sample', () => {
    expect(spreadOf([3, 1, 2])).toEqual({ count: 3, p50: 2, p99: 3, max: 3 });
    expect(spreadOf([])).toEqual({ count: 0, p50: undefined, p99: undefined, max: undefined });
  });

  it('divides, except by zero', () => {
    expect(ratio(6, 3)).toBe(2);
    expect(ratio(1, 0)).toBeUndefined();
  });

  it('keeps only the counters that moved', () => {
    expect(diffCounts({ 'GET a': 2, 'PATCH b': 5 }, { 'GET a': 2, 'PATCH b': 7, 'POST c': 1 })).toEqual({
      'PATCH b': 2,
      'POST c': 1,
    });
  });
});
