import {
  addRatioInterval,
  emptyRatioTest,
  ratioEvidence,
  ratioGrid,
  ratioRequestsNeeded,
  type RatioCounts,
} from '../../../../analysis/judge/ratio-test.js';
import { floorRequestsNeeded, logBelowFloor } from '../../../../analysis/judge/floor-test.js';
import { sampleBinomial } from '../../../../bench/judge-sim.js';
import { seededRandom } from '../../../../test/support/devtools/seeded-random.js';

const SETTINGS = { allowedRatio: 1, regressionRatio: 2 };

function counts(nc: number, xc: number, np: number, xp: number): RatioCounts {
  return { canaryRequests: nc, canaryEvents: xc, primaryRequests: np, primaryEvents: xp };
}

describe('ratioGrid', () => {
  it('runs from 1/16 to 64 and holds both thresholds exactly', () => {
    const grid = ratioGrid({ allowedRatio: 1.1, regressionRatio: 1.7 });
    expect(grid[0]).toBeCloseTo(1 / 16);
    expect(grid[grid.length - 1]).toBeCloseTo(64);
    expect(grid).toContain(1.1);
    expect(grid).toContain(1.7);
    expect([...grid].sort((a, b) => a - b)).toEqual(grid);
  });
});

describe('addRatioInterval', () => {
  it('adds the conditional binomial log-likelihood of each ratio', () => {
    const state = addRatioInterval(emptyRatioTest(SETTINGS), counts(100, 3, 300, 5));
    const grid = ratioGrid(SETTINGS);
    const at = (rho: number) => state.logLikelihood[grid.indexOf(rho)]!;
    // theta(rho) = rho nc / (rho nc + np): 1/4 at rho 1, 2/5 at rho 2.
    expect(at(1)).toBeCloseTo(3 * Math.log(1 / 4) + 5 * Math.log(3 / 4), 12);
    expect(at(2)).toBeCloseTo(3 * Math.log(2 / 5) + 5 * Math.log(3 / 5), 12);
    expect(state.canary).toEqual({ requests: 100, events: 3 });
    expect(state.primary).toEqual({ requests: 300, events: 5 });
  });

  it('learns nothing about the ratio from an interval with no events or with one version missing', () => {
    const empty = emptyRatioTest(SETTINGS);
    for (const c of [counts(100, 0, 300, 0), counts(0, 0, 300, 7), counts(50, 5, 0, 0)])
      expect(addRatioInterval(empty, c).logLikelihood).toEqual(empty.logLikelihood);
  });

  it('does not change the state it is given', () => {
    const empty = emptyRatioTest(SETTINGS);
    const copy = JSON.parse(JSON.stringify(empty)) as unknown;
    addRatioInterval(empty, counts(100, 3, 300, 5));
    expect(empty).toEqual(copy);
  });
});

describe('ratioEvidence', () => {
  it('finds a doubling when the canary has twice the share of errors its traffic gives', () => {
    let state = emptyRatioTest(SETTINGS);
    for (let i = 0; i < 5; i++) state = addRatioInterval(state, counts(1000, 20, 9000, 90));
    const e = ratioEvidence(state, 0.005);
    expect(e.estimate).toBeCloseTo(2, 1);
    expect(e.logRegression).toBeGreaterThan(Math.log(200));
    expect(e.interval[0]).toBeGreaterThan(1);
    expect(e.interval[1]).toBeLessThan(4);
  });

  it('a shared incident (both versions failing in proportion to their traffic) is no evidence against the canary', () => {
    let state = emptyRatioTest(SETTINGS);
    state = addRatioInterval(state, counts(1000, 10, 9000, 90));
    state = addRatioInterval(state, counts(2000, 1000, 8000, 4000));
    const e = ratioEvidence(state, 0.005);
    expect(e.estimate).toBeCloseTo(1, 5);
    expect(e.logRegression).toBeLessThan(0);
    // Ten thousand events in the right split are strong evidence that the canary is not 2x worse.
    expect(e.logSafe).toBeGreaterThan(Math.log(100));
  });

  it('before any event: no estimate, the whole range, no evidence either way', () => {
    const e = ratioEvidence(addRatioInterval(emptyRatioTest(SETTINGS), counts(10, 0, 90, 0)), 0.01);
    expect(e.estimate).toBeUndefined();
    expect(e.interval).toEqual([0, Infinity]);
    expect(e.logRegression).toBeCloseTo(0, 12);
    expect(e.logSafe).toBeCloseTo(0, 12);
  });

  it('all canary requests failing and none of the primary: regression, with a finite state', () => {
    const state = addRatioInterval(emptyRatioTest(SETTINGS), counts(50, 50, 450, 0));
    expect(state.logLikelihood.every(Number.isFinite)).toBe(true);
    expect(ratioEvidence(state, 0.005).logRegression).toBeGreaterThan(Math.log(200));
  });

  it('rolls back identical versions in at most alpha of long sequences (Ville)', () => {
    const random = seededRandom(7);
    let crossed = 0;
    const runs = 150;
    for (let run = 0; run < runs; run++) {
      let state = emptyRatioTest(SETTINGS);
      for (let i = 0; i < 30; i++) {
        const nc = sampleBinomial(1200, 0.2, random);
        state = addRatioInterval(
          state,
          counts(nc, sampleBinomial(nc, 0.01, random), 1200 - nc, sampleBinomial(1200 - nc, 0.01, random)),
        );
        if (ratioEvidence(state, 0.05).logRegression >= Math.log(1 / 0.05)) {
          crossed += 1;
          break;
        }
      }
    }
    expect(crossed / runs).toBeLessThanOrEqual(0.05);
  });
});

describe('ratioRequestsNeeded', () => {
  it('is about the missing evidence over the expected gain, and unknown without events', () => {
    const state = addRatioInterval(emptyRatioTest(SETTINGS), counts(100, 1, 900, 9));
    const e = ratioEvidence(state, 0.005);
    const needed = ratioRequestsNeeded(state, e, 0.1, Math.log(200), Math.log(100))!;
    expect(needed).toBeGreaterThan(1000);
    expect(needed).toBeLessThan(1e6);
    const none = addRatioInterval(emptyRatioTest(SETTINGS), counts(100, 0, 900, 0));
    expect(ratioRequestsNeeded(none, ratioEvidence(none, 0.005), 0.1, 5, 5)).toBeUndefined();
  });
});

describe('logBelowFloor', () => {
  it('equals the mixture of the three alternatives, by hand', () => {
    const f = 0.001;
    const n = 4000;
    const byHand = Math.log(
      [1 / 20, 1 / 4, 1 / 2].map((a) => ((1 - a * f) / (1 - f)) ** n).reduce((s, x) => s + x, 0) / 3,
    );
    expect(logBelowFloor(n, 0, f)).toBeCloseTo(byHand, 9);
  });

  it('is 0 with no requests or no floor, and falls with events', () => {
    expect(logBelowFloor(0, 0, 0.001)).toBe(0);
    expect(logBelowFloor(10_000, 0, 0)).toBe(0);
    expect(logBelowFloor(10_000, 20, 0.001)).toBeLessThan(0);
  });

  it('says how many clean canary requests reach the target', () => {
    const needed = floorRequestsNeeded(0, Math.log(100), 0.001)!;
    expect(logBelowFloor(needed, 0, 0.001)).toBeGreaterThanOrEqual(Math.log(100) - 1e-9);
    expect(floorRequestsNeeded(0, 5, 0)).toBeUndefined();
  });
});
