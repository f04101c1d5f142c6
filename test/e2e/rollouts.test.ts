/**
 * End-to-end: `fledge controller` as a separate process against the local control plane, with the
 * builtin Istio queries run unmodified on a real Prometheus that scrapes the traffic harness.
 * Assertions are on what reached the API server: VirtualService weights seen through a watch,
 * Deployments, Canary status and Events.
 */
import type { Canary } from '../../src/api/schema/canary.js';
import { abAnalysis, expectPremiumOnlyRollout, PREMIUM_USERS } from './support/ab.js';
import { controllerSuite, phaseTimer } from './support/controller-suite.js';
import { APP, canaryManifest } from './support/scenario.js';

const FULL_ROLLOUT = ['100/0', '90/10', '80/20', '70/30', '60/40', '50/50', '100/0'];

const suite = controllerSuite('fledge-e2e');
const scenario = suite.scenario.bind(suite);

suite.test(
  '1. promotes a new pod template: 10% -> 50%, primary runs it, canary scaled to zero',
  async () => {
    const done = phaseTimer('rollouts scenario 1');
    const s = scenario('promote', { canary: (ns, prom) => canaryManifest(ns, prom) });
    await s.start();
    await s.waitForPhase(['Initialized']);
    await s.setImage('podinfo:2');
    const c = await s.waitForPhase(['Succeeded', 'Failed']);
    expect(c.status?.phase).toBe('Succeeded');
    expect(s.weights).toEqual(FULL_ROLLOUT);
    expect((await s.deployment(`${APP}-primary`))?.spec.template.spec.containers[0]?.image).toBe('podinfo:2');
    expect((await s.deployment(APP))?.spec.replicas).toBe(0);
    const reasons = (await s.eventsOnce((e) => e.reason === 'Promoted')).map((e) => e.reason);
    expect(reasons).toEqual(expect.arrayContaining(['NewRevision', 'WeightAdvanced', 'Promoted']));
    done();
  },
  180_000,
);

/**
 * Scenario 2's analysis: ticks 10 s apart, each querying the 10 s since the previous one. At 10% of
 * the harness's 40 requests a second the canary gets about 40 requests a window (and each window
 * holds the canary's traffic only: the first analysis tick comes one interval after the weight
 * change). Half of them aborted and half delayed by 1 s make both checks fail at every analysis
 * tick, whatever the draws: the success rate is about 50, certainly below 99 once one abort is in
 * the window (the chance of none in 40 is 2^-40), and with one delayed answer in fewer than 100
 * the p99 lies in the bucket of the 1 s answers, certainly above 500.
 */
const FAULTS_INTERVAL_MS = 10_000;
const FAULTY_CANARY: Partial<Canary['spec']['analysis']> = {
  interval: `${FAULTS_INTERVAL_MS / 1000}s`,
  metrics: [
    { name: 'request-success-rate', interval: '10s', thresholdRange: { min: 99 } },
    { name: 'request-duration', interval: '10s', thresholdRange: { max: 500 } },
  ],
};

