/** The order a tick asks gates and checks in (Flagger's), and what it does not ask at all. */
import type { CheckResult } from '../../../src/api/schema/canary.js';
import {
  hookPhase,
  nextObservation,
  planObservations,
  type Gathered,
  type Observation,
} from '../../../src/controller/plan.js';
import type { GateAnswer, ObservationPlan } from '../../../src/controller/types.js';
import { failed, makeCanary, makeWorkload, notReady, passed } from './fixtures.js';

const open: GateAnswer = { open: true, message: 'ok' };
const closed: GateAnswer = { open: false, message: 'no' };

const everything: ObservationPlan = {
  confirmRollout: true,
  rollback: true,
  checks: 'analysis',
  confirmTrafficIncrease: true,
  confirmPromotion: true,
};

/** Walks the plan the way the reconciler does, answering from `answers`; returns what was asked. */
function walk(
  plan: ObservationPlan,
  answers: { rollback?: GateAnswer; checks?: CheckResult[]; gate?: GateAnswer } = {},
): Observation[] {
  const got: Gathered = { gates: {} };
  const asked: Observation[] = [];
  for (let step = nextObservation(plan, got); step; step = nextObservation(plan, got)) {
    asked.push(step);
    if (asked.length > 10) throw new Error(`loops: ${asked.join(', ')}`);
    if (step === 'confirm-rollout') got.gates.confirmRollout = answers.gate ?? open;
    if (step === 'rollback') got.gates.rollback = answers.rollback ?? closed;
    if (step === 'checks') got.checks = answers.checks ?? [passed()];
    if (step === 'confirm-traffic-increase') got.gates.confirmTrafficIncrease = answers.gate ?? open;
    if (step === 'confirm-promotion') got.gates.confirmPromotion = answers.gate ?? open;
  }
  return asked;
}

describe('nextObservation', () => {
  it("asks in Flagger's order: confirm-rollout, rollback, checks, then the step gates", () => {
    expect(walk(everything)).toEqual([
      'confirm-rollout',
      'rollback',
      'checks',
      'confirm-traffic-increase',
      'confirm-promotion',
    ]);
  });

  it('asks nothing after a rollback hook asked to roll back', () => {
    expect(walk(everything, { rollback: open })).toEqual(['confirm-rollout', 'rollback']);
  });

  it('asks no confirm-* gate after a failed check', () => {
    expect(walk(everything, { checks: [passed(), failed()] })).toEqual([
      'confirm-rollout',
      'rollback',
      'checks',
    ]);
  });

  it('asks the step gates after checks that returned nothing (no hooks, no metrics)', () => {
    expect(walk({ ...everything, confirmRollout: false, confirmPromotion: false }, { checks: [] })).toEqual([
      'rollback',
      'checks',
      'confirm-traffic-increase',
    ]);
  });

  it('asks nothing for an empty plan', () => {
    expect(
      walk({
        confirmRollout: false,
        rollback: false,
        checks: undefined,
        confirmTrafficIncrease: false,
        confirmPromotion: false,
      }),
    ).toEqual([]);
  });
});

describe('hookPhase', () => {
  it('is Progressing for the hooks of an analysis step, also while waiting for promotion', () => {
    for (const step of ['checks', 'confirm-traffic-increase', 'confirm-promotion'] as const) {
      expect(hookPhase(step, { phase: 'WaitingPromotion' })).toBe('Progressing');
    }
  });

  it('is the persisted phase for confirm-rollout and rollback', () => {
    expect(hookPhase('confirm-rollout', { phase: 'Succeeded' })).toBe('Succeeded');
    expect(hookPhase('rollback', { phase: 'WaitingPromotion' })).toBe('WaitingPromotion');
    expect(hookPhase('confirm-rollout', {})).toBe('Initializing');
  });
});

describe('planObservations during an analysis', () => {
  const canary = makeCanary({ threshold: 2 });
  const status = {
    phase: 'Progressing' as const,
    canaryWeight: 10,
    failedChecks: 0,
    iterations: 0,
    lastAppliedSpec: 'rev-1',
  };

  it('asks the rollback hooks, the analysis and the traffic gate', () => {
    expect(planObservations({ canary, status, workload: makeWorkload() })).toEqual({
      confirmRollout: false,
      rollback: true,
      checks: 'analysis',
      confirmTrafficIncrease: true,
      confirmPromotion: false,
    });
  });

  it('asks only the rollback hooks once the failed-checks threshold is reached', () => {
    const plan = planObservations({
      canary,
      status: { ...status, failedChecks: 2 },
      workload: makeWorkload(),
    });
    expect(plan).toMatchObject({ rollback: true, checks: undefined, confirmTrafficIncrease: false });
  });

  it('asks only the rollback hooks when the routes were changed by someone else', () => {
    const routes = { primary: 100, canary: 0, mirrored: false };
    const plan = planObservations({ canary, status, workload: makeWorkload(), routes });
    expect(plan).toMatchObject({ rollback: true, checks: undefined, confirmTrafficIncrease: false });
    const same = planObservations({
      canary,
      status,
      workload: makeWorkload(),
      routes: { primary: 90, canary: 10, mirrored: false },
    });
    expect(same.checks).toBe('analysis');
  });

  it('asks nothing while the canary is not ready or a new revision restarts the analysis', () => {
    const none = { rollback: false, checks: undefined, confirmTrafficIncrease: false };
    expect(planObservations({ canary, status, workload: makeWorkload({ canary: notReady }) })).toMatchObject(
      none,
    );
    expect(planObservations({ canary, status, workload: makeWorkload({ revision: 'rev-2' }) })).toMatchObject(
      none,
    );
  });
});
