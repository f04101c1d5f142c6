/**
 * One e2e scenario's world in its own namespace: the app's Deployment (and ConfigMap), a traffic
 * harness playing the data plane of the scenario's router provider (Istio by default), a real
 * Prometheus scraping it, and a record of every split the provider's routing object (see
 * `provider-routes.ts`) reached the API server with.
 */
import type { Canary } from '../../../src/api/schema/canary.js';
import type { Cluster, KubeObject } from '../../../src/kube/cluster.js';
import {
  API,
  objectKey,
  type ConfigMap,
  type Deployment,
  type KubeEvent,
} from '../../../src/kube/resources.js';
import { startPrometheus, type PrometheusInstance } from '../../support/prometheus.js';
import { oneReplicaDeployment } from '../../support/deployments.js';
import { createNamespace, deleteNamespaceBestEffort } from '../../support/namespaces.js';
import { startTrafficHarness, type TrafficHarness } from '../harness/traffic-harness.js';
import {
  APP,
  harnessRouting,
  providerRoutes,
  providerSpec,
  userRoutingObjects,
  type ScenarioProvider,
} from './provider-routes.js';

export { APP, type ScenarioProvider } from './provider-routes.js';

export interface ScenarioOptions {
  namespace: string;
  /** The router provider the harness plays and whose object is recorded (default `istio`). */
  provider?: ScenarioProvider;
  canary: (namespace: string, metricsServer: string) => Canary;
  /** Reference a ConfigMap `podinfo-config` through envFrom. */
  withConfigMap?: boolean;
  headerMix?: { name?: string; headers: Record<string, string>; share: number }[];
  /**
   * Start the harness's load tester and call it from the Canary (see {@link withLoadTest}): the
   * canary's only traffic when users never reach it (`provider: kubernetes`).
   */
  loadTest?: boolean;
  /**
   * Istio sidecar injection as a mesh would leave it: the namespace labelled
   * `istio-injection=enabled` and an `istio-proxy` container in the pod template (second, so the
   * app stays `containers[0]`), for `fledge doctor` to find the pods in the mesh.
   */
  sidecar?: boolean;
  /** Users' requests per second (default 40); the judge's scenario needs more. */
  requestsPerSecond?: number;
}

export class Scenario {
  /** Every distinct split the routing object was written with, in order (`primary/canary`). */
  readonly weights: string[] = [];
  harness!: TrafficHarness;
  prometheus!: PrometheusInstance;
  private unwatch: (() => void) | undefined;
  private namespaceCreated = false;

  constructor(
    readonly kube: Cluster,
    readonly o: ScenarioOptions,
  ) {}

  get namespace(): string {
    return this.o.namespace;
  }

  get provider(): ScenarioProvider {
    return this.o.provider ?? 'istio';
  }

  /** Creates the scenario's namespace (once: later calls do nothing). */
  async createNamespace(): Promise<void> {
    if (this.namespaceCreated) return;
    await createNamespace(
      this.kube,
      this.namespace,
      this.o.sidecar ? { 'istio-injection': 'enabled' } : undefined,
    );
    this.namespaceCreated = true;
  }

