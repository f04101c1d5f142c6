/** Alerts of confirm-* gates that halt a rollout, and `muteAlert` on the webhook that refused. */
import type { GateAnswer } from '../../../src/controller/types.js';
import { World, makeCanary } from './fixtures.js';

const refused = (muted: boolean): GateAnswer => ({
  open: false,
  message: 'halted',
  refusedBy: 'manual-gate',
  muted,
});

describe('alerts of confirm-* gates', () => {
  it('confirm-rollout: a warn alert naming the webhook on entering Waiting, none while it waits', () => {
    const w = new World(makeCanary()).initializedWithNewRevision();
    const d = w.tick({ gates: { confirmRollout: refused(false) } });
    expect(d.status.phase).toBe('Waiting');
    expect(d.alerts.filter((a) => a.severity === 'warn')).toEqual([
      {
        severity: 'warn',
        message: 'Halt test/podinfo advancement: waiting for approval by webhook "manual-gate"',
      },
    ]);
    expect(w.tick({ gates: { confirmRollout: refused(false) } }).alerts).toEqual([]);
  });

  it('confirm-rollout with muteAlert: Waiting, the Event, but no alert', () => {
    const w = new World(makeCanary()).initializedWithNewRevision();
    const d = w.tick({ gates: { confirmRollout: refused(true) } });
    expect(d.status.phase).toBe('Waiting');
    expect(d.events.map((e) => e.reason)).toContain('WaitingForApproval');
    expect(d.alerts.map((a) => a.message)).toEqual(['New revision detected, starting canary analysis.']);
  });

  it('confirm-traffic-increase: a warn alert on every tick it holds the step, unless muted', () => {
    const w = new World(makeCanary()).initializedWithNewRevision();
    w.runUntil(['Progressing']);
    w.tick(); // pre-rollout -> 10
    for (let i = 0; i < 2; i++) {
      const d = w.tick({ gates: { confirmTrafficIncrease: refused(false) } });
      expect(d.status.canaryWeight).toBe(10);
      expect(d.alerts).toEqual([
        {
          severity: 'warn',
          message: 'Halt test/podinfo traffic increase: waiting for approval by webhook "manual-gate"',
        },
      ]);
    }
    const muted = w.tick({ gates: { confirmTrafficIncrease: refused(true) } });
    expect(muted.status.canaryWeight).toBe(10);
    expect(muted.alerts).toEqual([]);
  });

  it('confirm-traffic-increase before the first step alerts too', () => {
    const w = new World(makeCanary()).initializedWithNewRevision();
    w.runUntil(['Progressing']);
    const d = w.tick({ gates: { confirmTrafficIncrease: refused(false) } });
    expect(d.status.canaryWeight).toBe(0);
    expect(d.alerts).toEqual([expect.objectContaining({ severity: 'warn' })]);
  });

  it('confirm-promotion: a warn alert on entering WaitingPromotion, unless muted', () => {
    const w = new World(makeCanary()).initializedWithNewRevision();
    w.runUntil(['Progressing']);
    const weights = w.runUntil(['WaitingPromotion'], { gates: { confirmPromotion: refused(false) } });
    expect(weights.at(-1)).toBe(30);
    // runUntil stops on the tick that entered WaitingPromotion; replay that tick's alert from a twin.
    const twin = new World(makeCanary()).initializedWithNewRevision();
    twin.runUntil(['Progressing']);
    const alerts = [];
    for (let i = 0; i < 10 && twin.status.phase !== 'WaitingPromotion'; i++) {
      alerts.push(...twin.tick({ gates: { confirmPromotion: refused(false) } }).alerts);
    }
    expect(alerts).toEqual([
      {
        severity: 'warn',
        message: 'Halt test/podinfo promotion: waiting for approval by webhook "manual-gate"',
      },
    ]);
    expect(w.tick({ gates: { confirmPromotion: refused(false) } }).alerts).toEqual([]);

    const quiet = new World(makeCanary()).initializedWithNewRevision();
    quiet.runUntil(['Progressing']);
    const quietAlerts = [];
    for (let i = 0; i < 10 && quiet.status.phase !== 'WaitingPromotion'; i++) {
      quietAlerts.push(...quiet.tick({ gates: { confirmPromotion: refused(true) } }).alerts);
    }
    expect(quiet.status.phase).toBe('WaitingPromotion');
    expect(quietAlerts).toEqual([]);
  });
});
