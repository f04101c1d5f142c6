/**
 * End-to-end rollouts through the routers other than Istio: `fledge controller` as a separate
 * process, each Canary naming its provider in `spec.provider`, the traffic harness playing that
 * provider's data plane, and the provider's builtin queries run unmodified on a real Prometheus.
 * Assertions are on what reached the API server (the split of the provider's routing object seen
 * through a watch, Deployments, Canary status) and on what each class of users got.
 */
import type { Canary } from '../../src/api/schema/canary.js';
import type { KubeObject } from '../../src/kube/cluster.js';
import { API, objectKey, type Service } from '../../src/kube/resources.js';
import { abAnalysis, expectPremiumOnlyRollout, PREMIUM_USERS } from './support/ab.js';
import { controllerSuite, phaseTimer } from './support/controller-suite.js';
import { APP, canaryManifest, type Scenario, type ScenarioProvider } from './support/scenario.js';

const suite = controllerSuite('fledge-e2e-routers');
const scenario = suite.scenario.bind(suite);

/** Two steps of 25 % five seconds apart, then promotion. */
const SHORT_ROLLOUT: Partial<Canary['spec']['analysis']> = { interval: '5s', stepWeight: 25, maxWeight: 50 };

/**
 * A canary promoted through `provider`: the weights step to 50 %, the primary gets the new pod
 * template, all traffic goes back to it and the canary is scaled to zero.
 */
async function expectPromotion(provider: ScenarioProvider, name: string): Promise<void> {
  const done = phaseTimer(`${provider} promotion`);
  const s = scenario(name, {
    provider,
    canary: (ns, prom) => canaryManifest(ns, prom, SHORT_ROLLOUT, provider),
  });
  const c = await s.rollOut('podinfo:2');
  expect(c.status?.phase).toBe('Succeeded');
  expect(s.weights).toEqual(['100/0', '75/25', '50/50', '100/0']);
  expect((await s.deployment(`${APP}-primary`))?.spec.template.spec.containers[0]?.image).toBe('podinfo:2');
  expect((await s.deployment(APP))?.spec.replicas).toBe(0);
  // The new version answered users while the weights were on it.
  expect(s.harness.mesh.count('other', APP)).toBeGreaterThan(0);
  done();
}

/**
 * The rollback's analysis: ticks 10 s apart, each querying the 10 s since the previous one (the
 * first comes one interval after the weight change, so its window holds the canary's traffic). At
 * 10 % of 40 requests a second the canary gets about 40 requests a window; half of them aborted put
 * the success rate near 50, certainly below 99 (the chance of no abort in 40 is 2^-40), at every
 * tick. No delay is injected: NGINX's builtin duration is a mean, which half the answers delayed
 * would put either side of the threshold; the success rate alone fails each tick, whatever the draws.
 */
const FAULTY_CANARY: Partial<Canary['spec']['analysis']> = {
  interval: '10s',
  metrics: [
    { name: 'request-success-rate', interval: '10s', thresholdRange: { min: 99 } },
    { name: 'request-duration', interval: '10s', thresholdRange: { max: 500 } },
  ],
};

/**
 * Runs `s` with a canary whose answers fail half the time and checks what every provider's rollback
 * shows: Failed after two failed ticks, the target scaled to zero, the primary on the old revision,
 * and a success rate below its threshold from `metric`, the provider's own builtin query (not Istio's).
 */
async function rollOutFaulty(s: Scenario, metric: string): Promise<Canary> {
  await s.start();
  await s.waitForPhase(['Initialized']);
  await s.harness.canary.setFaults({ abort: { percentage: 50, httpStatus: 500 } });
  await s.setImage('podinfo:2');
  const c = await s.waitForPhase(['Failed', 'Succeeded']);
  expect(c.status).toMatchObject({ phase: 'Failed', failedChecks: 2, canaryWeight: 0 });
  expect((await s.deployment(APP))?.spec.replicas).toBe(0);
  expect((await s.deployment(`${APP}-primary`))?.spec.template.spec.containers[0]?.image).toBe('podinfo:1');
  const successRate = c.status?.checks?.find((check) => check.name === 'request-success-rate');
  expect(successRate).toMatchObject({ passed: false });
  expect(successRate?.value).toBeLessThan(99);
  expect(successRate?.query).toContain(metric);
  return c;
}

