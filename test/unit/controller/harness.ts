/**
 * The controller on the in-memory cluster with its real parts (reconciler, workloads, Istio router,
 * event recorder, webhook checks and notifications) and fakes only at the port boundary: metrics
 * come from the simulated provider, and webhooks and alerts go to a real local HTTP receiver the
 * test programs and reads. Ticks are driven one at a time with a fake clock.
 */
import { pino } from 'pino';
import { observeJudgeCounts } from '../../../analysis/judge/run-counts.js';
import { MetricQueryError, type MetricQuery, type MetricsProvider } from '../../../analysis/provider.js';
import { runMetricChecks, type MetricCheckDeps } from '../../../analysis/run-checks.js';
import { SimulatedProvider, SimulatedTraffic } from '../../../analysis/providers/simulated.js';
import type { AlertProvider } from '../../../src/api/schema/alert-provider.js';
import type { Canary, CanaryWebhook } from '../../../src/api/schema/canary.js';
import { eventsFor, KubeEventRecorder, type EventMode } from '../../../src/controller/event-recorder.js';
import { Reconciler, type TickResult } from '../../../src/controller/reconciler.js';
import { HttpWebhookCaller } from '../../../src/hooks/http-webhook-caller.js';
import { WebhookChecks } from '../../../src/hooks/webhook-checks.js';
import type { WebhookAlertBody } from '../../../src/notifiers/generic-webhook.js';
import { CanaryNotifications } from '../../../src/notifiers/canary-notifications.js';
import { HttpReceiver } from '../../support/http-receiver.js';
import { DeploymentSimulator } from '../../../src/kube/memory/deployment-simulator.js';
import type { KubeObject } from '../../../src/kube/cluster.js';
import { MemoryCluster } from '../../../src/kube/memory/memory-cluster.js';
import { API, objectKey, type Deployment, type KubeEvent } from '../../../src/kube/resources.js';
import { createRouter } from '../../../src/routers/factory.js';
import { DeploymentController } from '../../../src/workloads/deployment-controller.js';

export const NS = 'test';

export function deploymentObject(name: string, image: string): Deployment {
  const labels = { app: name };
  return {
    ...API.deployment,
    metadata: { name, namespace: NS, labels },
    spec: {
      replicas: 2,
      selector: { matchLabels: labels },
      template: { metadata: { labels }, spec: { containers: [{ name, image }] } },
    },
  };
}

export function canaryObject(name: string, analysis: Partial<Canary['spec']['analysis']> = {}): Canary {
  return {
    apiVersion: 'fledge.dev/v1alpha1',
    kind: 'Canary',
    metadata: { name, namespace: NS },
    spec: {
      targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name },
      service: { port: 9898 },
      analysis: {
        interval: '1m',
        threshold: 2,
        stepWeight: 10,
        maxWeight: 30,
        metrics: [{ name: 'request-success-rate', thresholdRange: { min: 99 } }],
        ...analysis,
      },
    },
  };
}

/** Path of the receiver that the `receiver` AlertProvider ({@link Harness.alertsTo}) posts to. */
export const ALERTS_PATH = '/alerts';

/** Settings of {@link Harness.start}. */
export interface HarnessOptions {
  events?: EventMode;
  noCrossNamespaceRefs?: boolean;
  /** Makes session affinity cookie values (default: random, as in production). */
  cookieValue?: () => string;
}

/** The traffic of a healthy workload: its success-rate and latency checks pass. */
export const HEALTHY_TRAFFIC = { requestsPerSecond: 10, errorRatePercent: 0.1, p99LatencyMs: 50 } as const;

/**
 * Called at a test file's top level: returns a function that starts a {@link Harness} (the
 * `healthy` workloads given {@link HEALTHY_TRAFFIC}) and closes every harness it started after
 * each test.
 */
export function harnessPerTest(
  defaults: { healthy?: string[] } = {},
): (options?: HarnessOptions) => Promise<Harness> {
  const started: Harness[] = [];
  afterEach(async () => {
    for (const h of started.splice(0)) await h.close();
  });
  return async (options = {}) => {
    const h = await Harness.start(options);
    started.push(h);
    for (const name of defaults.healthy ?? []) h.traffic.set(NS, name, HEALTHY_TRAFFIC);
    return h;
  };
}

/** Starts a {@link Harness} before each test of the file, handing it to `use`, and closes it after. */
export function useHarness(use: (h: Harness) => void, options: HarnessOptions = {}): void {
  let current: Harness | undefined;
  beforeEach(async () => {
    current = await Harness.start(options);
    use(current);
  });
  afterEach(async () => {
    await current?.close();
  });
}

