/** Operator requests in the state machine: promote, promote --full, abort, retry (requests.ts). */
import { EventReasons } from '../../../src/controller/events.js';
import type { OperatorRequest } from '../../../src/controller/request-annotations.js';
import { readRequest, RequestAnnotations } from '../../../src/controller/request-annotations.js';
import type { GateAnswers } from '../../../src/controller/types.js';
import { World, failed, makeCanary } from './fixtures.js';

const closed = { open: false, message: 'waits for approval' };

function request(action: string, revision = 'rev-2', at = '2026-01-01T00:30:00Z'): OperatorRequest {
  return { action, revision, by: 'alice', at };
}

/** A canary at its last step, held by a closed confirm-promotion gate. */
function waitingPromotion(): World {
  const w = new World(makeCanary({ threshold: 3 })).initializedWithNewRevision();
  w.runUntil(['WaitingPromotion'], { gates: { confirmPromotion: closed } });
  return w;
}

const reasons = (d: { events: { reason: string }[] }) => d.events.map((e) => e.reason);

describe('fledge promote', () => {
  it('records the gate a revision waits at, and opens it for that revision', () => {
    const w = waitingPromotion();
    expect(w.status.gate).toEqual({ type: 'confirm-promotion', revision: 'rev-2' });
    const d = w.tick({ gates: { confirmPromotion: closed }, request: request('promote') });
    expect(d.status.phase).toBe('Promoting');
    expect(d.status.gate).toBeUndefined();
    expect(d.status.lastRequest).toMatchObject({
      action: 'promote',
      by: 'alice',
      revision: 'rev-2',
      result: 'Applied',
      gate: 'confirm-promotion',
    });
    expect(reasons(d)).toContain(EventReasons.RequestApplied);
  });

  it('drops a request for another revision than the one the target runs (stale)', () => {
    const w = waitingPromotion();
    const d = w.tick({ gates: { confirmPromotion: closed }, request: request('promote', 'rev-1') });
    expect(d.status.phase).toBe('WaitingPromotion');
    expect(d.status.lastRequest).toMatchObject({ result: 'Rejected' });
    expect(d.status.lastRequest?.message).toMatch(/stale/);
    expect(d.events).toContainEqual(
      expect.objectContaining({ type: 'Warning', reason: EventReasons.RequestRejected }),
    );
  });

  it('refuses to promote a canary that waits at no gate', () => {
    const w = new World(makeCanary()).initializedWithNewRevision();
    w.runUntil(['Progressing']);
    w.tick();
    const d = w.tick({ request: request('promote') });
    expect(d.status.lastRequest).toMatchObject({ result: 'Rejected' });
    expect(d.status.lastRequest?.message).toMatch(/waits at no gate/);
  });

  it('opens a confirm-traffic-increase gate once: a request seen again is not applied again', () => {
    const w = new World(makeCanary({ maxWeight: 50 })).initializedWithNewRevision();
    const gates: GateAnswers = { confirmTrafficIncrease: closed };
    w.runUntil(['Progressing'], { gates });
    w.tick({ gates }); // pre-rollout passes, the first step is held
    expect(w.status.canaryWeight).toBe(0);
    expect(w.status.gate?.type).toBe('confirm-traffic-increase');
    const req = request('promote');
    expect(w.tick({ gates, request: req }).status.canaryWeight).toBe(10);
    // The tick that applied it stopped before removing the annotations: the next one sees it again.
    const again = w.tick({ gates, request: req });
    expect(again.status.canaryWeight).toBe(10);
    expect(again.status.lastRequest?.result).toBe('Applied');
    expect(reasons(again)).not.toContain(EventReasons.RequestApplied);
  });

  it('keeps an approval across ticks (a restart in between) until its gate is reached', () => {
    const w = waitingPromotion();
    // This tick's analysis fails: the gate is not reached, the accepted approval stays in status.
    const d = w.tick({
      gates: { confirmPromotion: closed },
      checks: [failed()],
      request: request('promote'),
    });
    expect(d.status.phase).toBe('WaitingPromotion');
    expect(d.status.lastRequest?.result).toBe('Accepted');
    // A fresh controller reads only the persisted status; the annotations are gone.
    const restarted = new World(w.canary, w.workload);
    restarted.status = structuredClone(w.status);
    restarted.nowMs = w.nowMs;
    expect(restarted.tick({ gates: { confirmPromotion: closed } }).status.phase).toBe('Promoting');
    expect(restarted.status.lastRequest?.result).toBe('Applied');
  });

  it('never lets an approval leak into the next revision', () => {
    const w = waitingPromotion();
    w.tick({ gates: { confirmPromotion: closed }, checks: [failed()], request: request('promote') });
    expect(w.status.lastRequest?.result).toBe('Accepted');
    w.workload = { ...w.workload, revision: 'rev-3' };
    const d = w.tick({ gates: { confirmPromotion: closed } });
    expect(d.status.lastRequest?.result).toBe('Expired');
    expect(reasons(d)).toContain(EventReasons.ApprovalExpired);
    w.runUntil(['WaitingPromotion'], { gates: { confirmPromotion: closed } });
    for (let i = 0; i < 3; i++) w.tick({ gates: { confirmPromotion: closed } });
    expect(w.status.phase).toBe('WaitingPromotion');
    expect(w.status.gate).toEqual({ type: 'confirm-promotion', revision: 'rev-3' });
  });

  it('opens a confirm-rollout gate: the revision waiting in Waiting starts its analysis', () => {
    const w = new World(makeCanary()).initializedWithNewRevision();
    w.tick({ gates: { confirmRollout: closed } });
    expect(w.status.phase).toBe('Waiting');
    expect(w.status.gate).toEqual({ type: 'confirm-rollout', revision: 'rev-2' });
    const d = w.tick({ gates: { confirmRollout: closed }, request: request('promote') });
    expect(d.status.phase).toBe('Progressing');
    expect(d.status.lastAppliedSpec).toBe('rev-2');
    expect(d.status.lastRequest?.result).toBe('Applied');
  });

  it('--full promotes at once, skipping the rest of the analysis', () => {
    const w = new World(makeCanary()).initializedWithNewRevision();
    w.runUntil(['Progressing']);
    w.tick();
    expect(w.status.canaryWeight).toBe(10);
    const d = w.tick({ request: request('promote-full') });
    expect(d.status.phase).toBe('Promoting');
    expect(d.status.lastRequest).toMatchObject({ action: 'promote-full', result: 'Applied' });
  });

  it('--full from Waiting opens the gate and promotes once the canary is ready', () => {
    const w = new World(makeCanary()).initializedWithNewRevision();
    w.tick({ gates: { confirmRollout: closed } });
    expect(w.tick({ gates: { confirmRollout: closed }, request: request('promote-full') }).status.phase).toBe(
      'Progressing',
    );
    expect(w.status.lastRequest?.result).toBe('Accepted');
    expect(w.tick().status.phase).toBe('Promoting');
    expect(w.status.lastRequest?.result).toBe('Applied');
  });
});

