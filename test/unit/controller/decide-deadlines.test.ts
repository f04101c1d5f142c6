/** Progress deadlines: timed from when a workload became unready, not from the last phase or weight change. */
import { EventReasons } from '../../../src/controller/events.js';
import type { GateAnswers } from '../../../src/controller/types.js';
import { World, failed, makeCanary, notReady, ready } from './fixtures.js';

const closed = { open: false, message: 'gate closed' };
const open = { open: true, message: 'ok' };

/** 150 s deadline, 60 s interval: a workload unready for three ticks is out of time. */
const DEADLINE = { progressDeadlineSeconds: 150 };

type LongRun = 'gate' | 'waiting-promotion' | 'blue-green';

/** The closed gate that holds a long run at one step, if any. */
function gatesFor(kind: LongRun): GateAnswers {
  if (kind === 'gate') return { confirmTrafficIncrease: closed };
  return kind === 'waiting-promotion' ? { confirmPromotion: closed } : {};
}

/** A World that has sat at one step for 20 minutes, far past the deadline since the last transition. */
function longRun(kind: LongRun): World {
  const canary =
    kind === 'blue-green' ? makeCanary({ iterations: 40 }, DEADLINE) : makeCanary({ threshold: 1 }, DEADLINE);
  const w = new World(canary).initializedWithNewRevision();
  w.runUntil(['Progressing']);
  w.tick(); // pre-rollout: weight 10 or iteration 1
  const gates = gatesFor(kind);
  if (kind === 'waiting-promotion') w.runUntil(['WaitingPromotion'], { gates });
  for (let i = 0; i < 20; i++) w.tick({ gates });
  expect(w.nowMs - Date.parse(w.status.lastTransitionTime!)).toBeGreaterThan(150_000);
  return w;
}

describe('progress deadline', () => {
  it.each([
    ['behind a closed confirm-traffic-increase gate', 'gate'],
    ['in WaitingPromotion', 'waiting-promotion'],
    ['in a long blue/green run', 'blue-green'],
  ] as const)('gives a canary pod that restarts %s the whole deadline to come back', (_what, kind) => {
    const w = longRun(kind);
    const phase = w.status.phase;
    const gates = gatesFor(kind);
    w.workload = { ...w.workload, canary: notReady };
    const blip = w.tick({ gates });
    expect(blip.status.phase).toBe(phase);
    expect(blip.alerts).toEqual([]);
    expect(blip.status.canaryUnreadySince).toBe(new Date(w.nowMs - 60_000).toISOString());
    expect(w.tick({ gates }).status.phase).toBe(phase); // 60 s unready
    w.workload = { ...w.workload, canary: ready };
    const back = w.tick({ gates });
    expect(back.status.phase).toBe(phase);
    expect(back.status.canaryUnreadySince).toBeUndefined();
  });

  it('rolls back a canary unready for longer than the deadline, timed from when it became unready', () => {
    const w = longRun('gate');
    const gates = { confirmTrafficIncrease: closed };
    w.workload = { ...w.workload, canary: notReady };
    w.tick({ gates }); // becomes unready: 0 s
    w.tick({ gates }); // 60 s
    expect(w.tick({ gates }).status.phase).toBe('Progressing'); // 120 s
    const d = w.tick({ gates }); // 180 s
    expect(d.status).toMatchObject({ phase: 'Failed', canaryWeight: 0 });
    expect(d.status.canaryUnreadySince).toBeUndefined();
    expect(d.events.at(-1)).toMatchObject({
      reason: EventReasons.RollingBack,
      message: expect.stringContaining('longer than the progress deadline of 150s'),
    });
    expect(d.alerts[0]).toMatchObject({
      severity: 'error',
      message: expect.stringContaining('not ready since'),
    });
  });

  it('times a new canary from its scale-up, and gives a new revision mid-analysis a fresh deadline', () => {
    const w = new World(makeCanary({}, DEADLINE)).initializedWithNewRevision();
    w.workload = { ...w.workload, canary: notReady };
    const start = w.tick(); // -> Progressing: the canary is scaled up now
    expect(start.status.canaryUnreadySince).toBe(new Date(w.nowMs - 60_000).toISOString());
    w.tick(); // 60 s
    w.tick(); // 120 s
    w.workload = { ...w.workload, revision: 'rev-3' };
    expect(w.tick().status).toMatchObject({ phase: 'Progressing', lastAppliedSpec: 'rev-3' }); // restart at 180 s
    w.tick(); // 60 s
    expect(w.tick().status.phase).toBe('Progressing'); // 120 s
    expect(w.tick().status.phase).toBe('Failed'); // 180 s
  });

  it('rolls back when the Deployment itself reports ProgressDeadlineExceeded, without waiting', () => {
    const w = longRun('gate');
    w.workload = {
      ...w.workload,
      canary: { ready: false, retriable: false, message: 'exceeded its progress deadline' },
    };
    expect(w.tick({ gates: { confirmTrafficIncrease: open } }).status.phase).toBe('Failed');
  });

  it('applies the same timer to the primary during the analysis', () => {
    const w = longRun('gate');
    const gates = { confirmTrafficIncrease: closed };
    w.workload = { ...w.workload, primary: notReady };
    const blip = w.tick({ gates });
    expect(blip.status.phase).toBe('Progressing');
    expect(blip.status.primaryUnreadySince).toBeDefined();
    w.workload = { ...w.workload, primary: ready };
    expect(w.tick({ gates }).status.primaryUnreadySince).toBeUndefined();

    w.workload = { ...w.workload, primary: notReady };
    w.tick({ gates });
    w.tick({ gates });
    expect(w.tick({ gates }).status.phase).toBe('Progressing'); // 120 s
    const d = w.tick({ gates }); // 180 s
    expect(d.status.phase).toBe('Failed');
    expect(d.events.at(-1)?.message).toContain('primary is not ready: not ready since');
  });

  it('does not time a canary that is scaled to zero', () => {
    const w = new World(makeCanary({ threshold: 1 }, DEADLINE)).initializedWithNewRevision();
    w.runUntil(['Progressing']);
    w.tick({ checks: [failed()] });
    expect(w.status.phase).toBe('Failed');
    w.workload = { ...w.workload, canary: notReady };
    for (let i = 0; i < 5; i++) expect(w.tick().status.canaryUnreadySince).toBeUndefined();
  });
});
