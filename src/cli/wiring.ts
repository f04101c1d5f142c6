/**
 * Assembles the controller core (reconciler, checks, watcher) from its ports. Shared by
 * `fledge controller` (real cluster, Prometheus) and `fledge demo` (in-memory cluster, simulated
 * metrics), so both run the same code.
 */
import type { Logger } from 'pino';
import { observeJudgeCounts } from '../../analysis/judge/run-counts.js';
import { runMetricChecks, type MetricCheckDeps } from '../../analysis/run-checks.js';
import type { ResolveOptions } from '../api/defaults.js';
import { CanaryWatcher, type TickObserver } from '../controller/canary-watcher.js';
import { eventsFor, KubeEventRecorder, type EventMode } from '../controller/event-recorder.js';
import { Reconciler } from '../controller/reconciler.js';
import { HttpWebhookCaller } from '../hooks/http-webhook-caller.js';
import { WebhookChecks } from '../hooks/webhook-checks.js';
import { LRUCache } from 'lru-cache';
import { contentChecksum } from '../kube/cache-shape.js';
import type { Cluster, ConfigSummary } from '../kube/cluster.js';
import { API, objectKey, type Secret } from '../kube/resources.js';
import { CanaryNotifications } from '../notifiers/canary-notifications.js';
import { createRouter } from '../routers/factory.js';
import type { Scheduler } from '../scheduler/scheduler.js';
import { DeploymentController } from '../workloads/deployment-controller.js';

export interface CoreOptions {
  cluster: Cluster;
  scheduler: Scheduler;
  logger: Logger;
  now: () => Date;
  resolve: ResolveOptions;
  providerFor: MetricCheckDeps['providerFor'];
  /** Prefix of NGINX's canary annotations (`--ingress-annotations-prefix`). */
  ingressAnnotationsPrefix?: string | undefined;
  /** This replica's name, reported on Events. */
  instance: string;
  /** Watch one namespace; all when undefined. */
  namespace?: string | undefined;
  /** Which Events to write (default `all`). */
  events?: EventMode;
  onTick?: TickObserver;
  onDelete?: (namespace: string, name: string) => void;
  onNamespaceEmpty?: (namespace: string) => void;
  /** Budget of one tick, see `scheduler/tick-budget.ts`. */
  tickBudgetMs?: number;
}

export interface Core {
  reconciler: Reconciler;
  watcher: CanaryWatcher;
}

export function createCore(o: CoreOptions): Core {
  const caller = new HttpWebhookCaller();
  const metricDeps: MetricCheckDeps = {
    getTemplate: (namespace, name) => o.cluster.get(objectKey(API.metricTemplate, namespace, name)),
    providerFor: o.providerFor,
  };
  const checks = new WebhookChecks({
    caller,
    runMetrics: (canary) => runMetricChecks(canary, metricDeps),
    judgeCounts: (canary) => observeJudgeCounts(canary, metricDeps),
    logger: o.logger,
  });
  const notifications = new CanaryNotifications({
    cluster: o.cluster,
    caller,
    logger: o.logger,
    now: o.now,
  });
  const reconciler = new Reconciler({
    cluster: o.cluster,
    workloads: new DeploymentController({ cluster: o.cluster, now: o.now }),
    routerFor: (provider) =>
      createRouter(provider, { cluster: o.cluster, ingressAnnotationsPrefix: o.ingressAnnotationsPrefix }),
    checks,
    notifications,
    events: eventsFor(
      o.events ?? 'all',
      new KubeEventRecorder({ cluster: o.cluster, now: o.now, instance: o.instance }),
    ),
    now: o.now,
    logger: o.logger,
    resolve: o.resolve,
  });
  const watcher = new CanaryWatcher({
    cluster: o.cluster,
    scheduler: o.scheduler,
    reconciler,
    logger: o.logger,
    namespace: o.namespace,
    ...(o.resolve.minIntervalMs !== undefined ? { minIntervalMs: o.resolve.minIntervalMs } : {}),
    ...(o.onTick ? { onTick: o.onTick } : {}),
    onDelete: (namespace, name) => {
      reconciler.forget(namespace, name);
      o.onDelete?.(namespace, name);
    },
    ...(o.onNamespaceEmpty ? { onNamespaceEmpty: o.onNamespaceEmpty } : {}),
    ...(o.tickBudgetMs !== undefined ? { tickBudgetMs: o.tickBudgetMs } : {}),
  });
  return { reconciler, watcher };
}

/** Secrets whose decoded values {@link secretReader} keeps, least recently used dropped first. */
export const SECRETS_READ_KEPT = 256;

/**
 * Reads a Secret's data, base64-decoded, with `stringData` on top. The caches hold Secrets without
 * their values, so the values are read whole (`getFull`) and kept only for the Secrets read here
 * (metric providers' credentials, which their providers hold anyway), at most
 * {@link SECRETS_READ_KEPT}, until the cached checksum says the Secret changed: an analysis tick
 * sends no GET for an unchanged Secret.
 */
export function secretReader(cluster: Cluster, maxKept = SECRETS_READ_KEPT) {
  const kept = new LRUCache<string, { checksum: string; values: Record<string, string> }>({ max: maxKept });
  return async (namespace: string, name: string): Promise<Record<string, string> | undefined> => {
    const key = objectKey(API.secret, namespace, name);
    const id = `${namespace}/${name}`;
    const summary = await cluster.get<ConfigSummary>(key);
    const hit = kept.get(id);
    if (summary && hit?.checksum === summary.contentChecksum) return hit.values;
    kept.delete(id);
    const secret = summary ? await cluster.getFull<Secret>(key) : undefined;
    if (!secret) return undefined;
    const data: Record<string, string> = {};
    for (const [k, v] of Object.entries(secret.data ?? {}))
      data[k] = Buffer.from(v, 'base64').toString('utf8');
    const values = { ...data, ...secret.stringData };
    kept.set(id, { checksum: contentChecksum(secret), values });
    return values;
  };
}