  async start(image = 'podinfo:1'): Promise<void> {
    await this.createNamespace();
    const routes = providerRoutes(this.provider);
    this.unwatch = this.kube.watch<KubeObject & { spec?: unknown }>(
      { ...routes.kind, namespace: this.namespace },
      (e) => {
        if (e.object.metadata.name !== routes.name || e.type === 'DELETED') return;
        const split = routes.split(e.object);
        if (this.weights.at(-1) !== split) this.weights.push(split);
      },
    );
    for (const o of userRoutingObjects(this.provider, this.namespace)) await this.kube.create(o);
    if (this.o.withConfigMap) {
      await this.kube.create<ConfigMap>({
        ...API.configMap,
        metadata: { name: 'podinfo-config', namespace: this.namespace },
        data: { GREETING: 'hello' },
      });
    }
    await this.kube.create(
      deployment(this.namespace, image, this.o.withConfigMap ?? false, this.o.sidecar ?? false),
    );
    this.harness = await startTrafficHarness({
      cluster: this.kube,
      namespace: this.namespace,
      apex: APP,
      ...harnessRouting(this.provider),
      requestsPerSecond: this.o.requestsPerSecond ?? 40,
      ...(this.o.headerMix ? { headerMix: this.o.headerMix } : {}),
      ...(this.o.loadTest ? { loadTester: {} } : {}),
    });
    this.prometheus = await startPrometheus({ target: new URL(this.harness.metricsUrl).host, minScrapes: 1 });
    const canary = this.o.canary(this.namespace, this.prometheus.address);
    const loadTester = this.harness.loadTester;
    await this.kube.create(loadTester ? withLoadTest(canary, loadTester.url) : canary);
  }

  async stop(): Promise<void> {
    this.unwatch?.();
    await Promise.allSettled([this.harness?.stop(), this.prometheus?.stop()]);
    await deleteNamespaceBestEffort(this.kube, this.namespace);
  }

  /** Starts the scenario, waits for the Canary's initialization, sets `image`, waits for the end. */
  async rollOut(image: string): Promise<Canary> {
    await this.start();
    await this.waitForPhase(['Initialized']);
    await this.setImage(image);
    return this.waitForPhase(['Succeeded', 'Failed']);
  }

  async canary(name = APP): Promise<Canary | undefined> {
    return this.kube.get<Canary>(objectKey(API.canary, this.namespace, name));
  }

  /**
   * Polls the Canary until its phase is one of `phases`. A tick writes its status first, then moves
   * traffic, then scales the canary down (see the reconciler's `act`): so on Succeeded or Failed
   * this also waits (10 s at most for each) for the routing object's watch to show the split back
   * at 100/0 and for the target Deployment to be scaled to zero.
   */
  async waitForPhase(phases: string[], timeoutMs = 90_000, name = APP): Promise<Canary> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const c = await this.canary(name);
      const phase = c?.status?.phase ?? '';
      if (c && phases.includes(phase)) {
        if ((phase === 'Succeeded' || phase === 'Failed') && name === APP)
          await this.waitForTickApplied(phase);
        return c;
      }
      if (Date.now() > deadline) {
        throw new Error(
          `${this.namespace}/${name} did not reach ${phases.join('|')}: ${JSON.stringify(c?.status)}`,
        );
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  /** The rest of a tick that wrote Succeeded or Failed: the route back at 100/0, the target at zero. */
  private async waitForTickApplied(phase: string): Promise<void> {
    await this.waitFor(
      `the ${providerRoutes(this.provider).kind.kind} back at 100/0 after ${phase}`,
      async () => (this.weights.at(-1) === '100/0' ? true : undefined),
      10_000,
    );
    await this.waitFor(
      `${APP} scaled to zero after ${phase}`,
      async () => ((await this.deployment(APP))?.spec.replicas === 0 ? true : undefined),
      10_000,
    );
  }

  async waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await probe();
      if (value !== undefined) return value;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} in ${this.namespace}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  async deployment(name: string): Promise<Deployment | undefined> {
    return this.kube.get<Deployment>(objectKey(API.deployment, this.namespace, name));
  }

  async setImage(image: string): Promise<void> {
    const d = (await this.deployment(APP))!;
    await this.kube.patch(objectKey(API.deployment, this.namespace, APP), {
      // The whole list: a merge patch replaces it, and a sidecar must stay.
      spec: {
        template: {
          spec: {
            containers: d.spec.template.spec.containers.map((c, i) => (i === 0 ? { ...c, image } : c)),
          },
        },
      },
    });
  }

  async events(): Promise<KubeEvent[]> {
    return this.kube.list<KubeEvent>({ ...API.event, namespace: this.namespace });
  }

