/** How `fledge status` and the sandbox show the judge's last verdict (status.judge). */
import type { Canary, CanaryStatus } from '../../../src/api/schema/canary.js';
import type { JudgeStatus } from '../../../src/api/schema/judge.js';
import { renderStatus } from '../../../src/cli/ops/canary-view.js';
import { judgeSummary, renderJudge } from '../../../src/cli/ops/judge-view.js';
import { canaryObject } from '../routers/fixtures.js';

const NOW = new Date('2026-12-01T12:00:00Z');

const counts = (c: number, ce: number, p: number, pe: number) => ({
  canaryRequests: c,
  canaryEvents: ce,
  primaryRequests: p,
  primaryEvents: pe,
});

const HOLD: JudgeStatus = {
  revision: 'rev-b',
  state: {
    intervals: 3,
    holds: 2,
    errors: {
      allowedRatio: 1,
      regressionRatio: 2,
      logLikelihood: [0],
      canary: { requests: 3600, events: 18 },
      primary: { requests: 32400, events: 80 },
    },
  },
  outcome: 'hold',
  explanation: 'not enough data: hold the weight (2 of 60 holds); errors (5xx): ...',
  at: '2026-12-01T11:59:00Z',
  metrics: [
    {
      metric: 'errors',
      event: '5xx',
      status: 'undecided',
      interval: counts(1200, 6, 10800, 27),
      total: counts(3600, 18, 32400, 80),
      ratio: 2.03,
      ratioLow: 0.71,
      ratioHigh: 5.04,
      regressionEvidence: 28.8,
      regressionThreshold: 400,
      safeEvidence: 0.102,
      safeThreshold: 100,
      requestsNeeded: 7610,
    },
  ],
};

describe('the judge in fledge status', () => {
  it('shows the outcome, the ratio with its interval, the evidence vs its threshold and the requests needed', () => {
    expect(renderJudge(HOLD)).toEqual([
      '',
      'Judge: hold (not enough data), 3 intervals judged, 2 held (at 2026-12-01T11:59:00Z)',
      [
        '  METRIC        STATUS     RATIO [INTERVAL]    EVIDENCE (vs threshold)                             CANARY   PRIMARY   NEEDED',
        '  errors (5xx)  undecided  2.03x [0.71, 5.04]  regression 28.8 of 400, no regression 0.102 of 100  18/3600  80/32400  about 7610 more requests',
      ].join('\n'),
      '  not enough data: hold the weight (2 of 60 holds); errors (5xx): ...',
    ]);
  });

  it('shows a regression by the evidence that decided it, and an unbounded interval as inf', () => {
    const metric = {
      ...HOLD.metrics[0]!,
      status: 'regression' as const,
      ratioHigh: undefined,
      regressionEvidence: 13600,
      requestsNeeded: undefined,
    };
    const regression: JudgeStatus = { ...HOLD, outcome: 'regression', metrics: [metric] };
    expect(judgeSummary(regression)).toBe('regression: errors 2.03x [0.71, inf] regression 13600 >= 400');
  });

  it('is part of the status view, and absent for a Canary without the judge', () => {
    const canary = canaryObject();
    const status: CanaryStatus = { phase: 'Progressing', canaryWeight: 10, lastAppliedSpec: 'rev-b' };
    const withJudge: Canary = { ...canary, status: { ...status, judge: HOLD } };
    expect(renderStatus(withJudge, [], NOW)).toContain('Judge: hold (not enough data)');
    expect(renderStatus({ ...canary, status }, [], NOW)).not.toContain('Judge');
  });
});
