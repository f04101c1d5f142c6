/** The simulated provider held to the MetricsProvider contract PrometheusProvider also passes. */
import { SimulatedProvider, SimulatedTraffic } from '../../../analysis/providers/simulated.js';
import {
  CONTRACT_NAMESPACE,
  CONTRACT_TRAFFIC,
  contractQuery,
  describeMetricsProviderContract,
} from '../../contract/metrics-provider-contract.js';

describeMetricsProviderContract('SimulatedProvider', () => {
  const traffic = new SimulatedTraffic({ jitterPercent: 0 });
  const { podinfo, backend } = CONTRACT_TRAFFIC;
  traffic.set(CONTRACT_NAMESPACE, 'podinfo', {
    errorRatePercent: 100 - podinfo.successRatePercent,
    p99LatencyMs: podinfo.p99LatencyMs,
  });
  traffic.set(CONTRACT_NAMESPACE, 'backend', { errorRatePercent: 100 - backend.successRatePercent });
  return {
    provider: new SimulatedProvider({ traffic }),
    unanswerable: { ...contractQuery('request-success-rate', 'podinfo'), metric: 'error-rate' },
  };
});
