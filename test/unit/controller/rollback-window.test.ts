/** The rollback window (`analysis.rollbackWindow`) in the state machine. */
import type { ResolvedCanary } from '../../../src/api/defaults.js';
import { EventReasons } from '../../../src/controller/events.js';
import { repairStatus } from '../../../src/controller/status-repair.js';
import { routesFor } from '../../../src/controller/weights.js';
import type { Decision } from '../../../src/controller/types.js';
import { calculateRevision } from '../../../src/workloads/desired-objects.js';
import { World, failed, makeCanary } from './fixtures.js';

const closed = { open: false, message: 'gate closed' };
const match = [{ headers: { 'user-type': { exact: 'premium' } } }];

function reasons(d: { events: { reason: string }[] }): string[] {
  return d.events.map((e) => e.reason);
}

function windowed(revisions = 3, analysis: Parameters<typeof makeCanary>[0] = {}): ResolvedCanary {
  return makeCanary({ ...analysis, rollbackWindow: { revisions } });
}

/** Sets the target to `revision` and runs a full analysis and promotion of it. */
function promote(w: World, revision: string): void {
  w.workload = { ...w.workload, revision };
  w.runUntil(['Promoting']);
  w.primaryRollsOut();
  w.runUntil(['Succeeded']);
}

/** rev-1 initialised, rev-2 then rev-3 promoted through analysis. */
function promotedThree(canary: ResolvedCanary = windowed()): World {
  const w = new World(canary);
  w.tick();
  promote(w, 'rev-2');
  promote(w, 'rev-3');
  return w;
}

/** Ticks until Succeeded, the primary rolling out what it is given; returns every decision. */
function fastRollbackTicks(w: World): Decision[] {
  const ticks: Decision[] = [];
  do {
    ticks.push(w.tick({ gates: { confirmRollout: closed } }));
    w.primaryRollsOut();
  } while (w.status.phase !== 'Succeeded' && ticks.length < 5);
  return ticks;
}

describe('the rollback window keeps the last promoted revisions', () => {
  it('records the initial revision and each completed promotion, newest first', () => {
    const w = promotedThree();
    expect(w.status.promotedRevisions).toEqual(['rev-3', 'rev-2', 'rev-1']);
  });

  it('keeps at most N revisions', () => {
    const w = promotedThree(windowed(2));
    expect(w.status.promotedRevisions).toEqual(['rev-3', 'rev-2']);
  });

  it('is cut at once when N shrinks, and removed when the window is turned off', () => {
    const w = promotedThree(windowed(3));
    w.canary = windowed(2);
    expect(w.tick().status.promotedRevisions).toEqual(['rev-3', 'rev-2']);
    w.canary = makeCanary();
    const d = w.tick();
    expect(d.status).not.toHaveProperty('promotedRevisions');
  });

  it('is not kept without analysis.rollbackWindow', () => {
    const w = promotedThree(makeCanary());
    expect(w.status).not.toHaveProperty('promotedRevisions');
  });

  it('starts from the primary revision when turned on for a canary at rest', () => {
    const w = promotedThree(makeCanary());
    w.canary = windowed();
    expect(w.tick().status.promotedRevisions).toEqual(['rev-3']);
    promote(w, 'rev-4');
    w.workload = { ...w.workload, revision: 'rev-3' };
    expect(w.tick().status).toMatchObject({ phase: 'Promoting', fastRollback: true });
  });
});

