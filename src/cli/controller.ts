/**
 * `fledge controller`: runs the controller against a Kubernetes cluster, with `/healthz`,
 * `/readyz` and `/metrics`. SIGTERM or SIGINT finishes the ticks in flight, then exits.
 */
import { hostname } from 'node:os';
import { InvalidArgumentError, Option, type Command } from 'commander';
import type { Logger } from 'pino';
import { createMetricProviderFactory } from '../../analysis/providers/factory.js';
import { DEFAULT_MIN_INTERVAL_MS } from '../api/defaults.js';
import { parseDurationMs } from '../api/duration.js';
import { ClientNodeCluster } from '../kube/client/client-node-cluster.js';
import { loadCredentials } from '../kube/client/load-credentials.js';
import { createLogger } from '../log.js';
import { ControllerMetrics } from '../observability/controller-metrics.js';
import { packageVersion } from '../observability/version.js';
import { createHttpServer, parseListenAddress } from '../observability/http-server.js';
import { SUPPORTED_PROVIDERS, isSupportedProvider } from '../routers/factory.js';
import { DEFAULT_INGRESS_ANNOTATIONS_PREFIX, annotationsPrefixProblem } from '../routers/nginx-objects.js';
import { EVENT_MODES, type EventMode } from '../controller/event-recorder.js';
import { LeaderElector } from '../controller/leader-election.js';
import { preflightWithRetry } from '../controller/preflight.js';
import { DEFAULT_TICK_BUDGET_MS } from '../scheduler/tick-budget.js';
import { InProcessScheduler } from '../scheduler/in-process-scheduler.js';
import type { Scheduler } from '../scheduler/scheduler.js';
import { createCore, secretReader } from './wiring.js';

export interface ControllerOptions {
  kubeconfig?: string | undefined;
  namespace?: string | undefined;
  metricsServer: string;
  meshProvider: string;
  /** Prefix of NGINX's canary annotations (`--ingress-annotations-prefix`, Flagger's name). */
  ingressAnnotationsPrefix?: string | undefined;
  logLevel: string;
  kubeQps: number;
  kubeBurst: number;
  listenAddress: string;
  /** Shortest analysis interval honoured (Flagger's floor is 10 s). */
  minIntervalMs: number;
  instance: string;
  /** BullMQ on this Redis spreads canaries across replicas; without it, a Lease picks one leader. */
  redisUrl?: string | undefined;
  schedulerConcurrency: number;
  /** Which Events to write. */
  events: EventMode;
  /** Namespace of the leader-election Lease (in-process scheduler only). */
  leaderElectionNamespace: string;
  /** How long start-up retries an unreachable API server, a missing CRD or missing permissions. */
  startupTimeoutMs: number;
  /** A cache whose list/watch has failed this long fails `/healthz` (so the Pod restarts). */
  unhealthyAfterMs: number;
  /** Budget of one tick (outbound calls stopped past it). */
  tickBudgetMs?: number | undefined;
  /** Refuse Canaries whose MetricTemplate or AlertProvider reference names another namespace. */
  noCrossNamespaceRefs?: boolean;
  /** Aborts start-up (SIGTERM while still starting). */
  signal?: AbortSignal;
}

/** A cache whose list/watch has failed this long makes the replica unready: its reads are stale. */
const UNREADY_AFTER_FAILING_MS = 30_000;

/** Configuration that makes the controller unable to start. */
export class ControllerConfigError extends Error {
  override name = 'ControllerConfigError';
}

/** A running controller. */
export interface RunningController {
  /** Resolves once the controller has stopped; `lostLeadership` when it stopped for that reason. */
  stopped: Promise<{ lostLeadership: boolean }>;
  /** Stops taking ticks, waits for those in flight, closes connections. */
  stop(): Promise<void>;
}