export class Harness {
  nowMs = Date.parse('2026-03-01T12:00:00Z');
  readonly cluster = new MemoryCluster({ now: () => new Date(this.nowMs) });
  readonly simulator = new DeploymentSimulator({ cluster: this.cluster, now: () => new Date(this.nowMs) });
  /** What the simulated metrics report; {@link install} gives the target a healthy profile. */
  readonly traffic = new SimulatedTraffic({ jitterPercent: 0 });
  /** Every metric query the analysis ran, in order. */
  readonly metricQueries: MetricQuery[] = [];
  /** Every weight pair a VirtualService was written with, per name. */
  readonly weights = new Map<string, string[]>();
  /** Replaced by {@link restart}, as a controller that starts again keeps nothing but the cluster. */
  reconciler: Reconciler;
  /** When set, every count query of the judge fails with this message. */
  countQueryError: string | undefined;
  /** Told about every tick {@link tick} runs, as the watcher tells its `onTick` (e.g. metrics). */
  onTick: ((namespace: string, name: string, result: TickResult) => void) | undefined;

  /** Starts the receiver webhooks and alerts go to; {@link close} stops it. */
  static async start(options: HarnessOptions = {}): Promise<Harness> {
    const receiver = await HttpReceiver.start();
    receiver.on(ALERTS_PATH, { status: 200 });
    return new Harness(receiver, options);
  }

  private constructor(
    /** Where the canaries' webhooks and the `receiver` AlertProvider point. */
    readonly receiver: HttpReceiver,
    private readonly options: HarnessOptions,
  ) {
    this.reconciler = this.createReconciler();
    this.cluster.watch<
      { metadata: { name: string }; spec: { http?: { route?: { weight?: number }[] }[] } } & Deployment
    >({ ...API.virtualService }, (e) => {
      const route = e.object.spec.http?.[0]?.route ?? [];
      const pair = route.map((r) => r.weight ?? 0).join('/');
      const list = this.weights.get(e.object.metadata.name) ?? [];
      if (list.at(-1) !== pair) list.push(pair);
      this.weights.set(e.object.metadata.name, list);
    });
  }

  /** A new reconciler on the same cluster: what a restarted controller has to go on. */
  restart(): void {
    this.reconciler = this.createReconciler();
  }

  private createReconciler(): Reconciler {
    const options = this.options;
    const now = () => new Date(this.nowMs);
    const logger = pino({ level: 'silent' });
    // Webhook retries wait for nothing: a test that asks for retries wants them at once.
    const caller = new HttpWebhookCaller({ sleep: async () => undefined });
    const simulated = new SimulatedProvider({ traffic: this.traffic });
    const provider: MetricsProvider = {
      query: (query) => {
        this.metricQueries.push(query);
        if (query.count && this.countQueryError)
          return Promise.reject(new MetricQueryError(this.countQueryError));
        return simulated.query(query);
      },
    };
    const metricDeps: MetricCheckDeps = {
      getTemplate: (namespace, name) => this.cluster.get(objectKey(API.metricTemplate, namespace, name)),
      providerFor: () => provider,
    };
    return new Reconciler({
      cluster: this.cluster,
      workloads: new DeploymentController({ cluster: this.cluster, now }),
      routerFor: (provider) => createRouter(provider, { cluster: this.cluster }),
      checks: new WebhookChecks({
        caller,
        logger,
        runMetrics: (canary) => runMetricChecks(canary, metricDeps),
        judgeCounts: (canary) => observeJudgeCounts(canary, metricDeps),
      }),
      notifications: new CanaryNotifications({ cluster: this.cluster, caller, logger, now }),
      events: eventsFor(
        options.events ?? 'all',
        new KubeEventRecorder({ cluster: this.cluster, now, instance: 'test' }),
      ),
      now,
      logger,
      ...(options.cookieValue ? { cookieValue: options.cookieValue } : {}),
      resolve: {
        defaultProvider: 'istio',
        defaultMetricsServer: 'http://prometheus:9090',
        noCrossNamespaceRefs: options.noCrossNamespaceRefs ?? false,
      },
    });
  }

  async install(
    name: string,
    image: string,
    analysis: Partial<Canary['spec']['analysis']> = {},
  ): Promise<void> {
    this.traffic.set(NS, name, HEALTHY_TRAFFIC);
    await this.cluster.create(deploymentObject(name, image));
    await this.cluster.create(canaryObject(name, analysis));
    await this.settle();
  }

  /** Creates the target of `canary` at image `:1` and `canary` itself; ticks until Initialized. */
  async initialise(canary: Canary): Promise<void> {
    const name = canary.spec.targetRef.name;
    await this.cluster.create(deploymentObject(name, `${name}:1`));
    await this.cluster.create(canary);
    await this.settle();
    await this.tickUntil(canary.metadata.name, ['Initialized']);
  }

  /** Installs `name` at image `:1`, initialises it, and starts the analysis of image `:2`. */
  async startRollout(name: string, analysis: Partial<Canary['spec']['analysis']> = {}): Promise<void> {
    await this.install(name, `${name}:1`, analysis);
    await this.tickUntil(name, ['Initialized']);
    await this.setImage(name, `${name}:2`);
    await this.tickUntil(name, ['Progressing']);
  }

