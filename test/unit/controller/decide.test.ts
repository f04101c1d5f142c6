import { EventReasons } from '../../../src/controller/events.js';
import { routesFor } from '../../../src/controller/weights.js';
import { World, failed, makeCanary, makeWorkload, notReady, passed } from './fixtures.js';

const closed = { open: false, message: 'gate closed' };
const open = { open: true, message: 'ok' };

function reasons(d: { events: { reason: string }[] }): string[] {
  return d.events.map((e) => e.reason);
}

describe('initialization', () => {
  it('waits in Initializing until the primary is ready, then is Initialized on the target revision', () => {
    const w = new World(makeCanary(), makeWorkload({ primary: notReady }));
    expect(w.tick().status.phase).toBe('Initializing');
    expect(w.tick().status.phase).toBe('Initializing');
    w.workload = makeWorkload();
    const d = w.tick();
    expect(d.status).toMatchObject({
      phase: 'Initialized',
      canaryWeight: 0,
      lastAppliedSpec: 'rev-1',
      lastPromotedSpec: 'rev-1',
    });
    expect(reasons(d)).toEqual([EventReasons.Initialized]);
    expect(d.status.conditions).toEqual([
      expect.objectContaining({ type: 'Promoted', status: 'True', reason: 'Initialized' }),
    ]);
  });

  it('fails when the primary can never become ready', () => {
    const w = new World(makeCanary(), makeWorkload({ primary: { ...notReady, retriable: false } }));
    const d = w.tick();
    expect(d.status.phase).toBe('Failed');
    expect(d.alerts[0]?.severity).toBe('error');
  });

  it('does nothing while the revision does not change', () => {
    const w = new World(makeCanary());
    w.tick();
    const before = w.status;
    const d = w.tick();
    expect(d.status).toEqual(before);
    expect(d.events).toEqual([]);
    expect(w.lastPlan).toEqual(
      expect.objectContaining({ confirmRollout: false, rollback: false, checks: undefined }),
    );
  });
});