suite.test(
  '2. rolls back a faulty canary in the tick that reaches the threshold, showing the failing values',
  async () => {
    const done = phaseTimer('rollouts scenario 2');
    const s = scenario('faults', { canary: (ns, prom) => canaryManifest(ns, prom, FAULTY_CANARY) });
    await s.start();
    await s.waitForPhase(['Initialized']);
    await s.harness.canary.setFaults({
      abort: { percentage: 50, httpStatus: 500 },
      delay: { percentage: 50, fixedDelayMs: 1_000 },
    });
    await s.setImage('podinfo:2');
    const c = await s.waitForPhase(['Failed', 'Succeeded']);
    expect(c.status).toMatchObject({ phase: 'Failed', failedChecks: 2, canaryWeight: 0 });
    // Both analysis ticks failed, so traffic never went past the first step, then back to the primary.
    expect(s.weights).toEqual(['100/0', '90/10', '100/0']);
    expect((await s.deployment(APP))?.spec.replicas).toBe(0);
    // The status shows the tick that reached the threshold: both checks, with their values and queries.
    const failing = c.status?.checks?.filter((check) => !check.passed) ?? [];
    expect(failing.map((f) => f.name).sort()).toEqual(['request-duration', 'request-success-rate']);
    const successRate = failing.find((f) => f.name === 'request-success-rate')!;
    expect(successRate.value).toBeLessThan(99);
    expect(successRate.query).toContain('istio_requests_total{reporter="destination"');
    const duration = failing.find((f) => f.name === 'request-duration')!;
    expect(duration.value).toBeGreaterThan(500);
    expect(duration.query).toContain('istio_request_duration_milliseconds_bucket{reporter="destination"');
    // Events are recorded after the status write: wait for the rollback's.
    const events = await s.eventsOnce((e) => e.reason === 'RollingBack');
    const checkFailed = events.filter((e) => e.reason === 'CheckFailed');
    const notes = checkFailed.map((e) => e.note);
    expect(notes.some((n) => /request-success-rate: [\d.]+ is below the minimum 99/.test(n))).toBe(true);
    expect(notes.some((n) => /request-duration: [\d.]+ is above the maximum 500/.test(n))).toBe(true);
    const rollback = events.find((e) => e.reason === 'RollingBack')!;
    expect(rollback.note).toContain('failed checks threshold reached 2');
    // Same tick: the rollback is recorded with the second tick's failures, not one interval later
    // (events of one tick are written within a few seconds even on a loaded machine; ticks are 10 s apart).
    // A repeated failure joins the series of the Event it repeats: its last time is the series' one.
    const firstAt = checkFailed.map((e) => Date.parse(e.eventTime));
    const lastAt = checkFailed.map((e) => Date.parse(e.series?.lastObservedTime ?? e.eventTime));
    expect(Math.max(...lastAt) - Math.min(...firstAt)).toBeGreaterThan(FAULTS_INTERVAL_MS / 2);
    expect(Date.parse(rollback.eventTime) - Math.max(...lastAt)).toBeLessThan(FAULTS_INTERVAL_MS / 2);
    done();
  },
  180_000,
);

suite.test(
  '3. A/B: only `user-type: premium` requests reach the canary until promotion',
  async () => {
    const done = phaseTimer('rollouts scenario 3');
    const s = scenario('ab', {
      canary: (ns, prom) => canaryManifest(ns, prom, abAnalysis(4)),
      headerMix: PREMIUM_USERS,
    });
    await expectPremiumOnlyRollout(s);
    done();
  },
  180_000,
);

suite.test(
  '4. blue/green: analysis, then all traffic switched at once, then promotion',
  async () => {
    const done = phaseTimer('rollouts scenario 4');
    const s = scenario('bluegreen', {
      // Mirroring gives the new version production traffic to be judged on before the switch.
      canary: (ns, prom) =>
        canaryManifest(ns, prom, {
          stepWeight: undefined,
          maxWeight: undefined,
          iterations: 3,
          mirror: true,
        }),
    });
    await s.start();
    await s.waitForPhase(['Initialized']);
    await s.setImage('podinfo:2');
    const c = await s.waitForPhase(['Succeeded', 'Failed']);
    expect(c.status?.phase).toBe('Succeeded');
    expect(s.weights).toEqual(['100/0', '0/100', '100/0']);
    // The new version answered users only after the switch; before it, it was judged on mirrored copies.
    expect(s.harness.mesh.count('other', APP)).toBeGreaterThan(0);
    expect((await s.deployment(`${APP}-primary`))?.spec.template.spec.containers[0]?.image).toBe('podinfo:2');
    done();
  },
  180_000,
);

