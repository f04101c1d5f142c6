/** What the primary runs (lastPromotedSpec), and a promotion the primary cannot roll out. */
import { EventReasons } from '../../../src/controller/events.js';
import { canaryShouldRun, routesFor } from '../../../src/controller/weights.js';
import { World, failed, makeCanary, makeWorkload, notReady, ready } from './fixtures.js';

const stuck = { ready: false, retriable: false, message: 'podinfo-primary exceeded its progress deadline' };

function reasons(d: { events: { reason: string }[] }): string[] {
  return d.events.map((e) => e.reason);
}

/** Analyses rev-2 and reaches Promoting; the copy then lands on the primary, which starts rolling it out. */
function promotingRev2(canary = makeCanary({ threshold: 1 })): World {
  const w = new World(canary).initializedWithNewRevision();
  w.runUntil(['Promoting']);
  w.workload = { ...w.workload, primaryRevision: 'rev-2', primary: notReady };
  return w;
}

describe('lastPromotedSpec follows what the primary runs', () => {
  it('after a promotion interrupted by a newer revision that then fails, a revert to the older one is analysed', () => {
    const w = promotingRev2();
    w.workload = { ...w.workload, revision: 'rev-3' };
    const restart = w.tick();
    expect(restart.status).toMatchObject({
      phase: 'Progressing',
      lastAppliedSpec: 'rev-3',
      lastPromotedSpec: 'rev-2',
    });
    w.workload = { ...w.workload, primary: ready };
    w.tick({ checks: [failed()] });
    expect(w.status).toMatchObject({ phase: 'Failed', lastPromotedSpec: 'rev-2' });

    w.workload = { ...w.workload, revision: 'rev-1' }; // git revert to the version before rev-2
    const d = w.tick();
    expect(d.status).toMatchObject({ phase: 'Progressing', lastAppliedSpec: 'rev-1' });
    expect(reasons(d)).toEqual([EventReasons.NewRevision, EventReasons.AnalysisStarted]);
  });

  it('at initialization, a target changed before the primary was ready is a new revision, not a promoted one', () => {
    const w = new World(makeCanary(), makeWorkload({ primary: notReady }));
    w.tick();
    w.workload = { ...w.workload, revision: 'rev-2' }; // the primary was created from rev-1
    w.tick();
    w.workload = { ...w.workload, primary: ready };
    const d = w.tick();
    expect(d.status).toMatchObject({
      phase: 'Initialized',
      lastAppliedSpec: 'rev-1',
      lastPromotedSpec: 'rev-1',
    });
    expect(w.tick().status).toMatchObject({ phase: 'Progressing', lastAppliedSpec: 'rev-2' });
  });

  it('keeps the target revision when the primary carries none (adopted from Flagger)', () => {
    const w = new World(makeCanary(), makeWorkload({ primaryRevision: undefined }));
    expect(w.tick().status).toMatchObject({ lastAppliedSpec: 'rev-1', lastPromotedSpec: 'rev-1' });
    expect(w.tick().status.phase).toBe('Initialized');
  });
});

describe('a promotion the primary cannot roll out', () => {
  it('routes all traffic to the canary, keeps it running, alerts, and resumes once the primary is ready', () => {
    const w = promotingRev2();
    w.workload = { ...w.workload, primary: stuck };
    const d = w.tick();
    expect(d.status).toMatchObject({ phase: 'Failed', canaryWeight: 100, lastPromotedSpec: 'rev-2' });
    expect(routesFor(w.canary, w.status)).toEqual({ primary: 0, canary: 100, mirrored: false });
    expect(canaryShouldRun(w.status)).toBe(true);
    expect(reasons(d)).toEqual([EventReasons.PromotionFailed]);
    expect(d.events[0]?.message).toContain('exceeded its progress deadline');
    expect(d.alerts).toEqual([
      expect.objectContaining({
        severity: 'error',
        message: expect.stringContaining('routed to the canary'),
      }),
    ]);
    expect(d.postRollout).toBe('Failed');
    expect(d.status.conditions).toEqual([
      expect.objectContaining({
        type: 'Promoted',
        status: 'False',
        reason: 'Failed',
        message: expect.stringContaining('the canary serves all traffic'),
      }),
    ]);

    // While the primary is broken nothing moves, not even for a new revision.
    const held = w.tick();
    expect(held.status).toMatchObject({ phase: 'Failed', canaryWeight: 100 });
    expect(held.events).toEqual([]);
    w.workload = { ...w.workload, revision: 'rev-3' };
    expect(w.tick().status).toMatchObject({ phase: 'Failed', canaryWeight: 100, lastAppliedSpec: 'rev-2' });
    w.workload = { ...w.workload, revision: 'rev-2' };

    w.workload = { ...w.workload, primary: ready };
    const resumed = w.tick();
    expect(resumed.status).toMatchObject({ phase: 'Promoting', canaryWeight: 100 });
    expect(reasons(resumed)).toEqual([EventReasons.PrimaryRecovered]);
    expect(w.tick().status).toMatchObject({ phase: 'Finalising', canaryWeight: 0 });
    const done = w.tick();
    expect(done.status).toMatchObject({ phase: 'Succeeded', lastPromotedSpec: 'rev-2' });
    expect(done.postRollout).toBe('Succeeded');
  });

  it('fails the promotion when the primary stays unready past the deadline timed from the copy', () => {
    const w = promotingRev2(makeCanary({ threshold: 1 }, { progressDeadlineSeconds: 150 }));
    expect(w.tick().status.phase).toBe('Promoting'); // 60 s since the copy
    expect(w.tick().status.phase).toBe('Promoting'); // 120 s
    const d = w.tick(); // 180 s
    expect(d.status).toMatchObject({ phase: 'Failed', canaryWeight: 100 });
    expect(d.events[0]?.message).toContain('longer than the progress deadline of 150s');
  });

  it('sends traffic back to a primary that recovered at another revision, then takes new revisions as usual', () => {
    const w = promotingRev2();
    w.workload = { ...w.workload, primary: stuck };
    w.tick();
    w.workload = { ...w.workload, primaryRevision: 'rev-1', primary: ready }; // kubectl rollout undo
    const d = w.tick();
    expect(d.status).toMatchObject({ phase: 'Failed', canaryWeight: 0, lastPromotedSpec: 'rev-1' });
    expect(reasons(d)).toEqual([EventReasons.PrimaryRecovered]);
    expect(routesFor(w.canary, w.status)).toEqual({ primary: 100, canary: 0, mirrored: false });
    expect(canaryShouldRun(w.status)).toBe(false);
    expect(w.tick().events).toEqual([]); // rev-2 failed: not analysed again
    w.workload = { ...w.workload, revision: 'rev-3' };
    expect(w.tick().status).toMatchObject({ phase: 'Progressing', lastAppliedSpec: 'rev-3' });
  });

  it('starts analysing a newer revision in the tick the primary recovers', () => {
    const w = promotingRev2();
    w.workload = { ...w.workload, primary: stuck };
    w.tick();
    w.workload = { ...w.workload, revision: 'rev-3', primary: ready };
    const d = w.tick();
    expect(d.status).toMatchObject({ phase: 'Progressing', canaryWeight: 0, lastAppliedSpec: 'rev-3' });
    expect(reasons(d)).toEqual([
      EventReasons.PrimaryRecovered,
      EventReasons.NewRevision,
      EventReasons.AnalysisStarted,
    ]);
  });
});
