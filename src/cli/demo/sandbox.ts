/**
 * The sandbox: the real controller (reconciler, state machine, workloads, Istio router, analysis)
 * wired to an in-memory cluster, a simulated deployment controller and simulated traffic. No
 * cluster, no Redis, no Prometheus.
 */
import type { Logger } from 'pino';
import { SimulatedProvider } from '../../../analysis/providers/simulated.js';
import { CanaryWatcher } from '../../controller/canary-watcher.js';
import { KubeEventRecorder } from '../../controller/event-recorder.js';
import { Reconciler } from '../../controller/reconciler.js';
import { WebhookChecks } from '../../controller/webhook-checks.js';
import { HttpWebhookCaller } from '../../hooks/http-webhook-caller.js';
import { DeploymentSimulator } from '../../kube/memory/deployment-simulator.js';
import { MemoryCluster } from '../../kube/memory/memory-cluster.js';
import { createRouter } from '../../routers/factory.js';
import { MeshTraffic, type VersionBehaviour } from '../../sandbox/mesh-traffic.js';
import { InProcessScheduler } from '../../scheduler/in-process-scheduler.js';
import { DeploymentController } from '../../workloads/deployment-controller.js';

export interface SandboxOptions {
  logger: Logger;
  /** Shortest analysis interval the sandbox allows (Flagger's floor of 10 s would make a slow demo). */
  minIntervalMs: number;
  /** Time a simulated Deployment takes to become ready. */
  readyDelayMs: number;
  versions: Record<string, VersionBehaviour>;
  requestsPerSecond: number;
  premiumShare: number;
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
    premiumShare: options.premiumShare,
  });
  const metrics = new SimulatedProvider({ traffic });
  const checks = new WebhookChecks({
    cluster,
    caller: new HttpWebhookCaller(),
    providerFor: () => metrics,
    logger: options.logger,
    now,
  });
  const reconciler = new Reconciler({
    cluster,
    workloads: new DeploymentController({ cluster, now }),
    routerFor: (provider) => createRouter(provider, { cluster }),
    checks,
    notifications: checks,
    events: new KubeEventRecorder({ cluster, now, instance: 'sandbox' }),
    now,
    logger: options.logger,
    resolve: {
      defaultProvider: 'istio',
      defaultMetricsServer: 'simulated://sandbox',
      minIntervalMs: options.minIntervalMs,
    },
  });
  const watcher = new CanaryWatcher({
    cluster,
    scheduler: new InProcessScheduler(),
    reconciler,
    logger: options.logger,
    minIntervalMs: options.minIntervalMs,
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