suite.test(
  '5. a change to a referenced ConfigMap starts a canary and the primary gets the new copy',
  async () => {
    const done = phaseTimer('rollouts scenario 5');
    const s = scenario('config', { canary: (ns, prom) => canaryManifest(ns, prom), withConfigMap: true });
    await s.start();
    const initialized = await s.waitForPhase(['Initialized']);
    expect(Object.keys(initialized.status?.trackedConfigs ?? {})).toEqual(['configmap/podinfo-config']);
    await suite.kube.patch(
      { apiVersion: 'v1', kind: 'ConfigMap', namespace: s.namespace, name: 'podinfo-config' },
      { data: { GREETING: 'bonjour' } },
    );
    await s.waitForPhase(['Progressing']);
    const c = await s.waitForPhase(['Succeeded', 'Failed']);
    expect(c.status?.phase).toBe('Succeeded');
    expect(s.weights).toEqual(FULL_ROLLOUT);
    const copy = await suite.kube.getFull<{
      apiVersion: string;
      kind: string;
      metadata: { name: string };
      data?: Record<string, string>;
    }>({ apiVersion: 'v1', kind: 'ConfigMap', namespace: s.namespace, name: 'podinfo-config-primary' });
    expect(copy?.data).toEqual({ GREETING: 'bonjour' });
    done();
  },
  180_000,
);

suite.test(
  '6. resumes after SIGKILL mid-rollout from the Canary status, with no step skipped or repeated',
  async () => {
    const done = phaseTimer('rollouts scenario 6');
    const s = scenario('sigkill', { canary: (ns, prom) => canaryManifest(ns, prom) });
    await s.start();
    await s.waitForPhase(['Initialized']);
    await s.setImage('podinfo:2');
    await s.waitFor('weight 20', async () =>
      (await s.canary())?.status?.canaryWeight === 20 ? true : undefined,
    );
    await s.controller.kill();
    // A tick may have stepped once more between the poll that saw 20 and the kill (and a write it had
    // sent may land just after): the weight to resume from is the status once the process is gone, a
    // second later, and it must still be mid-rollout.
    await new Promise((r) => setTimeout(r, 1_000));
    const atKill = (await s.canary())?.status;
    expect(atKill?.phase).toBe('Progressing');
    expect(atKill?.canaryWeight).toBeGreaterThanOrEqual(20);
    await new Promise((r) => setTimeout(r, 2_000));
    // Nothing moves while no controller runs.
    expect((await s.canary())?.status?.canaryWeight).toBe(atKill?.canaryWeight);
    await s.restartController();
    const c = await s.waitForPhase(['Succeeded', 'Failed']);
    expect(c.status?.phase).toBe('Succeeded');
    expect(s.weights).toEqual(FULL_ROLLOUT);
    done();
  },
  180_000,
);

