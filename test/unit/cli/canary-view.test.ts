/** What `fledge get` and `fledge status` print, from Canary objects and Events. */
import type { Canary, CanaryStatus } from '../../../src/api/schema/canary.js';
import {
  canaryRow,
  formatAge,
  renderGet,
  renderStatus,
  renderSteps,
} from '../../../src/cli/ops/canary-view.js';
import { settledOutcome } from '../../../src/cli/ops/watch-status.js';
import type { KubeEvent } from '../../../src/kube/resources.js';
import { canaryObject } from '../routers/fixtures.js';

const NOW = new Date('2026-12-01T12:00:00Z');

function withStatus(status: CanaryStatus, canary = canaryObject()): Canary {
  return { ...canary, metadata: { ...canary.metadata, creationTimestamp: '2026-12-01T11:00:00Z' }, status };
}

const PROGRESSING = withStatus({
  phase: 'Progressing',
  canaryWeight: 30,
  failedChecks: 1,
  lastAppliedSpec: 'rev-b',
  checks: [
    { name: 'request-success-rate', kind: 'metric', passed: true, value: 99.4567, min: 99, message: 'ok' },
    { name: 'latency', kind: 'metric', passed: false, value: 612, max: 500, message: '612 > 500' },
  ],
});

function event(reason: string, note: string, at: string, series?: KubeEvent['series']): KubeEvent {
  return {
    apiVersion: 'events.k8s.io/v1',
    kind: 'Event',
    metadata: { name: `podinfo.${reason}`, namespace: 'test' },
    eventTime: at,
    reportingController: 'fledge.dev/controller',
    reportingInstance: 'r1',
    action: reason,
    reason,
    note,
    type: reason === 'CheckFailed' ? 'Warning' : 'Normal',
    regarding: { apiVersion: 'fledge.dev/v1alpha1', kind: 'Canary', namespace: 'test', name: 'podinfo' },
    ...(series ? { series } : {}),
  };
}

describe('fledge get', () => {
  it('shows phase, weight, failed/threshold, the last check values and the age', () => {
    expect(canaryRow(PROGRESSING, NOW)).toEqual({
      namespace: 'test',
      name: 'podinfo',
      phase: 'Progressing',
      weight: 30,
      failedChecks: '1/5',
      iteration: '',
      checks: 'request-success-rate 99.457 ✓, latency 612 ✗',
      suspended: false,
      age: '60m',
    });
  });

  it('shows iterations for blue/green, and Pending before the first tick', () => {
    const blueGreen = withStatus(
      { phase: 'Progressing', iterations: 2 },
      canaryObject({}, { iterations: 5 }),
    );
    expect(canaryRow(blueGreen, NOW).iteration).toBe('2/5');
    expect(canaryRow({ ...canaryObject(), status: undefined }, NOW).phase).toBe('Pending');
  });

  it('prints aligned columns, with NAMESPACE for -A', () => {
    const suspended = withStatus(
      { phase: 'Succeeded' },
      { ...canaryObject(), spec: { ...canaryObject().spec, suspend: true } },
    );
    const other = { ...suspended, metadata: { ...suspended.metadata, name: 'backend-api' } };
    const rows = [canaryRow(PROGRESSING, NOW), canaryRow(other, NOW)];
    expect(renderGet(rows, false).split('\n')).toEqual([
      'NAME         PHASE        WEIGHT  FAILED  ITERATION  SUSPENDED  AGE  CHECKS',
      'podinfo      Progressing  30      1/5     -          false      60m  request-success-rate 99.457 ✓, latency 612 ✗',
      'backend-api  Succeeded    0       0/5     -          true       60m  -',
    ]);
    expect(renderGet(rows, true).split('\n')[0]).toMatch(/^NAMESPACE {2}NAME {9}PHASE/);
  });

  it('prints ages as kubectl does', () => {
    expect(formatAge('2026-12-01T11:59:30Z', NOW)).toBe('30s');
    expect(formatAge('2026-12-01T09:00:00Z', NOW)).toBe('3h');
    expect(formatAge('2026-11-27T12:00:00Z', NOW)).toBe('4d');
    expect(formatAge(undefined, NOW)).toBe('<unknown>');
  });
});

