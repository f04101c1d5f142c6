/**
 * The MetricsProvider contract: what the analysis relies on from a metrics provider, held by the
 * simulated provider (the sandbox's and the controller tests' fake) and by PrometheusProvider
 * against a real Prometheus, so the fake cannot drift from the real thing.
 *
 * Every environment serves the same traffic, {@link CONTRACT_TRAFFIC}, in namespace
 * {@link CONTRACT_NAMESPACE}; the queries are the builtin Istio ones, which the simulated
 * provider answers by metric name and Prometheus by evaluating them.
 */
import { builtinQuery } from '../../analysis/builtin-queries.js';
import { MetricQueryError, type MetricQuery, type MetricsProvider } from '../../analysis/provider.js';

export const CONTRACT_NAMESPACE = 'test';
/** Range of every contract query (Prometheus needs two scrapes in it). */
export const CONTRACT_INTERVAL = '30s';

/**
 * What each environment must serve: `podinfo` answers 95% of requests without a 5xx with a p99
 * latency of 220 ms, `backend` 50%, `absent` receives nothing.
 */
export const CONTRACT_TRAFFIC = {
  podinfo: { successRatePercent: 95, p99LatencyMs: 220 },
  backend: { successRatePercent: 50 },
} as const;

/** A provider to test, and a query it cannot answer (it must reject, not guess). */
export interface MetricsProviderEnvironment {
  provider: MetricsProvider;
  /** A query this provider rejects (bad PromQL for Prometheus, an unknown metric for the sandbox). */
  unanswerable: MetricQuery;
}

type Builtin = 'request-success-rate' | 'request-duration';

/** The builtin Istio query of `metric` for `target`, as the analysis would hand it over. */
export function contractQuery(metric: Builtin, target: string): MetricQuery {
  return {
    text: builtinQuery('istio', metric, {
      namespace: CONTRACT_NAMESPACE,
      target,
      interval: CONTRACT_INTERVAL,
    }),
    metric,
    namespace: CONTRACT_NAMESPACE,
    target,
    intervalMs: 30_000,
  };
}

export function describeMetricsProviderContract(
  name: string,
  makeEnvironment: () => Promise<MetricsProviderEnvironment> | MetricsProviderEnvironment,
): void {
  describe(`MetricsProvider contract: ${name}`, () => {
    let env: MetricsProviderEnvironment;
    beforeAll(async () => {
      env = await makeEnvironment();
    });

    it('answers the success rate of a workload as a percentage', async () => {
      const value = await env.provider.query(contractQuery('request-success-rate', 'podinfo'));
      expect(value).toBeCloseTo(CONTRACT_TRAFFIC.podinfo.successRatePercent, 1);
    });

    it('answers the p99 request duration in milliseconds', async () => {
      const value = await env.provider.query(contractQuery('request-duration', 'podinfo'));
      expect(value).toBeCloseTo(CONTRACT_TRAFFIC.podinfo.p99LatencyMs, 0);
    });

    it('answers each workload with its own traffic, also when queried concurrently', async () => {
      const [podinfo, backend] = await Promise.all([
        env.provider.query(contractQuery('request-success-rate', 'podinfo')),
        env.provider.query(contractQuery('request-success-rate', 'backend')),
      ]);
      expect(podinfo).toBeCloseTo(CONTRACT_TRAFFIC.podinfo.successRatePercent, 1);
      expect(backend).toBeCloseTo(CONTRACT_TRAFFIC.backend.successRatePercent, 1);
    });

    it('resolves to undefined, not 0 and not a rejection, for a workload with no traffic', async () => {
      await expect(
        env.provider.query(contractQuery('request-success-rate', 'absent')),
      ).resolves.toBeUndefined();
      await expect(env.provider.query(contractQuery('request-duration', 'absent'))).resolves.toBeUndefined();
    });

    it('rejects a query it cannot answer with a MetricQueryError naming the metric', async () => {
      const error = await env.provider.query(env.unanswerable).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(MetricQueryError);
      expect((error as Error).message).toContain(env.unanswerable.metric);
    });
  });
}