describe.each([
  ['canary', windowed(3)],
  ['blue-green', windowed(3, { iterations: 2 })],
  ['ab-testing', windowed(3, { iterations: 2, match })],
])('a target set back to a revision of the window (%s)', (strategy, canary) => {
  it('promotes it at once: no gate, no check, no traffic step, then Succeeded with a FastRollback reason', () => {
    expect(canary.analysis.strategy).toBe(strategy);
    const w = promotedThree(canary);
    w.workload = { ...w.workload, revision: 'rev-2' };
    const ticks = fastRollbackTicks(w);
    expect(ticks).toHaveLength(2);

    const [start, done] = ticks as [Decision, Decision];
    expect(start.status).toMatchObject({
      phase: 'Promoting',
      canaryWeight: 0,
      lastAppliedSpec: 'rev-2',
      lastPromotedSpec: 'rev-3',
      fastRollback: true,
    });
    expect(reasons(start)).toEqual([EventReasons.FastRollback]);
    expect(start.events[0]?.message).toContain('rollbackWindow');
    expect(start.alerts).toEqual([
      expect.objectContaining({ severity: 'info', message: expect.stringContaining('Fast rollback') }),
    ]);
    expect(start.status.conditions).toEqual([
      expect.objectContaining({ type: 'Promoted', status: 'Unknown', reason: EventReasons.FastRollback }),
    ]);
    expect(routesFor(w.canary, start.status)).toMatchObject({ primary: 100, canary: 0, mirrored: false });

    expect(done.status).toMatchObject({
      phase: 'Succeeded',
      canaryWeight: 0,
      lastPromotedSpec: 'rev-2',
      promotedRevisions: ['rev-2', 'rev-3', 'rev-1'],
    });
    expect(reasons(done)).toEqual([EventReasons.Promoted]);
    expect(done.events[0]?.message).toContain('Fast rollback completed');
    expect(done.alerts[0]?.message).toContain('Fast rollback completed');
    expect(done.postRollout).toBe('Succeeded');
    expect(done.status.conditions).toEqual([
      expect.objectContaining({ type: 'Promoted', status: 'True', reason: EventReasons.FastRollback }),
    ]);
    // Neither tick asked a gate or ran a check.
    expect(w.lastPlan).toMatchObject({ confirmRollout: false, rollback: false, checks: undefined });
  });
});

describe('what the window does not fast-track', () => {
  it('a revision never promoted is analysed', () => {
    const w = promotedThree();
    w.workload = { ...w.workload, revision: 'rev-4' };
    const d = w.tick();
    expect(d.status).toMatchObject({ phase: 'Progressing', lastAppliedSpec: 'rev-4' });
    expect(d.status).not.toHaveProperty('fastRollback');
    expect(reasons(d)).toEqual([EventReasons.NewRevision, EventReasons.AnalysisStarted]);
  });

  it('a revision that fell out of the window (N exceeded) is analysed', () => {
    const w = promotedThree(windowed(2));
    w.workload = { ...w.workload, revision: 'rev-1' };
    expect(w.tick().status).toMatchObject({ phase: 'Progressing', lastAppliedSpec: 'rev-1' });
  });

  it('a revision rolled back by analysis never enters the window, and is analysed again', () => {
    const w = promotedThree();
    w.workload = { ...w.workload, revision: 'rev-4' };
    w.runUntil(['Failed'], { checks: [failed()] });
    expect(w.status.promotedRevisions).toEqual(['rev-3', 'rev-2', 'rev-1']);
    w.workload = { ...w.workload, revision: 'rev-3' }; // the revert: back to the primary, nothing to do
    w.tick();
    w.workload = { ...w.workload, revision: 'rev-4' };
    expect(w.tick().status).toMatchObject({ phase: 'Progressing', lastAppliedSpec: 'rev-4' });
  });

  it('a revision of the window that fails an analysis leaves the window', () => {
    const w = promotedThree();
    w.workload = { ...w.workload, revision: 'rev-4' };
    w.tick();
    // Back to the primary's own revision during the analysis: analysed again, as without a window.
    w.workload = { ...w.workload, revision: 'rev-3' };
    expect(w.tick().status).toMatchObject({ phase: 'Progressing', lastAppliedSpec: 'rev-3' });
    w.runUntil(['Failed'], { checks: [failed()] });
    expect(w.status.promotedRevisions).toEqual(['rev-2', 'rev-1']);
  });

  it('the revision the primary runs is not promoted again', () => {
    const w = promotedThree();
    w.workload = { ...w.workload, revision: 'rev-3' };
    const d = w.tick();
    expect(d.status.phase).toBe('Succeeded');
    expect(d.events).toEqual([]);
  });
});

