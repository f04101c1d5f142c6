/**
 * The traffic the benchmark's canaries are judged on: every workload gets a healthy
 * {@link SimulatedTraffic} profile the first time it is sampled, and an error rate can be set for
 * all of them at once (the rollback measurement's "bad version").
 */
import { SimulatedTraffic, type TrafficSample, type TrafficSource } from '../analysis/providers/simulated.js';

const HEALTHY = { requestsPerSecond: 10, errorRatePercent: 0, p99LatencyMs: 50 };

export class BenchTraffic implements TrafficSource {
  private readonly traffic = new SimulatedTraffic({ seed: 42 });
  private readonly known = new Set<string>();
  private errorRatePercent = 0;

  sample(namespace: string, workload: string, intervalMs: number): TrafficSample {
    const key = `${namespace}/${workload}`;
    if (!this.known.has(key)) {
      this.known.add(key);
      this.traffic.set(namespace, workload, { ...HEALTHY, errorRatePercent: this.errorRatePercent });
    }
    return this.traffic.sample(namespace, workload, intervalMs);
  }

  /** Sets the error rate of every workload, from the next sample on. */
  setErrorRate(errorRatePercent: number): void {
    this.errorRatePercent = errorRatePercent;
    for (const key of this.known) {
      const [namespace, workload] = key.split('/') as [string, string];
      this.traffic.set(namespace, workload, { errorRatePercent });
    }
  }
}