describe('canary strategy', () => {
  it('steps 10 -> 20 -> 30 with analysis, promotes, finalises and succeeds', () => {
    const w = new World(makeCanary()).initializedWithNewRevision();
    const start = w.tick();
    expect(start.status).toMatchObject({ phase: 'Progressing', canaryWeight: 0, lastAppliedSpec: 'rev-2' });
    expect(reasons(start)).toEqual([EventReasons.NewRevision, EventReasons.AnalysisStarted]);
    expect(start.alerts).toEqual([expect.objectContaining({ severity: 'info' })]);

    w.tick();
    expect(w.lastPlan?.checks).toBe('pre-rollout');
    expect(w.status.canaryWeight).toBe(10);
    w.tick();
    expect(w.lastPlan?.checks).toBe('analysis');
    expect(w.status.canaryWeight).toBe(20);
    w.tick();
    expect(w.status.canaryWeight).toBe(30);
    const promote = w.tick();
    expect(w.lastPlan?.confirmPromotion).toBe(true);
    expect(promote.status).toMatchObject({ phase: 'Promoting', canaryWeight: 30 });

    // The primary has not rolled out the new template yet: traffic stays where it is.
    expect(w.tick().status).toMatchObject({ phase: 'Promoting', canaryWeight: 30 });
    w.primaryRollsOut();
    expect(w.tick().status).toMatchObject({ phase: 'Finalising', canaryWeight: 0 });
    const done = w.tick();
    expect(done.status).toMatchObject({ phase: 'Succeeded', lastPromotedSpec: 'rev-2', failedChecks: 0 });
    expect(done.postRollout).toBe('Succeeded');
    expect(reasons(done)).toEqual([EventReasons.Promoted]);
    expect(done.status.conditions).toEqual([
      expect.objectContaining({ type: 'Promoted', status: 'True', reason: 'Succeeded' }),
    ]);
  });

  it('follows stepWeights and caps stepWeight at a maxWeight it does not divide', () => {
    const a = new World(makeCanary({ stepWeights: [5, 25, 50] })).initializedWithNewRevision();
    expect(a.runUntil(['Promoting'])).toEqual([0, 5, 25, 50, 50]);
    const b = new World(makeCanary({ stepWeight: 20, maxWeight: 50 })).initializedWithNewRevision();
    expect(b.runUntil(['Promoting'])).toEqual([0, 20, 40, 50, 50]);
  });

  it('shifts traffic back by stepWeightPromotion while promoting', () => {
    const w = new World(
      makeCanary({ stepWeight: 25, maxWeight: 50, stepWeightPromotion: 20 }),
    ).initializedWithNewRevision();
    w.runUntil(['Promoting']);
    w.primaryRollsOut();
    expect(w.runUntil(['Finalising'])).toEqual([30, 10, 0]);
  });

  it('counts a failed check and rolls back in the same tick that reaches the threshold', () => {
    const w = new World(makeCanary({ threshold: 2 })).initializedWithNewRevision();
    w.runUntil(['Progressing']);
    w.tick(); // pre-rollout -> 10
    const first = w.tick({ checks: [failed()] });
    expect(first.status).toMatchObject({ phase: 'Progressing', failedChecks: 1, canaryWeight: 10 });
    expect(reasons(first)).toEqual([EventReasons.CheckFailed]);
    expect(first.events[0]?.message).toContain('value 95 is below the minimum 99');
    expect(first.events[0]?.message).toContain('sum(rate(x[1m]))');

    const second = w.tick({ checks: [failed(), passed('request-duration')] });
    expect(second.status).toMatchObject({ phase: 'Failed', failedChecks: 2, canaryWeight: 0 });
    expect(second.status.checks).toHaveLength(2);
    expect(reasons(second)).toEqual([EventReasons.CheckFailed, EventReasons.RollingBack]);
    expect(second.postRollout).toBe('Failed');
    expect(second.alerts).toEqual([
      expect.objectContaining({
        severity: 'error',
        message: expect.stringContaining('failed checks threshold reached 2'),
        fields: [{ name: 'request-success-rate', value: '95 (want 99..+inf)' }],
      }),
    ]);
    expect(routesFor(w.canary, w.status)).toEqual({ primary: 100, canary: 0, mirrored: false });
    expect(second.status.conditions).toEqual([
      expect.objectContaining({ type: 'Promoted', status: 'False', reason: 'Failed' }),
    ]);
  });

  it('rolls back on the first failed check with threshold 1', () => {
    const w = new World(makeCanary({ threshold: 1 })).initializedWithNewRevision();
    w.runUntil(['Progressing']);
    expect(w.tick({ checks: [failed('pre-rollout-hook')] }).status.phase).toBe('Failed');
  });

  it('rolls back when a rollback webhook answers yes', () => {
    const w = new World(makeCanary()).initializedWithNewRevision();
    w.runUntil(['Progressing']);
    w.tick();
    const d = w.tick({ gates: { rollback: open } });
    expect(d.status.phase).toBe('Failed');
    expect(d.events.at(-1)?.message).toContain('rollback requested by webhook');
  });

  it('does not step while confirm-traffic-increase is closed, and counts no failure', () => {
    const w = new World(makeCanary()).initializedWithNewRevision();
    w.runUntil(['Progressing']);
    w.tick();
    const d = w.tick({ gates: { confirmTrafficIncrease: closed } });
    expect(d.status).toMatchObject({ canaryWeight: 10, failedChecks: 0, phase: 'Progressing' });
    expect(reasons(d)).toEqual([EventReasons.WaitingForApproval]);
    expect(w.tick({ gates: { confirmTrafficIncrease: open } }).status.canaryWeight).toBe(20);
  });

  it('waits for confirm-promotion in WaitingPromotion, keeps analysing, and can still roll back', () => {
    const w = new World(makeCanary({ threshold: 1 })).initializedWithNewRevision();
    w.runUntil(['Progressing']);
    w.runUntil(['WaitingPromotion'], { gates: { confirmPromotion: closed } });
    expect(w.status.canaryWeight).toBe(30);
    const again = w.tick({ gates: { confirmPromotion: closed } });
    expect(again.status.phase).toBe('WaitingPromotion');
    expect(again.events).toEqual([]);
    expect(w.lastPlan?.checks).toBe('analysis');
    expect(w.tick({ gates: { confirmPromotion: open } }).status.phase).toBe('Promoting');

    const other = new World(makeCanary({ threshold: 1 })).initializedWithNewRevision();
    other.runUntil(['WaitingPromotion'], { gates: { confirmPromotion: closed } });
    expect(other.tick({ checks: [failed()] }).status.phase).toBe('Failed');
  });

  it('restarts the analysis when a new revision arrives mid-analysis', () => {
    const w = new World(makeCanary()).initializedWithNewRevision();
    w.runUntil(['Progressing']);
    w.tick();
    w.tick({ checks: [failed()] });
    expect(w.status).toMatchObject({ canaryWeight: 10, failedChecks: 1 });
    w.workload = { ...w.workload, revision: 'rev-3' };
    const d = w.tick();
    expect(d.status).toMatchObject({
      phase: 'Progressing',
      canaryWeight: 0,
      failedChecks: 0,
      lastAppliedSpec: 'rev-3',
    });
    expect(reasons(d)).toEqual([EventReasons.NewRevision, EventReasons.AnalysisRestarted]);
  });

  it('restarts when a new revision arrives while promoting', () => {
    const w = new World(makeCanary()).initializedWithNewRevision();
    w.runUntil(['Promoting']);
    w.workload = { ...w.workload, revision: 'rev-3' };
    expect(w.tick().status).toMatchObject({
      phase: 'Progressing',
      canaryWeight: 0,
      lastAppliedSpec: 'rev-3',
    });
  });

  it('waits for the canary to be ready, and rolls back past the progress deadline', () => {
    const w = new World(makeCanary({}, { progressDeadlineSeconds: 150 })).initializedWithNewRevision();
    w.workload = { ...w.workload, canary: notReady };
    w.tick(); // -> Progressing
    expect(w.tick().status.phase).toBe('Progressing');
    expect(w.lastPlan?.checks).toBeUndefined();
    expect(w.tick().status.phase).toBe('Progressing'); // 120 s since the transition
    const d = w.tick(); // 180 s
    expect(d.status.phase).toBe('Failed');
    expect(d.events.at(-1)?.message).toContain('progress deadline exceeded');
  });

  it('rolls back at once when the canary rollout can never finish', () => {
    const w = new World(makeCanary()).initializedWithNewRevision();
    w.tick();
    w.workload = {
      ...w.workload,
      canary: { ready: false, retriable: false, message: 'ProgressDeadlineExceeded' },
    };
    expect(w.tick().status.phase).toBe('Failed');
  });

  it('promotes straight away with skipAnalysis, and finishes with a post-rollout hook and an alert saying so', () => {
    const w = new World(makeCanary({}, { skipAnalysis: true })).initializedWithNewRevision();
    w.tick();
    const d = w.tick();
    expect(w.lastPlan?.checks).toBeUndefined();
    expect(d.status).toMatchObject({ phase: 'Promoting', canaryWeight: 0 });
    expect(d.postRollout).toBeUndefined();
    w.primaryRollsOut();
    expect(w.tick().status).toMatchObject({ phase: 'Finalising', canaryWeight: 0 });
    expect(w.lastPlan?.checks).toBeUndefined();
    const done = w.tick();
    expect(done.status).toMatchObject({ phase: 'Succeeded', lastPromotedSpec: 'rev-2' });
    expect(done.postRollout).toBe('Succeeded');
    expect(reasons(done)).toEqual([EventReasons.Promoted]);
    expect(done.alerts).toEqual([
      {
        severity: 'info',
        message: expect.stringContaining('Canary analysis was skipped (spec.skipAnalysis)'),
      },
    ]);
  });

  it('restores routes changed outside Fledge before counting the interval', () => {
    const w = new World(makeCanary()).initializedWithNewRevision();
    w.runUntil(['Progressing']);
    w.tick();
    w.routesOverride = { primary: 100, canary: 0, mirrored: false };
    const d = w.tick();
    expect(d.status.canaryWeight).toBe(10);
    expect(reasons(d)).toEqual([EventReasons.RoutesRestored]);
    expect(w.tick().status.canaryWeight).toBe(20);
  });

  it('starts again from Failed on a new revision, and ignores a revert to the promoted one', () => {
    const w = new World(makeCanary({ threshold: 1 })).initializedWithNewRevision();
    w.runUntil(['Progressing']);
    w.tick({ checks: [failed()] });
    expect(w.status.phase).toBe('Failed');
    w.workload = { ...w.workload, revision: 'rev-1' };
    const reverted = w.tick();
    expect(reverted.status).toMatchObject({ phase: 'Failed', lastAppliedSpec: 'rev-1' });
    expect(reverted.events).toEqual([]);
    w.workload = { ...w.workload, revision: 'rev-4' };
    expect(w.tick().status).toMatchObject({ phase: 'Progressing', lastAppliedSpec: 'rev-4' });
  });

  it('changes nothing while suspended, whatever happens to the workloads', () => {
    const w = new World(makeCanary()).initializedWithNewRevision();
    w.runUntil(['Progressing']);
    w.tick(); // -> 10
    w.canary = makeCanary({}, { suspend: true });
    w.workload = { ...w.workload, revision: 'rev-3', canary: notReady, primary: notReady };
    const before = structuredClone(w.status);
    w.nowMs += 3_600_000; // far past any deadline
    const d = w.tick({ checks: [failed()], gates: { rollback: open } });
    expect(d.status).toEqual(before);
    expect(d.events).toEqual([]);
    expect(d.alerts).toEqual([]);
    expect(d.postRollout).toBeUndefined();
    expect(w.lastPlan).toEqual(expect.objectContaining({ checks: undefined, rollback: false }));
  });
});