/** Starts the controller; resolves once it is serving. */
export async function startController(o: ControllerOptions, logger: Logger): Promise<RunningController> {
  if (!isSupportedProvider(o.meshProvider)) {
    throw new ControllerConfigError(
      `--mesh-provider: "${o.meshProvider}" is not supported (supported: ${SUPPORTED_PROVIDERS.join(', ')})`,
    );
  }
  const prefixProblem =
    o.ingressAnnotationsPrefix === undefined
      ? undefined
      : annotationsPrefixProblem(o.ingressAnnotationsPrefix);
  if (prefixProblem) throw new ControllerConfigError(`--ingress-annotations-prefix: ${prefixProblem}`);
  if (o.tickBudgetMs !== undefined && !(o.tickBudgetMs > 0)) {
    throw new ControllerConfigError(`--tick-budget: must be a positive duration, got ${o.tickBudgetMs}ms`);
  }
  const listen = parseListenAddress(o.listenAddress);
  const cluster = new ClientNodeCluster({
    credentials: await loadCredentials(o.kubeconfig ? { kubeconfigPath: o.kubeconfig } : {}),
    qps: o.kubeQps,
    burst: o.kubeBurst,
    logger: logger.child({ component: 'kube' }),
  });
  const metrics = new ControllerMetrics();
  const now = () => new Date();
  // bullmq and ioredis (about 20 MB of RSS) are loaded only when Redis is used.
  const scheduler: Scheduler = o.redisUrl
    ? new (await import('../scheduler/bullmq-scheduler.js')).BullMqScheduler({
        connection: { url: o.redisUrl },
        concurrency: o.schedulerConcurrency,
        logger: logger.child({ component: 'scheduler' }),
      })
    : new InProcessScheduler({ concurrency: o.schedulerConcurrency });
  metrics.attachScheduler(scheduler);
  metrics.setInfo(packageVersion(), o.meshProvider);
  const { watcher } = createCore({
    cluster,
    scheduler,
    logger,
    now,
    resolve: {
      defaultProvider: o.meshProvider,
      defaultMetricsServer: o.metricsServer,
      minIntervalMs: o.minIntervalMs,
      noCrossNamespaceRefs: o.noCrossNamespaceRefs ?? false,
    },
    providerFor: createMetricProviderFactory({ readSecret: secretReader(cluster) }),
    ingressAnnotationsPrefix: o.ingressAnnotationsPrefix,
    instance: o.instance,
    namespace: o.namespace,
    events: o.events,
    onTick: (namespace, name, result, durationMs) => metrics.recordTick(namespace, name, result, durationMs),
    onDelete: (namespace, name) => metrics.forget(namespace, name),
    // The Deployments, Services, ConfigMaps and Secrets cached for a namespace's Canaries.
    onNamespaceEmpty: (namespace) => {
      const released = cluster.releaseNamespace(namespace);
      if (released > 0)
        logger.info({ namespace, released }, 'released the caches of a namespace without Canaries');
    },
    ...(o.tickBudgetMs !== undefined ? { tickBudgetMs: o.tickBudgetMs } : {}),
  });
  metrics.attachCanaryCounts(() => watcher.countsByNamespace());
  let ready = false;
  let startedTicking = false;
  let notReadyReason = 'starting: checking the API server, the CRDs and permissions';
  const failingCache = (longerThanMs: number): string | undefined => {
    const stale = cluster.informerStats().find((s) => s.failingForMs > longerThanMs);
    if (!stale) return undefined;
    const forS = Math.round(stale.failingForMs / 1000);
    return `cache ${stale.collection} has failed to list/watch for ${forS} s: ${stale.lastError ?? 'no error recorded'}`;
  };
  const server = createHttpServer({
    registry: metrics.registry,
    readiness: () => {
      if (!ready) return { ready, reason: notReadyReason };
      const stale = failingCache(UNREADY_AFTER_FAILING_MS);
      return stale ? { ready: false, reason: stale } : { ready };
    },
    health: () => {
      const scheduler_ = startedTicking ? scheduler.health() : { healthy: true };
      if (!scheduler_.healthy) return scheduler_;
      const stale = failingCache(o.unhealthyAfterMs);
      return stale ? { healthy: false, reason: stale } : { healthy: true };
    },
  });
  await server.listen(listen);
  logger.info(
    { listen: o.listenAddress, namespace: o.namespace ?? 'all' },
    'serving /healthz, /readyz, /metrics',
  );

  // Reading Fledge's kinds also syncs the Canary informer; ticks start from its cache.
  try {
    await preflightWithRetry(cluster, {
      namespace: o.namespace,
      leaseNamespace: o.redisUrl ? undefined : o.leaderElectionNamespace,
      meshProvider: o.meshProvider,
      timeoutMs: o.startupTimeoutMs,
      ...(o.signal ? { signal: o.signal } : {}),
      onAttemptFailed: (problems, attempt, delayMs) => {
        notReadyReason = `starting: ${problems.map((p) => p.message).join('; ')}`;
        logger.warn({ attempt, delayMs, problems }, 'controller cannot start yet; retrying');
      },
    });
  } catch (err) {
    cluster.stop();
    await scheduler.stop();
    await server.close();
    throw err;
  }

  let resolveStopped: (result: { lostLeadership: boolean }) => void = () => undefined;
  const stopped = new Promise<{ lostLeadership: boolean }>((resolve) => (resolveStopped = resolve));
  let stopping: Promise<void> | undefined;
  let elector: LeaderElector | undefined;
  const stop = (lostLeadership: boolean): Promise<void> => {
    stopping ??= (async () => {
      ready = false;
      logger.info('stopping: finishing the ticks in flight');
      await watcher.stop();
      await elector?.stop();
      cluster.stop();
      await server.close();
      logger.info('stopped');
      resolveStopped({ lostLeadership });
    })();
    return stopping;
  };

  if (o.redisUrl) {
    // BullMQ hands each tick to one replica; the resourceVersion-conditioned status write keeps a
    // canary safe even if two replicas ever ran the same tick.
    startedTicking = true;
    watcher.start();
    logger.info({ scheduler: 'bullmq' }, 'controller started');
  } else {
    // Without a shared queue, only the holder of the Lease ticks.
    elector = new LeaderElector({
      cluster,
      namespace: o.leaderElectionNamespace,
      name: 'fledge-controller',
      identity: o.instance,
      logger: logger.child({ component: 'leader-election' }),
    });
    elector.start({
      onStartedLeading: () => {
        startedTicking = true;
        watcher.start();
      },
      onStoppedLeading: () => void stop(true),
    });
    logger.info(
      { scheduler: 'in-process', lease: `${o.leaderElectionNamespace}/fledge-controller` },
      'controller started',
    );
  }
  ready = true;
  return { stopped, stop: () => stop(false) };
}