/** A canary whose answers fail half the time, rolled back by `provider` after two failed ticks. */
async function expectRollback(provider: ScenarioProvider, name: string, metric: string): Promise<void> {
  const done = phaseTimer(`${provider} rollback`);
  const s = scenario(name, {
    provider,
    canary: (ns, prom) => canaryManifest(ns, prom, FAULTY_CANARY, provider),
  });
  await rollOutFaulty(s, metric);
  // Both ticks failed, so traffic never went past the first step, then back to the primary.
  expect(s.weights).toEqual(['100/0', '90/10', '100/0']);
  done();
}

/**
 * {@link FAULTY_CANARY}'s checks over 30 s windows. Every request the canary gets is the load
 * tester's to the faulty version, so a longer window changes no value; it keeps the scrapes of a
 * window (one a second) from all falling in a stall of a loaded machine, which would find no data.
 */
const LOAD_TESTED_METRICS = FAULTY_CANARY.metrics!.map((m) => ({ ...m, interval: '30s' }));

suite.test(
  'linkerd: SMI TrafficSplit promotes: the weights step to 50 %, then all traffic on the primary running the new revision',
  async () => {
    await expectPromotion('linkerd', 'linkerd-promote');
  },
  180_000,
);

suite.test(
  'linkerd: SMI TrafficSplit rolls back a canary whose answers fail half the time',
  async () => {
    await expectRollback('linkerd', 'linkerd-faults', 'response_total{');
  },
  180_000,
);

suite.test(
  'gatewayapi:v1: HTTPRoute promotes: the weights step to 50 %, then all traffic on the primary running the new revision',
  async () => {
    await expectPromotion('gatewayapi:v1', 'gwapi-promote');
  },
  180_000,
);

suite.test(
  'gatewayapi:v1: HTTPRoute A/B: only `user-type: premium` requests reach the canary until promotion',
  async () => {
    const done = phaseTimer('gatewayapi:v1 A/B');
    const s = scenario('gwapi-ab', {
      provider: 'gatewayapi:v1',
      canary: (ns, prom) => canaryManifest(ns, prom, { interval: '5s', ...abAnalysis(3) }, 'gatewayapi:v1'),
      headerMix: PREMIUM_USERS,
    });
    await expectPremiumOnlyRollout(s);
    expect((await s.deployment(`${APP}-primary`))?.spec.template.spec.containers[0]?.image).toBe('podinfo:2');
    done();
  },
  180_000,
);

suite.test(
  'gatewayapi:v1: HTTPRoute rolls back a canary whose answers fail half the time',
  async () => {
    await expectRollback('gatewayapi:v1', 'gwapi-faults', 'http_request_duration_seconds_count{');
  },
  180_000,
);

suite.test(
  'nginx: canary Ingress promotes: the weights step to 50 %, then all traffic on the primary running the new revision',
  async () => {
    await expectPromotion('nginx', 'nginx-promote');
  },
  180_000,
);

suite.test(
  'nginx: canary Ingress rolls back a canary whose answers fail half the time',
  async () => {
    await expectRollback('nginx', 'nginx-faults', 'nginx_ingress_controller_requests{');
  },
  180_000,
);

