/**
 * End-to-end: the judge (spec.analysis.judge) in `fledge controller` against the local control
 * plane, its count queries run unmodified on the real Prometheus scraping the harness's Istio
 * metrics. A canary with twice the primary's 5xx passes its 99% success-rate threshold at every
 * analysis and is rolled back by the judge.
 */
import { controllerSuite, phaseTimer } from './support/controller-suite.js';
import { canaryManifest } from './support/scenario.js';

const suite = controllerSuite('fledge-e2e-judge');

/**
 * At 300 requests a second and 20% to the canary, a 10 s interval gives it about 600 requests: at
 * 0.6% errors about 4 a window, against the primary's 0.3%. The threshold reads one minute (about
 * 3,600 requests, 22 errors expected): below 99% needs more than 36, which practically never
 * happens, while the judge's evidence of the doubling grows with every window.
 */
const JUDGED = {
  interval: '10s',
  threshold: 2,
  stepWeight: 20,
  maxWeight: 40,
  metrics: [{ name: 'request-success-rate', interval: '1m', thresholdRange: { min: 99 } }],
  judge: { maxHolds: 60 },
};

suite.test(
  'rolls back a canary with twice the primary 5xx while its 99% success-rate threshold passes',
  async () => {
    const done = phaseTimer('judge scenario');
    const s = suite.scenario('judge', {
      requestsPerSecond: 300,
      canary: (ns, prom) => canaryManifest(ns, prom, JUDGED),
    });
    await s.start();
    await s.waitForPhase(['Initialized']);
    await s.harness.primary.setFaults({ abort: { percentage: 0.3, httpStatus: 500 } });
    await s.harness.canary.setFaults({ abort: { percentage: 0.6, httpStatus: 500 } });
    await s.setImage('podinfo:2');
    const c = await s.waitForPhase(['Failed', 'Succeeded'], 600_000);
    expect(c.status).toMatchObject({ phase: 'Failed', failedChecks: 0, canaryWeight: 0 });
    expect(c.status?.checks?.every((check) => check.passed)).toBe(true);
    expect(c.status?.judge).toMatchObject({ outcome: 'regression', rolledBack: true });
    const errors = c.status?.judge?.metrics.find((m) => m.metric === 'errors');
    expect(errors?.status).toBe('regression');
    expect(errors?.ratio).toBeGreaterThan(1);
    expect(errors?.total.canaryRequests).toBeGreaterThan(0);
    expect(errors?.total.primaryRequests).toBeGreaterThan(errors?.total.canaryRequests ?? 0);
    const events = await s.eventsOnce((e) => e.reason === 'RollingBack');
    const rolling = events.find((e) => e.reason === 'RollingBack');
    expect(rolling?.note).toContain('the judge found a regression against the primary');
    expect(events.some((e) => e.reason === 'JudgeRegression' && e.type === 'Warning')).toBe(true);
    done();
  },
  700_000,
);
