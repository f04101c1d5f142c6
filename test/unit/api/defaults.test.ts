import {
  calculateSteps,
  DEFAULT_MIN_INTERVAL_MS,
  resolveCanary,
  strategyOf,
  type ResolveOptions,
} from '../../../src/api/defaults.js';
import type { Canary, CanarySpec } from '../../../src/api/schema/canary.js';

type Analysis = CanarySpec['analysis'];

function canary(
  analysis: Analysis = { stepWeight: 10, maxWeight: 50 },
  spec: Partial<CanarySpec> = {},
): Canary {
  return {
    apiVersion: 'fledge.dev/v1alpha1',
    kind: 'Canary',
    metadata: { name: 'podinfo', namespace: 'test', uid: 'uid-1' },
    spec: {
      targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'podinfo' },
      service: { port: 9898 },
      analysis,
      ...spec,
    },
  };
}

const options: ResolveOptions = { defaultProvider: 'istio', defaultMetricsServer: 'http://prometheus:9090' };

describe('resolveCanary: timing', () => {
  it('defaults the interval to 60s, the threshold to 1 and the progress deadline to 600s', () => {
    const r = resolveCanary(canary(), options);
    expect(r.analysis.intervalMs).toBe(60_000);
    expect(r.analysis.threshold).toBe(1);
    expect(r.progressDeadlineMs).toBe(600_000);
  });

  it('reads the interval as a Go duration', () => {
    expect(resolveCanary(canary({ interval: '1m30s', stepWeight: 10 }), options).analysis.intervalMs).toBe(
      90_000,
    );
  });

  it('raises an interval below the floor to the floor (10s unless configured)', () => {
    expect(DEFAULT_MIN_INTERVAL_MS).toBe(10_000);
    expect(resolveCanary(canary({ interval: '5s', stepWeight: 10 }), options).analysis.intervalMs).toBe(
      10_000,
    );
    const fast = { ...options, minIntervalMs: 1_000 };
    expect(resolveCanary(canary({ interval: '5s', stepWeight: 10 }), fast).analysis.intervalMs).toBe(5_000);
    expect(resolveCanary(canary({ interval: '500ms', stepWeight: 10 }), fast).analysis.intervalMs).toBe(
      1_000,
    );
  });

  it('keeps the threshold and the progress deadline when set', () => {
    const r = resolveCanary(
      canary({ threshold: 5, stepWeight: 10 }, { progressDeadlineSeconds: 60 }),
      options,
    );
    expect(r.analysis.threshold).toBe(5);
    expect(r.progressDeadlineMs).toBe(60_000);
  });
});

describe('resolveCanary: weights and strategy', () => {
  it.each<[string, Analysis, number[]]>([
    ['stepWeight up to maxWeight', { stepWeight: 10, maxWeight: 50 }, [10, 20, 30, 40, 50]],
    [
      'maxWeight not a multiple of stepWeight: the last step is capped',
      { stepWeight: 20, maxWeight: 50 },
      [20, 40, 50],
    ],
    ['stepWeight without maxWeight goes up to 100', { stepWeight: 30 }, [30, 60, 90, 100]],
    ['stepWeight equal to maxWeight', { stepWeight: 50, maxWeight: 50 }, [50]],
    ['explicit stepWeights', { stepWeights: [1, 5, 25, 80] }, [1, 5, 25, 80]],
  ])('%s', (_name, analysis, steps) => {
    const r = resolveCanary(canary(analysis), options);
    expect(r.analysis.strategy).toBe('canary');
    expect(r.analysis.steps).toEqual(steps);
    expect(r.analysis.maxWeight).toBe(steps[steps.length - 1]);
    expect(calculateSteps(canary(analysis).spec)).toEqual(steps);
  });

  it('derives blue/green from iterations alone', () => {
    const r = resolveCanary(canary({ iterations: 10, mirror: true }), options);
    expect(r.analysis.strategy).toBe('blue-green');
    expect(r.analysis.iterations).toBe(10);
    expect(r.analysis.steps).toEqual([100]);
    expect(r.analysis.mirror).toBe(true);
    expect(r.analysis.mirrorWeight).toBe(100);
  });

  it('derives A/B testing from match plus iterations', () => {
    const match = [{ headers: { 'user-type': { exact: 'premium' } } }];
    const r = resolveCanary(canary({ iterations: 10, match }), options);
    expect(r.analysis.strategy).toBe('ab-testing');
    expect(r.analysis.match).toEqual(match);
    expect(r.analysis.steps).toEqual([100]);
  });

  it('treats an empty match list as no match', () => {
    expect(strategyOf(canary({ iterations: 3, match: [] }).spec)).toBe('blue-green');
  });

  it('defaults the ready thresholds to 100% and promotes at once', () => {
    const a = resolveCanary(canary(), options).analysis;
    expect([a.primaryReadyThreshold, a.canaryReadyThreshold, a.stepWeightPromotion]).toEqual([
      100,
      100,
      undefined,
    ]);
    expect(a.mirror).toBe(false);
  });
});