  /** Stops the receiver. */
  async close(): Promise<void> {
    await this.receiver.close();
  }

  /** A webhook of the Canary pointing at `path` on the receiver. */
  hook(
    name: string,
    type: NonNullable<CanaryWebhook['type']>,
    path: string,
    over: Partial<CanaryWebhook> = {},
  ): CanaryWebhook {
    return { name, type, url: this.receiver.url(path), ...over };
  }

  /**
   * One webhook of every type, each on its own path of the receiver: `/rollback` says "no" (403),
   * `/event` takes the Events, the others say yes.
   */
  allHooks(): NonNullable<Canary['spec']['analysis']['webhooks']> {
    for (const path of [
      '/confirm-rollout',
      '/pre-a',
      '/pre-b',
      '/load',
      '/smoke',
      '/traffic',
      '/promotion',
    ]) {
      this.receiver.on(path, { status: 200 });
    }
    this.receiver.on('/rollback', { status: 403 });
    this.receiver.on('/post', { status: 200 });
    this.receiver.on('/event', { status: 200 });
    return [
      this.hook('approve', 'confirm-rollout', '/confirm-rollout'),
      this.hook('pre-a', 'pre-rollout', '/pre-a'),
      this.hook('pre-b', 'pre-rollout', '/pre-b'),
      this.hook('load', 'rollout', '/load', { metadata: { cmd: 'hey -z 1m' } }),
      this.hook('smoke', 'rollout', '/smoke'),
      this.hook('traffic', 'confirm-traffic-increase', '/traffic'),
      this.hook('promotion', 'confirm-promotion', '/promotion'),
      this.hook('rollback', 'rollback', '/rollback'),
      this.hook('notify', 'post-rollout', '/post'),
      this.hook('events', 'event', '/event'),
    ];
  }

  /**
   * Creates the `receiver` AlertProvider (Fledge's generic `webhook` type, posting to
   * {@link ALERTS_PATH}) and returns the Canary `alerts` entry that sends every severity to it.
   */
  async alertsTo(): Promise<NonNullable<Canary['spec']['analysis']['alerts']>> {
    const provider: AlertProvider = {
      apiVersion: 'fledge.dev/v1alpha1',
      kind: 'AlertProvider',
      metadata: { name: 'receiver', namespace: NS },
      spec: { type: 'webhook', address: this.receiver.url(ALERTS_PATH) },
    };
    await this.cluster.create(provider);
    return [{ name: 'all', severity: 'info', providerRef: { name: 'receiver' } }];
  }

  /** Alerts the receiver got, in order. */
  alerts(): WebhookAlertBody[] {
    return this.receiver.bodiesTo(ALERTS_PATH) as WebhookAlertBody[];
  }

  /** Paths the receiver was called on, in order, without the alerts. */
  hookPaths(): string[] {
    return this.receiver.requests.map((r) => r.path).filter((p) => p !== ALERTS_PATH);
  }

  /** Lets the simulated deployment controller catch up and watchers see every change. */
  async settle(): Promise<void> {
    for (let i = 0; i < 3; i++) {
      await this.simulator.flush();
      await new Promise((r) => setImmediate(r));
    }
  }

  async tick(name: string): Promise<TickResult> {
    const result = await this.reconciler.reconcileOnce(NS, name);
    this.onTick?.(NS, name, result);
    await this.settle();
    this.nowMs += 60_000;
    return result;
  }

  async tickUntil(name: string, phases: string[], limit = 30): Promise<void> {
    for (let i = 0; i < limit; i++) {
      const r = await this.tick(name);
      if (r.error) throw r.error;
      if (phases.includes((await this.canary(name)).status?.phase ?? '')) return;
    }
    throw new Error(`${name} never reached ${phases.join('|')}: ${(await this.canary(name)).status?.phase}`);
  }

  async canary(name: string): Promise<Canary> {
    return (await this.cluster.get<Canary>(objectKey(API.canary, NS, name)))!;
  }

  /** The VirtualService `name` as stored, with the spec shape a test expects. */
  async virtualService<Spec>(name: string): Promise<(KubeObject & { spec: Spec }) | undefined> {
    return this.cluster.get<KubeObject & { spec: Spec }>(objectKey(API.virtualService, NS, name));
  }

  async deployment(name: string): Promise<Deployment | undefined> {
    return this.cluster.get<Deployment>(objectKey(API.deployment, NS, name));
  }

  async setImage(name: string, image: string): Promise<void> {
    const d = (await this.deployment(name))!;
    d.spec.template.spec.containers[0]!.image = image;
    await this.cluster.replace(d);
    await this.settle();
  }

  async events(): Promise<KubeEvent[]> {
    return this.cluster.list<KubeEvent>({ ...API.event, namespace: NS });
  }
}