suite.test(
  'nginx: canary Ingress A/B: only requests with the header or the cookie reach the canary until promotion',
  async () => {
    const done = phaseTimer('nginx A/B');
    const match = [
      { headers: { 'user-type': { exact: 'premium' } } },
      // NGINX routes by the cookie `canary`, sending requests whose value is `always` to the canary.
      { headers: { cookie: { exact: 'canary' } } },
    ];
    const s = scenario('nginx-ab', {
      provider: 'nginx',
      canary: (ns, prom) => canaryManifest(ns, prom, { interval: '5s', ...abAnalysis(3), match }, 'nginx'),
      headerMix: [
        ...PREMIUM_USERS,
        { name: 'insider', headers: { cookie: 'canary=always' }, share: 0.2 },
        // The cookie NGINX routes by, with a value that does not select the canary.
        { name: 'opted-out', headers: { cookie: 'canary=later' }, share: 0.1 },
      ],
    });
    await expectPremiumOnlyRollout(s);
    expect(s.harness.mesh.count('insider', APP)).toBeGreaterThan(0);
    expect(s.harness.mesh.count('opted-out', APP)).toBe(0);
    expect(s.harness.mesh.count('opted-out', `${APP}-primary`)).toBeGreaterThan(0);
    const ingress = await s.kube.get<KubeObject>(objectKey(API.ingress, s.namespace, `${APP}-canary`));
    // After promotion the canary Ingress is off and carries no match.
    expect(ingress?.metadata.annotations).toMatchObject({ 'nginx.ingress.kubernetes.io/canary': 'false' });
    expect(Object.keys(ingress?.metadata.annotations ?? {})).not.toContain(
      'nginx.ingress.kubernetes.io/canary-by-header',
    );
    done();
  },
  180_000,
);

suite.test(
  'kubernetes: Services only blue/green: the apex Service selects the primary throughout, which runs the new revision after',
  async () => {
    const done = phaseTimer('kubernetes blue/green');
    const s = scenario('k8s-bluegreen', {
      provider: 'kubernetes',
      canary: (ns, prom) =>
        canaryManifest(
          ns,
          prom,
          { interval: '5s', stepWeight: undefined, maxWeight: undefined, iterations: 3 },
          'kubernetes',
        ),
    });
    const c = await s.rollOut('podinfo:2');
    expect(c.status?.phase).toBe('Succeeded');
    // The selector never left the primary's pods: users never reached the version under analysis.
    expect(s.weights).toEqual(['100/0']);
    expect(s.harness.mesh.count('other', APP)).toBe(0);
    expect(s.harness.mesh.count('other', `${APP}-primary`)).toBeGreaterThan(0);
    expect((await s.deployment(`${APP}-primary`))?.spec.template.spec.containers[0]?.image).toBe('podinfo:2');
    expect((await s.deployment(APP))?.spec.replicas).toBe(0);
    done();
  },
  180_000,
);

suite.test(
  'kubernetes: Services only rolls back a canary whose answers fail half the time, seen through the load test only',
  async () => {
    const done = phaseTimer('kubernetes rollback');
    const s = scenario('k8s-faults', {
      provider: 'kubernetes',
      loadTest: true,
      canary: (ns, prom) =>
        canaryManifest(
          ns,
          prom,
          {
            ...FAULTY_CANARY,
            stepWeight: undefined,
            maxWeight: undefined,
            iterations: 3,
            metrics: LOAD_TESTED_METRICS,
          },
          'kubernetes',
        ),
    });
    const c = await rollOutFaulty(s, 'http_request_duration_seconds_count{');
    // Two failed ticks of the three iterations: rolled back before promotion, the apex never moved.
    expect(s.weights).toEqual(['100/0']);
    const selector = async (name: string) =>
      (await s.kube.get<Service>(objectKey(API.service, s.namespace, name)))?.spec?.selector;
    expect(await selector(APP)).toEqual({ app: `${APP}-primary` });
    expect(await selector(`${APP}-primary`)).toEqual({ app: `${APP}-primary` });
    // Users never reached the faulty version; the load tester's requests to the canary Service did.
    expect(s.harness.mesh.count('other', APP)).toBe(0);
    expect(s.harness.mesh.count('other', `${APP}-primary`)).toBeGreaterThan(0);
    const loadTest = s.harness.loadTester!.mesh;
    expect(loadTest.count('other', APP)).toBeGreaterThan(0);
    expect(loadTest.count('other', `${APP}-primary`)).toBe(0);
    // The HTTP observer's builtin query, unmodified, on the canary's pods.
    const successRate = c.status?.checks?.find((check) => check.name === 'request-success-rate');
    expect(successRate?.query).toContain(`kubernetes_pod_name=~"${APP}-[0-9a-zA-Z]+(-[0-9a-zA-Z]+)"`);
    done();
  },
  180_000,
);