  /**
   * The namespace's Events once one matches: Events are recorded after the status write that the
   * test usually waits for, so reading them at once would race the controller.
   */
  async eventsOnce(match: (e: KubeEvent) => boolean, timeoutMs = 15_000): Promise<KubeEvent[]> {
    return this.waitFor(
      'a matching Event',
      async () => {
        const all = await this.events();
        return all.some(match) ? all : undefined;
      },
      timeoutMs,
    );
  }
}

function deployment(namespace: string, image: string, withConfigMap: boolean, sidecar: boolean): Deployment {
  const containers = [
    {
      name: APP,
      image,
      ...(withConfigMap ? { envFrom: [{ configMapRef: { name: 'podinfo-config' } }] } : {}),
    },
    ...(sidecar ? [{ name: 'istio-proxy', image: 'istio/proxyv2:1.22.0' }] : []),
  ];
  return oneReplicaDeployment(namespace, APP, containers, { labelled: true });
}

/**
 * `canary` with Flagger's load test webhooks in front of its own, both to `url`: a `pre-rollout` one,
 * so that the load starts at the start of the analysis and the first tick's metric window (one
 * interval later) holds the canary's answers, and the usual `rollout` one, called on every tick, with
 * the command Flagger's blue/green tutorial sends its load tester.
 */
export function withLoadTest(canary: Canary, url: string): Canary {
  const target = `http://${APP}-canary.${canary.metadata.namespace}:9898/`;
  const analysis = canary.spec.analysis;
  return {
    ...canary,
    spec: {
      ...canary.spec,
      analysis: {
        ...analysis,
        webhooks: [
          {
            name: 'load-test-start',
            type: 'pre-rollout',
            url,
            metadata: { cmd: `hey -z 1m -q 10 -c 2 ${target}` },
          },
          { name: 'load-test', type: 'rollout', url, metadata: { cmd: `hey -z 1m -q 10 -c 2 ${target}` } },
          ...(analysis.webhooks ?? []),
        ],
      },
    },
  };
}

/**
 * Two steps (10, 20) to the promotion gate, held by the built-in approval that only `fledge
 * promote` (or its annotation) opens: the split stays at 80/20 meanwhile.
 */
export const APPROVAL_GATED: Partial<Canary['spec']['analysis']> = {
  stepWeight: 10,
  maxWeight: 20,
  webhooks: [{ name: 'approve', type: 'confirm-promotion', fledgeApproval: true }],
};

/**
 * A canary that steps 10 -> 50 every 2 s on the builtin Istio metrics. Their 10 s window is longer
 * than the 2 s between ticks, so the first tick at a weight sees a window that mostly predates the
 * canary's traffic and may find no value at all (how soon the first two scrapes of the canary's
 * series land is timing); with Fledge's default `noDataPolicy: fail`, two such ticks roll a healthy
 * canary back. `pass` makes the outcome depend only on the values found: a healthy version's checks
 * pass whenever there is a value. Scenarios that inject faults pass metrics of their own.
 * `provider` sets `spec.provider` and the fields that provider requires (`provider-routes.ts`).
 */
export function canaryManifest(
  namespace: string,
  metricsServer: string,
  analysis: Partial<Canary['spec']['analysis']> = {},
  provider: ScenarioProvider = 'istio',
): Canary {
  return {
    apiVersion: 'fledge.dev/v1alpha1',
    kind: 'Canary',
    metadata: { name: APP, namespace },
    spec: {
      provider,
      metricsServer,
      targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: APP },
      progressDeadlineSeconds: 60,
      service: { port: 9898 },
      ...providerSpec(provider),
      analysis: {
        interval: '2s',
        threshold: 2,
        stepWeight: 10,
        maxWeight: 50,
        metrics: [
          {
            name: 'request-success-rate',
            interval: '10s',
            thresholdRange: { min: 99 },
            noDataPolicy: 'pass',
          },
          { name: 'request-duration', interval: '10s', thresholdRange: { max: 500 }, noDataPolicy: 'pass' },
        ],
        ...analysis,
      },
    },
  };
}