suite.test(
  '7. bad input: the API server names schema errors; a missing target or MetricTemplate, or an unreachable Prometheus, is reported while other canaries progress',
  async () => {
    const done = phaseTimer('rollouts scenario 7');
    // A Canary the CRD schema rejects gets the API server's own message, naming the field.
    const rejected = canaryManifest('default', 'http://127.0.0.1:1');
    (rejected.spec.analysis as Record<string, unknown>).threshold = 'abc';
    await expect(suite.kube.create(rejected)).rejects.toThrow(/spec\.analysis\.threshold/);

    const healthy = scenario('badinput', { canary: (ns, prom) => canaryManifest(ns, prom) });
    const noTemplate = scenario('notemplate', {
      canary: (ns, prom) =>
        canaryManifest(ns, prom, {
          metrics: [{ name: 'error-budget', templateRef: { name: 'missing' }, thresholdRange: { max: 1 } }],
        }),
    });
    const noPrometheus = scenario('noprom', { canary: (ns) => canaryManifest(ns, 'http://127.0.0.1:1') });
    await Promise.all([healthy.start(), noTemplate.start(), noPrometheus.start()]);

    const ghost = canaryManifest(healthy.namespace, healthy.prometheus.address);
    ghost.metadata.name = 'ghost';
    ghost.spec.targetRef.name = 'ghost';
    await suite.kube.create(ghost);

    await Promise.all([healthy, noTemplate, noPrometheus].map((s) => s.waitForPhase(['Initialized'])));
    await Promise.all([healthy, noTemplate, noPrometheus].map((s) => s.setImage('podinfo:2')));
    const finished = ['Succeeded', 'Failed'];
    const [ok, template, prometheus] = await Promise.all([
      healthy.waitForPhase(finished),
      noTemplate.waitForPhase(finished),
      noPrometheus.waitForPhase(finished),
    ]);
    expect(ok.status?.phase).toBe('Succeeded');

    expect(template.status?.phase).toBe('Failed');
    expect(template.status?.checks?.[0]?.message).toMatch(/MetricTemplate .*missing not found/);
    expect(
      (await noTemplate.eventsOnce((e) => e.reason === 'RollingBack')).some(
        (e) => e.reason === 'CheckFailed' && /missing not found/.test(e.note),
      ),
    ).toBe(true);

    expect(prometheus.status?.phase).toBe('Failed');
    const unreachable = prometheus.status?.checks ?? [];
    expect(unreachable.every((c) => !c.passed && /unreachable/.test(c.message))).toBe(true);
    expect(noPrometheus.weights).toEqual(['100/0', '90/10', '100/0']);

    const ghostStatus = (await healthy.canary('ghost'))?.status;
    expect(ghostStatus?.conditions).toEqual([
      expect.objectContaining({ type: 'Reconciled', status: 'False', reason: 'TargetNotFound' }),
    ]);
    expect(ghostStatus?.conditions?.[0]?.message).toContain('ghost');
    expect(
      (await healthy.eventsOnce((e) => e.reason === 'TargetNotFound')).some(
        (e) => e.regarding.name === 'ghost',
      ),
    ).toBe(true);
    done();
  },
  240_000,
);

suite.test(
  '8. weights changed by hand mid-rollout are set back on the next tick',
  async () => {
    const done = phaseTimer('rollouts scenario 8');
    // The edit must land between two ticks: it is made right after the watch shows the tick's write of
    // 80/20, and a tick writes the VirtualService last. Had the next tick already read the routes (with
    // 3 s between ticks, a loaded machine could delay the edit that long), it would step over the edit
    // instead of restoring it; 5 s between ticks leaves a margin no API call here comes near.
    const s = scenario('handedit', { canary: (ns, prom) => canaryManifest(ns, prom, { interval: '5s' }) });
    await s.start();
    await s.waitForPhase(['Initialized']);
    await s.setImage('podinfo:2');
    await s.waitFor('weight 20', async () => (s.weights.at(-1) === '80/20' ? true : undefined), 90_000);
    const key = {
      apiVersion: 'networking.istio.io/v1',
      kind: 'VirtualService',
      namespace: s.namespace,
      name: APP,
    };
    const vs = await suite.kube.get<{
      apiVersion: string;
      kind: string;
      metadata: { name: string };
      spec: { http: { route: { weight: number }[] }[] };
    }>(key);
    const http = structuredClone(vs!.spec.http);
    http[0]!.route[0]!.weight = 100;
    http[0]!.route[1]!.weight = 0;
    await suite.kube.patch(key, { spec: { http } });
    const c = await s.waitForPhase(['Succeeded', 'Failed']);
    expect(c.status?.phase).toBe('Succeeded');
    const edited = s.weights.indexOf('100/0', 1);
    expect(edited).toBeGreaterThan(1);
    // The hand edit is undone by the next write, which restores the weight Fledge had set.
    expect(s.weights[edited + 1]).toBe(s.weights[edited - 1]);
    expect(s.weights.slice(-2)).toEqual(['50/50', '100/0']);
    await s.eventsOnce((e) => e.reason === 'RoutesRestored');
    done();
  },
  180_000,
);