describe('fledge status', () => {
  it('marks the steps done and the current one', () => {
    expect(renderSteps(PROGRESSING)).toBe('weights: 10 ✓  20 ✓  [30]  40  50  then promote');
    expect(renderSteps(withStatus({ phase: 'Succeeded', canaryWeight: 0 }))).toBe(
      'weights: 10  20  30  40  50  then promote',
    );
    const blueGreen = withStatus(
      { phase: 'Progressing', iterations: 2 },
      canaryObject({}, { iterations: 3 }),
    );
    expect(renderSteps(blueGreen)).toBe('blue-green iterations: 1 ✓  2 ✓  3  then promote');
  });

  it("shows each check's value, range and verdict, the gate it waits at, and this canary's Events only", () => {
    const waiting = withStatus(
      { ...PROGRESSING.status, phase: 'WaitingPromotion' },
      canaryObject({}, { webhooks: [{ name: 'approve', type: 'confirm-promotion', url: 'http://gate/' }] }),
    );
    const other = { ...event('Promoted', 'someone else', '2026-12-01T11:59:00Z') };
    other.regarding = { ...other.regarding, name: 'backend' };
    const text = renderStatus(
      waiting,
      [
        event('CheckFailed', 'latency 612 > 500', '2026-12-01T11:58:00Z', {
          count: 3,
          lastObservedTime: '2026-12-01T11:59:50Z',
        }),
        event('WeightAdvanced', 'weight 30', '2026-12-01T11:57:00Z'),
        other,
      ],
      NOW,
    );
    expect(text).toContain('phase:     WaitingPromotion');
    expect(text).toContain('weight:    canary 30%, primary 70%');
    expect(text).toContain('waiting at the confirm-promotion gate (approve)');
    expect(text).toMatch(/request-success-rate\s+metric\s+99\.457\s+min 99\s+pass/);
    expect(text).toMatch(/latency\s+metric\s+612\s+max 500\s+FAIL\s+612 > 500/);
    const events = text.slice(text.indexOf('Events:'));
    // Oldest first, repeats counted, other canaries' Events left out.
    expect(events.indexOf('WeightAdvanced')).toBeLessThan(events.indexOf('CheckFailed'));
    expect(events).toMatch(/10s \(x3\)\s+Warning\s+CheckFailed/);
    expect(events).not.toContain('someone else');
  });

  it('says why the canary is not reconciled', () => {
    const refused = withStatus({
      phase: 'Failed',
      conditions: [
        {
          type: 'Reconciled',
          status: 'False',
          reason: 'OwnershipConflict',
          message: 'Service test/podinfo is controlled by Canary test/other',
          lastTransitionTime: '2026-12-01T11:00:00Z',
        },
      ],
    });
    expect(renderStatus(refused, [], NOW)).toContain(
      'not reconciled (OwnershipConflict): Service test/podinfo is controlled by Canary test/other',
    );
  });
});

describe('fledge status --watch outcome', () => {
  it('ends only on a final phase for the revision the target is at now', () => {
    const succeeded = withStatus({ phase: 'Succeeded', lastAppliedSpec: 'rev-b' });
    expect(settledOutcome(succeeded, 'rev-b')?.code).toBe(0);
    // Just after `kubectl apply`: still Succeeded, but for the previous revision.
    expect(settledOutcome(succeeded, 'rev-c')).toBeUndefined();
    expect(settledOutcome(withStatus({ phase: 'Failed', lastAppliedSpec: 'rev-c' }), 'rev-c')?.code).toBe(1);
    expect(
      settledOutcome(withStatus({ phase: 'Progressing', lastAppliedSpec: 'rev-c' }), 'rev-c'),
    ).toBeUndefined();
    expect(
      settledOutcome(withStatus({ phase: 'Initialized', lastAppliedSpec: 'rev-a' }), 'rev-a')?.code,
    ).toBe(0);
  });
});