describe('when the revert lands', () => {
  it('during an analysis: all traffic back to the primary at once, which gets the revision', () => {
    const w = promotedThree();
    w.workload = { ...w.workload, revision: 'rev-4' };
    w.tick();
    w.tick();
    expect(w.status.canaryWeight).toBe(10);
    w.workload = { ...w.workload, revision: 'rev-2' };
    const d = w.tick();
    expect(d.status).toMatchObject({ phase: 'Promoting', canaryWeight: 0, lastAppliedSpec: 'rev-2' });
    expect(reasons(d)).toEqual([EventReasons.FastRollback]);
  });

  it('while a confirm-rollout gate holds a new revision back', () => {
    const w = promotedThree();
    w.workload = { ...w.workload, revision: 'rev-4' };
    expect(w.tick({ gates: { confirmRollout: closed } }).status.phase).toBe('Waiting');
    w.workload = { ...w.workload, revision: 'rev-1' };
    expect(w.tick({ gates: { confirmRollout: closed } }).status).toMatchObject({
      phase: 'Promoting',
      lastAppliedSpec: 'rev-1',
      fastRollback: true,
    });
  });

  it('after a failed analysis', () => {
    const w = promotedThree();
    w.workload = { ...w.workload, revision: 'rev-4' };
    w.runUntil(['Failed'], { checks: [failed()] });
    w.workload = { ...w.workload, revision: 'rev-2' };
    expect(w.tick().status).toMatchObject({ phase: 'Promoting', fastRollback: true });
  });

  it('a new revision after a fast rollback is analysed as usual and clears the marker', () => {
    const w = promotedThree();
    w.workload = { ...w.workload, revision: 'rev-2' };
    fastRollbackTicks(w);
    w.workload = { ...w.workload, revision: 'rev-5' };
    const d = w.tick();
    expect(d.status.phase).toBe('Progressing');
    expect(d.status).not.toHaveProperty('fastRollback');
    expect(d.status.conditions?.[0]?.reason).toBe('Progressing');
  });
});

describe('a change of a tracked ConfigMap only', () => {
  const template = { metadata: { labels: { app: 'podinfo' } }, spec: { containers: [] } };
  const revisionWith = (greeting: string) =>
    calculateRevision(template, { 'configmap/podinfo-config': greeting });

  it('set back to the promoted checksum is a window hit, and the status tracks the old checksum', () => {
    const w = new World(windowed(), {
      ...new World(windowed()).workload,
      revision: revisionWith('hello'),
      primaryRevision: revisionWith('hello'),
      trackedConfigs: { 'configmap/podinfo-config': 'hello' },
    });
    w.tick();
    w.workload = { ...w.workload, trackedConfigs: { 'configmap/podinfo-config': 'bonjour' } };
    promote(w, revisionWith('bonjour'));
    expect(w.status.promotedRevisions).toEqual([revisionWith('bonjour'), revisionWith('hello')]);

    w.workload = {
      ...w.workload,
      revision: revisionWith('hello'),
      trackedConfigs: { 'configmap/podinfo-config': 'hello' },
    };
    const d = w.tick();
    expect(d.status).toMatchObject({
      phase: 'Promoting',
      fastRollback: true,
      trackedConfigs: { 'configmap/podinfo-config': 'hello' },
    });
  });
});

describe('a controller restart', () => {
  /** A new controller: nothing but the status as the API server stores it (JSON, schema-checked). */
  function restarted(w: World): World {
    const stored: unknown = JSON.parse(JSON.stringify(w.status));
    const { status, repairs } = repairStatus(stored);
    expect(repairs).toEqual([]);
    const next = new World(w.canary, w.workload);
    next.status = status;
    next.nowMs = w.nowMs;
    return next;
  }

  it('keeps the window: a revert after the restart is fast-tracked', () => {
    const w = restarted(promotedThree());
    w.workload = { ...w.workload, revision: 'rev-1' };
    expect(w.tick().status).toMatchObject({ phase: 'Promoting', fastRollback: true });
  });

  it('in the middle of a fast rollback: finishes it without analysis', () => {
    const before = promotedThree();
    before.workload = { ...before.workload, revision: 'rev-2' };
    before.tick();
    const w = restarted(before);
    w.primaryRollsOut();
    const d = w.tick();
    expect(d.status).toMatchObject({ phase: 'Succeeded', lastPromotedSpec: 'rev-2' });
    expect(d.events[0]?.message).toContain('Fast rollback completed');
  });

  it('repairs a window list that is too long rather than refusing the status', () => {
    const { status, repairs } = repairStatus({
      phase: 'Succeeded',
      promotedRevisions: Array.from({ length: 11 }, (_, i) => `rev-${i}`),
    });
    expect(repairs).toEqual([expect.stringContaining('status.promotedRevisions')]);
    expect(status).not.toHaveProperty('promotedRevisions');
  });
});