describe('confirm-rollout gate', () => {
  it('holds a new revision in Waiting until the gate opens', () => {
    const w = new World(makeCanary()).initializedWithNewRevision();
    const d = w.tick({ gates: { confirmRollout: closed } });
    expect(d.status.phase).toBe('Waiting');
    expect(reasons(d)).toEqual([EventReasons.NewRevision, EventReasons.WaitingForApproval]);
    expect(w.tick({ gates: { confirmRollout: closed } }).events).toEqual([]);
    expect(w.tick({ gates: { confirmRollout: open } }).status).toMatchObject({
      phase: 'Progressing',
      lastAppliedSpec: 'rev-2',
    });
  });
});

describe('blue/green', () => {
  it('runs the iterations with mirrored traffic, analyses one interval at 100%, then promotes', () => {
    const w = new World(makeCanary({ iterations: 3, mirror: true })).initializedWithNewRevision();
    w.tick();
    expect(routesFor(w.canary, w.status)).toEqual({ primary: 100, canary: 0, mirrored: false });
    w.tick(); // pre-rollout
    expect(w.status.iterations).toBe(1);
    expect(routesFor(w.canary, w.status)).toEqual({ primary: 100, canary: 0, mirrored: true });
    w.tick();
    w.tick();
    expect(w.status).toMatchObject({ phase: 'Progressing', iterations: 3, canaryWeight: 0 });
    const switched = w.tick();
    expect(w.lastPlan).toEqual(expect.objectContaining({ checks: 'analysis', confirmPromotion: true }));
    expect(switched.status).toMatchObject({ phase: 'Progressing', canaryWeight: 100, iterations: 4 });
    expect(switched.events.map((e) => e.message)).toEqual([
      expect.stringContaining('Stop traffic mirroring and route all traffic'),
    ]);
    expect(routesFor(w.canary, w.status)).toEqual({ primary: 0, canary: 100, mirrored: false });
    const d = w.tick();
    expect(w.lastPlan).toEqual(expect.objectContaining({ checks: 'analysis', confirmPromotion: true }));
    expect(d.status).toMatchObject({ phase: 'Promoting', canaryWeight: 100 });
    expect(routesFor(w.canary, w.status)).toEqual({ primary: 0, canary: 100, mirrored: false });
    w.primaryRollsOut();
    expect(w.tick().status).toMatchObject({ phase: 'Finalising', canaryWeight: 0 });
    expect(w.tick().status.phase).toBe('Succeeded');
  });

  it('rolls back when the checks fail at 100%, before anything is promoted', () => {
    const w = new World(makeCanary({ iterations: 2, threshold: 1 })).initializedWithNewRevision();
    w.runUntil(['Progressing']);
    w.tick(); // pre-rollout: iteration 1
    w.tick(); // iteration 2
    expect(w.tick().status).toMatchObject({ phase: 'Progressing', canaryWeight: 100 });
    const d = w.tick({ checks: [failed()] });
    expect(d.status).toMatchObject({ phase: 'Failed', canaryWeight: 0, lastPromotedSpec: 'rev-1' });
    expect(routesFor(w.canary, w.status)).toEqual({ primary: 100, canary: 0, mirrored: false });
  });

  it('asks confirm-promotion before the switch and before promoting', () => {
    const w = new World(makeCanary({ iterations: 1 })).initializedWithNewRevision();
    w.runUntil(['Progressing']);
    w.tick(); // pre-rollout: iteration 1
    expect(w.tick({ gates: { confirmPromotion: closed } }).status).toMatchObject({
      phase: 'WaitingPromotion',
      canaryWeight: 0,
    });
    expect(w.tick({ gates: { confirmPromotion: open } }).status).toMatchObject({
      phase: 'Progressing',
      canaryWeight: 100,
    });
    expect(w.tick({ gates: { confirmPromotion: closed } }).status).toMatchObject({
      phase: 'WaitingPromotion',
      canaryWeight: 100,
    });
    expect(routesFor(w.canary, w.status)).toEqual({ primary: 0, canary: 100, mirrored: false });
    expect(w.tick({ gates: { confirmPromotion: open } }).status.phase).toBe('Promoting');
  });
});