describe('fledge abort', () => {
  it('rolls back mid-rollout as a failed analysis would: alert, post-rollout hooks, Failed', () => {
    const w = new World(makeCanary()).initializedWithNewRevision();
    w.runUntil(['Progressing']);
    w.tick();
    const d = w.tick({ request: request('abort') });
    expect(d.status.phase).toBe('Failed');
    expect(d.status.canaryWeight).toBe(0);
    expect(d.postRollout).toBe('Failed');
    expect(d.alerts).toContainEqual(expect.objectContaining({ severity: 'error' }));
    expect(d.events).toContainEqual(
      expect.objectContaining({
        reason: EventReasons.RollingBack,
        message: expect.stringMatching(/aborted by alice/),
      }),
    );
    expect(d.status.lastRequest).toMatchObject({ action: 'abort', result: 'Applied' });
    // The aborted revision is not started again on the next tick.
    expect(w.tick().status.phase).toBe('Failed');
  });

  it('aborts a revision still waiting for its rollout approval', () => {
    const w = new World(makeCanary()).initializedWithNewRevision();
    w.tick({ gates: { confirmRollout: closed } });
    expect(w.tick({ request: request('abort') }).status.phase).toBe('Failed');
    expect(w.tick({ gates: { confirmRollout: closed } }).status.phase).toBe('Failed');
  });

  it('is refused when no rollout is under way', () => {
    const w = new World(makeCanary());
    w.tick();
    const d = w.tick({ request: request('abort', 'rev-1') });
    expect(d.status.phase).toBe('Initialized');
    expect(d.status.lastRequest?.result).toBe('Rejected');
  });
});

