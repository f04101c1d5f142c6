import { nextSlot, phaseOf } from '../../../src/scheduler/phase.js';

describe('phaseOf', () => {
  it('gives an id the same phase every time, within the interval', () => {
    expect(phaseOf('shop/checkout', 60_000)).toBe(phaseOf('shop/checkout', 60_000));
    for (const id of ['a/b', 'shop/checkout', 'x'.repeat(300)]) {
      const phase = phaseOf(id, 10_000);
      expect(Number.isInteger(phase)).toBe(true);
      expect(phase).toBeGreaterThanOrEqual(0);
      expect(phase).toBeLessThan(10_000);
    }
  });

  it('spreads similar ids evenly over the interval', () => {
    const buckets = new Array<number>(10).fill(0);
    for (let i = 0; i < 5000; i += 1) buckets[Math.floor(phaseOf(`bench/app-${i}`, 10_000) / 1000)]! += 1;
    // 500 expected in each tenth of the interval.
    for (const count of buckets) expect(count).toBeGreaterThan(400);
    for (const count of buckets) expect(count).toBeLessThan(600);
  });
});

describe('nextSlot', () => {
  it('returns the first time at or after the earliest one that is the phase past a multiple of the interval', () => {
    expect(nextSlot(10_000, 1000, 250)).toBe(10_250);
    expect(nextSlot(10_250, 1000, 250)).toBe(10_250);
    expect(nextSlot(10_251, 1000, 250)).toBe(11_250);
    expect(nextSlot(10_500.5, 1000, 0)).toBe(11_000);
  });
});
