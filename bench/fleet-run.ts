/**
 * What the real-stack and rollback parts share: a fleet of applications in a fresh namespace of the
 * local control plane, and one controller child over it, started and waited for at each stage of a
 * rollout in the same way.
 */
import { join } from 'node:path';
import type { EventMode } from '../src/controller/event-recorder.js';
import type { Cluster } from '../src/kube/cluster.js';
import type { ApiServerAccess } from './apiserver-metrics.js';
import { BenchChild } from './child-rpc.js';
import { Fleet } from './fleet.js';
import type { CanaryShape } from './manifests.js';
import type { BenchScheduler, RealControllerOptions } from './real-controller.js';
import type { InClusterIdentity } from './service-account.js';

/** What the environment gives a part that runs a controller against the real API server. */
export interface RealBenchContext {
  /** The benchmark's own client, for setting up (not the controller's). */
  kube: Cluster;
  access: ApiServerAccess;
  /** The controller's identity: the chart's ServiceAccount, mounted as in a pod. */
  inCluster: InClusterIdentity;
  output: (text: string) => void;
  /** The controller child's Node flags (`controllerNodeFlags` of options.ts: the chart's). */
  nodeFlags: string[];
  /** The controller child's added environment (`controllerEnv` of options.ts: the chart's). */
  env: Record<string, string>;
}

/** The settings of a part's fleet and controller. */
export interface FleetRunOptions {
  canaries: number;
  intervalMs: number;
  queryLatencyMs: number;
  kubeQps: number;
  kubeBurst: number;
  logLevel: string;
  scheduler: BenchScheduler;
  events: EventMode;
  /** Controller logs are written here; none when undefined. */
  logDir: string | undefined;
  warmupTimeoutMs: number;
}

/** A fleet created in its namespace, and the controller child that will run over it. */
export interface FleetRun {
  namespace: string;
  fleet: Fleet;
  child: BenchChild;
  /** Writes one line of progress, prefixed with the part's label. */
  log: (text: string) => void;
}

/**
 * Creates the fleet's Deployments and Canaries in a new namespace `<namespacePrefix>-<random>`, and
 * the controller child, not started yet. The caller kills the child and deletes the fleet.
 */
export async function createFleetRun(
  o: FleetRunOptions,
  ctx: RealBenchContext,
  part: { namespacePrefix: string; label: string; shape: CanaryShape },
): Promise<FleetRun> {
  const namespace = `${part.namespacePrefix}-${Math.random().toString(36).slice(2, 7)}`;
  const fleet = new Fleet(ctx.kube, namespace, o.canaries, part.shape);
  const log = (text: string) => ctx.output(`${part.label}: ${text}\n`);
  log(`creating ${o.canaries} Deployments and Canaries in ${namespace}`);
  await fleet.create();
  const child = new BenchChild({ output: ctx.output, nodeFlags: ctx.nodeFlags, env: ctx.env });
  return { namespace, fleet, child, log };
}

/**
 * Starts the controller in the child over the run's namespace (logging to `<logDir>/<logName>`),
 * then waits until every canary is Initialized.
 */
export async function startController(
  run: FleetRun,
  o: FleetRunOptions,
  ctx: RealBenchContext,
  logName: string,
): Promise<void> {
  const controller: RealControllerOptions = {
    inCluster: ctx.inCluster,
    namespace: run.namespace,
    kubeQps: o.kubeQps,
    kubeBurst: o.kubeBurst,
    minIntervalMs: o.intervalMs,
    queryLatencyMs: o.queryLatencyMs,
    logLevel: o.logLevel,
    logFile: o.logDir ? join(o.logDir, logName) : undefined,
    scheduler: o.scheduler,
    events: o.events,
  };
  await run.child.call('startController', controller);
  run.log('controller started; waiting for every canary to be Initialized');
  await run.fleet.waitForAll('every canary Initialized', (c) => c.phase === 'Initialized', o.warmupTimeoutMs);
}

/** Releases the new image to every application and waits until every canary has moved off weight 0. */
export async function releaseAndWaitForProgress(run: FleetRun, o: FleetRunOptions): Promise<void> {
  await run.fleet.release();
  await run.fleet.waitForAll(
    'every canary Progressing past weight 0',
    (c) => c.phase === 'Progressing' && c.weight > 0,
    o.warmupTimeoutMs,
  );
}