describe('resolveCanary: metrics and webhooks', () => {
  it('turns the legacy threshold into a range: a floor for the success rate, a ceiling otherwise', () => {
    const r = resolveCanary(
      canary({
        stepWeight: 10,
        metrics: [
          { name: 'request-success-rate', threshold: 99 },
          { name: 'request-duration', threshold: 500 },
          { name: 'errors', query: 'sum(errors)', threshold: 5 },
          { name: 'latency', query: 'p99', threshold: 1, thresholdRange: { min: 2, max: 3 } },
        ],
      }),
      options,
    );
    expect(r.analysis.metrics.map((m) => m.thresholdRange)).toEqual([
      { min: 99 },
      { max: 500 },
      { max: 5 },
      { min: 2, max: 3 },
    ]);
  });

  it('defaults a metric interval to 1m and its no-data policy to fail', () => {
    const [metric] = resolveCanary(
      canary({ stepWeight: 10, metrics: [{ name: 'request-success-rate', thresholdRange: { min: 99 } }] }),
      options,
    ).analysis.metrics;
    expect(metric).toMatchObject({ interval: '1m', noDataPolicy: 'fail' });
  });

  it('defaults a webhook to type rollout, 10s timeout, no retries', () => {
    const hooks = resolveCanary(
      canary({
        stepWeight: 10,
        webhooks: [
          { name: 'load-test', url: 'http://loadtester/' },
          { name: 'gate', type: 'confirm-promotion', url: 'http://gate/', timeout: '30s', retries: 2 },
        ],
      }),
      options,
    ).analysis.webhooks;
    expect(hooks.map(({ name, type, timeoutMs, retries }) => ({ name, type, timeoutMs, retries }))).toEqual([
      { name: 'load-test', type: 'rollout', timeoutMs: 10_000, retries: 0 },
      { name: 'gate', type: 'confirm-promotion', timeoutMs: 30_000, retries: 2 },
    ]);
  });
});

describe('resolveCanary: identity, service and provider', () => {
  it('names the generated objects after the target, or service.name when set', () => {
    const r = resolveCanary(canary(), options);
    expect(r.names).toEqual({
      apex: 'podinfo',
      primaryService: 'podinfo-primary',
      canaryService: 'podinfo-canary',
      target: 'podinfo',
      primaryWorkload: 'podinfo-primary',
    });
    const named = resolveCanary(canary(undefined, { service: { port: 80, name: 'web' } }), options);
    expect(named.names).toMatchObject({
      apex: 'web',
      primaryService: 'web-primary',
      primaryWorkload: 'podinfo-primary',
    });
  });

  it('defaults the service port name, gateways and hosts', () => {
    expect(resolveCanary(canary(), options).service).toEqual({
      port: 9898,
      name: 'podinfo',
      portName: 'http',
      gateways: ['mesh'],
      hosts: [],
    });
  });

  it('takes provider and metrics server from the spec, else from the controller options', () => {
    expect(resolveCanary(canary(), options)).toMatchObject({
      provider: 'istio',
      metricsServer: 'http://prometheus:9090',
    });
    const own = canary(undefined, { provider: 'linkerd', metricsServer: 'http://thanos:9090' });
    expect(resolveCanary(own, options)).toMatchObject({
      provider: 'linkerd',
      metricsServer: 'http://thanos:9090',
    });
  });

  it('reads namespace, name and uid, and defaults the flags to false', () => {
    const noNamespace = canary();
    delete noNamespace.metadata.namespace;
    expect(resolveCanary(noNamespace, options)).toMatchObject({
      namespace: 'default',
      name: 'podinfo',
      uid: 'uid-1',
      skipAnalysis: false,
      suspend: false,
      revertOnDeletion: false,
    });
  });
});
