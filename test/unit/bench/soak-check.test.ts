import {
  calculateRolloutSteps,
  calculateStepDefects,
  finalStateProblem,
  type FinalObservation,
} from '../../../bench/soak-check.js';

const ladder = { stepWeight: 10, maxWeight: 50 };
const PROMOTED = ['90/10', '80/20', '70/30', '60/40', '50/50', '100/0'];
const ROLLED_BACK = ['90/10', '100/0'];

const kinds = (log: string[], outcomes: ('promoted' | 'rolled-back')[]) =>
  calculateStepDefects(log, outcomes, ladder).map((d) => d.kind);

describe('soak step-sequence checker', () => {
  it('accepts rollouts one after the other, rollbacks included: 90/10 again after 100/0 is a new rollout', () => {
    const log = ['100/0', ...PROMOTED, ...ROLLED_BACK, ...PROMOTED];
    expect(kinds(log, ['promoted', 'rolled-back', 'promoted'])).toEqual([]);
    expect(calculateRolloutSteps(log, ladder).rollouts).toEqual([
      { canaryWeights: [10, 20, 30, 40, 50], ended: true },
      { canaryWeights: [10], ended: true },
      { canaryWeights: [10, 20, 30, 40, 50], ended: true },
    ]);
  });

  it('accepts a rollback at any step, and a last step capped at maxWeight', () => {
    expect(kinds(['100/0', '90/10', '80/20', '70/30', '100/0'], ['rolled-back'])).toEqual([]);
    const capped = calculateStepDefects(['100/0', '80/20', '60/40', '55/45', '100/0'], ['promoted'], {
      stepWeight: 20,
      maxWeight: 45,
    });
    expect(capped).toEqual([]);
  });

  it('finds a skipped step, naming the weights', () => {
    const defects = calculateStepDefects(
      ['100/0', '90/10', '70/30', '60/40', '50/50', '100/0'],
      ['promoted'],
      ladder,
    );
    expect(defects).toEqual([{ kind: 'skipped', at: 2, detail: 'canary 10 -> 30, next step is 20' }]);
  });

  it('finds a first step past stepWeight as skipped', () => {
    expect(kinds(['100/0', '80/20', '70/30', '60/40', '50/50', '100/0'], ['promoted'])).toEqual(['skipped']);
  });

  it('finds a step written again after a later one (no rollback between) as repeated', () => {
    const log = ['100/0', '90/10', '80/20', '70/30', '80/20', '70/30', '60/40', '50/50', '100/0'];
    expect(calculateStepDefects(log, ['promoted'], ladder)).toEqual([
      { kind: 'repeated', at: 4, detail: 'canary 30 -> 20 without a rollback' },
    ]);
  });

  it('finds a weight past maxWeight, a malformed split and a log not starting at 100/0', () => {
    expect(kinds(['100/0', ...PROMOTED.slice(0, 5), '40/60', '100/0'], ['promoted'])).toEqual([
      'beyond',
      'cut-short',
    ]);
    expect(kinds(['100/0', '90/10', '85/10', '100/0'], ['rolled-back'])).toEqual(['malformed']);
    expect(kinds(['90/10', '100/0'], ['rolled-back'])).toEqual(['malformed']);
  });

  it('finds a promotion before maxWeight', () => {
    expect(kinds(['100/0', '90/10', '80/20', '100/0'], ['promoted'])).toEqual(['cut-short']);
  });

  it('finds a revision rolled out twice, or not at all', () => {
    // A rollout started again after 100/0 for the same revision: two rollouts for one revision.
    expect(kinds(['100/0', ...ROLLED_BACK, ...ROLLED_BACK], ['rolled-back'])).toEqual(['rollouts']);
    expect(kinds(['100/0', ...PROMOTED], ['promoted', 'promoted'])).toEqual(['rollouts']);
  });

  it('keeps a rollout that has not come back to 100/0 open', () => {
    expect(calculateRolloutSteps(['100/0', '90/10', '80/20'], ladder).rollouts).toEqual([
      { canaryWeights: [10, 20], ended: false },
    ]);
  });
});

describe('soak final-state checker', () => {
  const promoted: FinalObservation = {
    name: 'app-00',
    expected: 'promoted',
    lastImage: 'podinfo:9',
    lastPromotedImage: 'podinfo:9',
    phase: 'Succeeded',
    primaryImage: 'podinfo:9',
    lastSplit: '100/0',
    targetReplicas: 0,
  };
  const rolledBack: FinalObservation = {
    ...promoted,
    name: 'app-04',
    expected: 'rolled-back',
    lastPromotedImage: 'podinfo:1',
    phase: 'Failed',
    primaryImage: 'podinfo:1',
  };

  it('accepts Succeeded with the last revision, and Failed with the one promoted before', () => {
    expect(finalStateProblem(promoted)).toBeUndefined();
    expect(finalStateProblem(rolledBack)).toBeUndefined();
  });

  it('names every way a final state is wrong', () => {
    expect(finalStateProblem({ ...promoted, primaryImage: 'podinfo:8' })).toBe(
      'app-00: primary runs podinfo:8, expected podinfo:9',
    );
    expect(finalStateProblem({ ...rolledBack, phase: 'Succeeded', primaryImage: 'podinfo:9' })).toBe(
      'app-04: phase Succeeded, expected Failed; primary runs podinfo:9, expected podinfo:1',
    );
    expect(finalStateProblem({ ...promoted, lastSplit: '50/50', targetReplicas: 1 })).toBe(
      'app-00: route at 50/50, expected 100/0; target at 1 replicas, expected 0',
    );
    expect(finalStateProblem({ ...promoted, phase: undefined, primaryImage: undefined })).toBe(
      'app-00: phase none, expected Succeeded; primary runs nothing, expected podinfo:9',
    );
  });
});
