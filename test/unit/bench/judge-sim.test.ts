import { histogramQuantile, sampleBinomial, simulateInterval } from '../../../bench/judge-sim.js';
import { seededRandom } from '../../../test/support/devtools/seeded-random.js';

describe('sampleBinomial', () => {
  it.each([
    [1000, 0.003],
    [120_000, 0.01],
    [50, 0.9],
  ])('Binomial(%d, %d) has the right mean and variance', (n, p) => {
    const random = seededRandom(3);
    const draws = Array.from({ length: 4000 }, () => sampleBinomial(n, p, random));
    const mean = draws.reduce((s, x) => s + x, 0) / draws.length;
    const variance = draws.reduce((s, x) => s + (x - mean) ** 2, 0) / draws.length;
    expect(mean).toBeCloseTo(n * p, -Math.log10(n * p) + 1.5);
    expect(variance / (n * p * (1 - p))).toBeGreaterThan(0.9);
    expect(variance / (n * p * (1 - p))).toBeLessThan(1.1);
    expect(draws.every((x) => Number.isInteger(x) && x >= 0 && x <= n)).toBe(true);
  });

  it('is 0 or n at the ends', () => {
    const random = seededRandom(1);
    expect(sampleBinomial(10, 0, random)).toBe(0);
    expect(sampleBinomial(10, 1, random)).toBe(10);
    expect(sampleBinomial(0, 0.5, random)).toBe(0);
  });
});

describe('histogramQuantile', () => {
  it('interpolates inside the bucket, as Prometheus does', () => {
    const buckets = [
      { le: 100, count: 90 },
      { le: 200, count: 100 },
      { le: Infinity, count: 100 },
    ];
    expect(histogramQuantile(0.5, buckets)).toBeCloseTo(55.56, 2);
    expect(histogramQuantile(0.95, buckets)).toBeCloseTo(150, 6);
    expect(
      histogramQuantile(0.99, [
        { le: 100, count: 0 },
        { le: Infinity, count: 10 },
      ]),
    ).toBe(100);
    expect(histogramQuantile(0.99, [{ le: Infinity, count: 0 }])).toBeNaN();
  });
});

describe('simulateInterval', () => {
  it('splits the traffic by weight and gives p99 near the model', () => {
    const random = seededRandom(5);
    const scenario = {
      rps: 2000,
      intervalSeconds: 60,
      primary: { errorRate: 0.01, p99Ms: 250 },
      canary: { errorRate: 0.01, p99Ms: 325 },
    };
    const obs = simulateInterval(scenario, 20, 0, random);
    expect(obs.canary!.requests + obs.primary!.requests).toBe(120_000);
    expect(obs.canary!.requests / 120_000).toBeCloseTo(0.2, 2);
    expect(histogramQuantile(0.99, obs.primary!.buckets!)).toBeGreaterThan(240);
    expect(histogramQuantile(0.99, obs.primary!.buckets!)).toBeLessThan(260);
    // 30% slower: about 2.6% of the canary's requests are above the 250 ms edge (1% of the primary's).
    const above = (b: typeof obs.canary) => 1 - b!.buckets!.find((x) => x.le === 250)!.count / b!.requests;
    expect(above(obs.canary)).toBeCloseTo(0.026, 2);
    expect(above(obs.primary)).toBeCloseTo(0.01, 2);
  });
});