function positiveInt(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError(`${name} must be a positive integer`);
    return n;
  };
}

function duration(value: string): number {
  try {
    return parseDurationMs(value);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
}

export function registerControllerCommand(program: Command): Command {
  return program
    .command('controller')
    .description('run the controller against a Kubernetes cluster')
    .option(
      '--kubeconfig <path>',
      'kubeconfig file (default: $KUBECONFIG, in-cluster config, ~/.kube/config)',
    )
    .option('--namespace <namespace>', 'watch Canaries in this namespace only (default: all namespaces)')
    .option(
      '--metrics-server <url>',
      'Prometheus address for Canaries without spec.metricsServer',
      'http://prometheus:9090',
    )
    .option('--mesh-provider <provider>', 'provider for Canaries without spec.provider', 'istio')
    .option(
      '--ingress-annotations-prefix <prefix>',
      "prefix of NGINX's canary annotations (the NGINX ingress controller's --annotations-prefix)",
      DEFAULT_INGRESS_ANNOTATIONS_PREFIX,
    )
    .option('--log-level <level>', 'trace, debug, info, warn or error', 'info')
    .option('--kube-qps <n>', 'requests per second to the API server', positiveInt('--kube-qps'), 100)
    .option('--kube-burst <n>', 'request burst to the API server', positiveInt('--kube-burst'), 250)
    .option('--listen-address <host:port>', 'address of /healthz, /readyz and /metrics', ':8080')
    .option(
      '--min-interval <duration>',
      'shortest analysis interval honoured',
      duration,
      DEFAULT_MIN_INTERVAL_MS,
    )
    .option(
      '--redis-url <url>',
      'Redis for BullMQ, to spread canaries across replicas (default: $REDIS_URL; none: one leader ticks)',
      process.env.REDIS_URL,
    )
    .option(
      '--scheduler-concurrency <n>',
      'ticks this replica runs at once (more wait their turn)',
      positiveInt('--scheduler-concurrency'),
      32,
    )
    .addOption(
      new Option(
        '--events <mode>',
        'Kubernetes Events to write: all (one per weight step too, as Flagger), or transitions (phase changes, warnings, failures)',
      )
        .choices(EVENT_MODES)
        .default('all'),
    )
    .option(
      '--tick-budget <duration>',
      "time one tick may take; past it the tick's metric queries, webhooks and alerts are stopped",
      duration,
      DEFAULT_TICK_BUDGET_MS,
    )
    .option(
      '--startup-timeout <duration>',
      'how long start-up retries an unreachable API server, a missing CRD or missing permissions before exiting',
      duration,
      120_000,
    )
    .option(
      '--unhealthy-after <duration>',
      'a cache failing to list/watch this long fails /healthz (after 30 s it fails /readyz)',
      duration,
      300_000,
    )
    .option(
      '--no-cross-namespace-refs',
      'refuse Canaries whose metric templateRef or alert providerRef names another namespace (as Flagger)',
    )
    .option(
      '--leader-election-namespace <namespace>',
      'namespace of the Lease that picks the one ticking replica when there is no Redis',
      process.env.POD_NAMESPACE ?? 'default',
    )
    .action(
      async (
        raw: Omit<
          ControllerOptions,
          | 'instance'
          | 'minIntervalMs'
          | 'startupTimeoutMs'
          | 'unhealthyAfterMs'
          | 'tickBudgetMs'
          | 'noCrossNamespaceRefs'
        > & {
          /** Commander reads `--no-cross-namespace-refs` as this option negated (default true). */
          crossNamespaceRefs: boolean;
          minInterval: number;
          tickBudget: number;
          startupTimeout: number;
          unhealthyAfter: number;
        },
      ) => {
        const logger = createLogger({ level: raw.logLevel });
        const starting = new AbortController();
        let controller: RunningController | undefined;
        for (const signal of ['SIGTERM', 'SIGINT'] as const) {
          process.once(signal, () => {
            logger.info({ signal }, 'signal received');
            if (controller) void controller.stop();
            else starting.abort();
          });
        }
        try {
          controller = await startController(
            {
              ...raw,
              minIntervalMs: raw.minInterval,
              startupTimeoutMs: raw.startupTimeout,
              unhealthyAfterMs: raw.unhealthyAfter,
              tickBudgetMs: raw.tickBudget,
              noCrossNamespaceRefs: !raw.crossNamespaceRefs,
              instance: process.env.POD_NAME ?? hostname(),
              signal: starting.signal,
            },
            logger,
          );
        } catch (err) {
          logger.fatal({ err }, 'controller could not start');
          process.stderr.write(`fledge controller: cannot start: ${(err as Error).message}\n`);
          // Exit even if a connection is still closing: a controller that cannot start must not linger
          // answering /healthz.
          const code = err instanceof ControllerConfigError ? 2 : 1;
          process.exitCode = code;
          setTimeout(() => process.exit(code), 200);
          return;
        }
        const { lostLeadership } = await controller.stopped;
        // Exit so the Pod restarts and campaigns again from a clean state, as client-go controllers do.
        if (lostLeadership) process.exitCode = 1;
      },
    );
}
