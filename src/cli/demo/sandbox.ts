/**
 * The sandbox: the real controller (reconciler, state machine, workloads, routers, analysis)
 * wired to an in-memory cluster, a simulated deployment controller and simulated traffic. No
 * cluster, no Redis, no Prometheus.
 */
import type { Logger } from 'pino';
import { SimulatedProvider } from '../../../analysis/providers/simulated.js';
import { DeploymentSimulator } from '../../kube/memory/deployment-simulator.js';
import { MemoryCluster } from '../../kube/memory/memory-cluster.js';
import { MeshTraffic, type VersionBehaviour } from '../../sandbox/mesh-traffic.js';
import type { SandboxProvider } from '../../sandbox/route-followers.js';
import { InProcessScheduler } from '../../scheduler/in-process-scheduler.js';
import { createCore } from '../wiring.js';

export interface SandboxOptions {
  logger: Logger;
  /** Shortest analysis interval the sandbox allows (Flagger's floor of 10 s would make a slow demo). */
  minIntervalMs: number;
  /** Time a simulated Deployment takes to become ready. */
  readyDelayMs: number;
  versions: Record<string, VersionBehaviour>;
  requestsPerSecond: number;
  /** Busier namespaces' request rates. */
  requestsPerSecondIn?: Readonly<Record<string, number>>;
  premiumShare: number;
  /** Whose objects the simulated traffic follows (default istio). */
  provider?: SandboxProvider;
}

/** A running sandbox. */
export interface Sandbox {
  cluster: MemoryCluster;
  traffic: MeshTraffic;
  stop(): Promise<void>;
}

export function startSandbox(options: SandboxOptions): Sandbox {
  const now = () => new Date();
  const cluster = new MemoryCluster({ now });
  const deployments = new DeploymentSimulator({
    cluster,
    readyDelayMs: options.readyDelayMs,
    onError: (err) => options.logger.warn({ err }, 'simulated deployment controller: status write failed'),
  });
  const traffic = new MeshTraffic({
    cluster,
    versions: options.versions,
    requestsPerSecond: options.requestsPerSecond,
    requestsPerSecondIn: options.requestsPerSecondIn,
    premiumShare: options.premiumShare,
    ...(options.provider ? { provider: options.provider } : {}),
  });
  const metrics = new SimulatedProvider({ traffic });
  const { watcher } = createCore({
    cluster,
    scheduler: new InProcessScheduler(),
    logger: options.logger,
    now,
    resolve: {
      defaultProvider: 'istio',
      defaultMetricsServer: 'simulated://sandbox',
      minIntervalMs: options.minIntervalMs,
    },
    providerFor: () => metrics,
    instance: 'sandbox',
  });
  deployments.start();
  traffic.start();
  watcher.start();
  return {
    cluster,
    traffic,
    async stop() {
      await watcher.stop();
      traffic.stop();
      deployments.stop();
    },
  };
}