describe('canary strategy with mirror', () => {
  it('mirrors at weight 0 for one analysed interval, then steps without mirroring', () => {
    const w = new World(makeCanary({ mirror: true, mirrorWeight: 50 })).initializedWithNewRevision();
    w.tick(); // -> Progressing
    w.tick(); // pre-rollout passes: mirroring starts
    expect(w.lastPlan?.checks).toBe('pre-rollout');
    expect(w.status).toMatchObject({ canaryWeight: 0, iterations: 1 });
    expect(routesFor(w.canary, w.status)).toEqual({ primary: 100, canary: 0, mirrored: true });
    const stepped = w.tick();
    expect(w.lastPlan).toEqual(expect.objectContaining({ checks: 'analysis', confirmTrafficIncrease: true }));
    expect(stepped.status.canaryWeight).toBe(10);
    expect(routesFor(w.canary, w.status)).toEqual({ primary: 90, canary: 10, mirrored: false });
    expect(w.runUntil(['Promoting'])).toEqual([20, 30, 30]);
  });

  it('rolls back when the checks fail on the mirrored traffic', () => {
    const w = new World(makeCanary({ mirror: true, threshold: 1 })).initializedWithNewRevision();
    w.runUntil(['Progressing']);
    w.tick();
    expect(w.tick({ checks: [failed()] }).status).toMatchObject({ phase: 'Failed', canaryWeight: 0 });
    expect(routesFor(w.canary, w.status)).toEqual({ primary: 100, canary: 0, mirrored: false });
  });
});

describe('A/B testing', () => {
  it('routes matched traffic to the canary for the iterations, then promotes', () => {
    const match = [{ headers: { 'user-type': { exact: 'premium' } } }];
    const w = new World(makeCanary({ iterations: 2, match })).initializedWithNewRevision();
    expect(w.canary.analysis.strategy).toBe('ab-testing');
    w.tick();
    w.tick(); // pre-rollout passes: matched traffic to the canary
    expect(w.status).toMatchObject({ canaryWeight: 100, iterations: 1 });
    expect(routesFor(w.canary, w.status)).toEqual({ primary: 0, canary: 100, mirrored: false });
    w.tick();
    expect(w.status.iterations).toBe(2);
    expect(w.tick().status).toMatchObject({ phase: 'Promoting', canaryWeight: 100 });
    w.primaryRollsOut();
    expect(w.runUntil(['Succeeded'])).toEqual([0, 0]);
  });
});