describe('fledge retry', () => {
  function failedRollout(): World {
    const w = new World(makeCanary({ threshold: 1 })).initializedWithNewRevision();
    w.runUntil(['Progressing']);
    w.tick({ checks: [failed()] });
    expect(w.status.phase).toBe('Failed');
    return w;
  }

  it('analyses the failed revision again from the start', () => {
    const w = failedRollout();
    const d = w.tick({ request: request('retry') });
    expect(d.status).toMatchObject({
      phase: 'Progressing',
      failedChecks: 0,
      canaryWeight: 0,
      lastAppliedSpec: 'rev-2',
    });
    expect(d.status.lastRequest).toMatchObject({ action: 'retry', result: 'Applied' });
    expect(w.tick().status.canaryWeight).toBe(10);
  });

  it('is refused for a canary that is not Failed, and for a stale revision', () => {
    const w = failedRollout();
    expect(w.tick({ request: request('retry', 'rev-1') }).status.lastRequest?.result).toBe('Rejected');
    expect(w.status.phase).toBe('Failed');
    w.tick({ request: request('retry', 'rev-2', '2026-01-01T01:00:00Z') });
    const d = w.tick({ request: request('retry', 'rev-2', '2026-01-01T02:00:00Z') });
    expect(d.status.lastRequest?.result).toBe('Rejected');
    expect(d.status.lastRequest?.message).toMatch(/phase Progressing/);
  });
});

describe('request annotations', () => {
  it('reads a request and names the annotation of a malformed one', () => {
    const base = {
      [RequestAnnotations.action]: 'promote',
      [RequestAnnotations.revision]: 'rev-2',
      [RequestAnnotations.at]: '2026-01-01T00:00:00Z',
    };
    expect(readRequest({})).toBeUndefined();
    expect(readRequest(base)).toEqual({
      action: 'promote',
      revision: 'rev-2',
      by: expect.stringMatching(/unnamed/),
      at: '2026-01-01T00:00:00Z',
    });
    expect(readRequest({ ...base, [RequestAnnotations.action]: 'approve' })?.malformed).toMatch(
      /^annotation fledge.dev\/request: must be one of promote, promote-full, abort, retry/,
    );
    expect(readRequest({ ...base, [RequestAnnotations.at]: 'now' })?.malformed).toMatch(
      /fledge.dev\/request-at/,
    );
  });

  it('a malformed request is dropped with a Warning that names the annotation', () => {
    const w = waitingPromotion();
    const bad = readRequest({
      [RequestAnnotations.action]: 'promote',
      [RequestAnnotations.revision]: 'rev-2',
    });
    const d = w.tick({ gates: { confirmPromotion: closed }, request: bad! });
    expect(d.status.phase).toBe('WaitingPromotion');
    expect(d.events).toContainEqual(
      expect.objectContaining({ type: 'Warning', message: expect.stringContaining('fledge.dev/request-at') }),
    );
  });
});
