/**
 * The controller on the in-memory cluster with its real parts (reconciler, workloads, Istio router,
 * event recorder) and fakes only at the port boundary: checks (webhooks and metrics) answered by
 * the test, notifications recorded. Ticks are driven one at a time with a fake clock.
 */
import { pino } from 'pino';
import type { Canary, CheckResult } from '../../../src/api/schema/canary.js';
import { eventsFor, KubeEventRecorder, type EventMode } from '../../../src/controller/event-recorder.js';
import type { Checks, GateType, Notifications } from '../../../src/controller/ports.js';
import { Reconciler, type TickResult } from '../../../src/controller/reconciler.js';
import type { AlertEffect, GateAnswer } from '../../../src/controller/types.js';
import { DeploymentSimulator } from '../../../src/kube/memory/deployment-simulator.js';
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

/** Checks answered by the test: by default every check passes and every gate is open. */
export class ScriptedChecks implements Checks, Notifications {
  metricValue = 99.9;
  gates: Partial<Record<GateType, GateAnswer>> = {};
  readonly calls: string[] = [];
  readonly alerts: AlertEffect[] = [];
  readonly postRollouts: string[] = [];

  async gate(_c: unknown, type: GateType): Promise<GateAnswer> {
    this.calls.push(type);
    return this.gates[type] ?? { open: type !== 'rollback', message: 'scripted' };
  }

  async preRollout(): Promise<CheckResult[]> {
    this.calls.push('pre-rollout');
    return [];
  }

  async analysis(): Promise<CheckResult[]> {
    this.calls.push('analysis');
    const value = this.metricValue;
    return [
      {
        name: 'request-success-rate',
        kind: 'metric',
        passed: value >= 99,
        value,
        min: 99,
        query: 'sum(rate(istio_requests_total[1m]))',
        message: value >= 99 ? `${value} is within range` : `${value} is below the minimum 99`,
      },
    ];
  }

  async event(): Promise<void> {}

  async alert(_c: unknown, alert: AlertEffect): Promise<void> {
    this.alerts.push(alert);
  }

  async postRollout(_c: unknown, payload: { phase: string }): Promise<void> {
    this.postRollouts.push(payload.phase);
  }
}

export class Harness {
  nowMs = Date.parse('2026-03-01T12:00:00Z');
  readonly cluster = new MemoryCluster({ now: () => new Date(this.nowMs) });
  readonly simulator = new DeploymentSimulator({ cluster: this.cluster, now: () => new Date(this.nowMs) });
  readonly checks = new ScriptedChecks();
  /** Every weight pair a VirtualService was written with, per name. */
  readonly weights = new Map<string, string[]>();
  readonly reconciler: Reconciler;

  constructor(options: { events?: EventMode; noCrossNamespaceRefs?: boolean } = {}) {
    const now = () => new Date(this.nowMs);
    this.reconciler = new Reconciler({
      cluster: this.cluster,
      workloads: new DeploymentController({ cluster: this.cluster, now }),
      routerFor: (provider) => createRouter(provider, { cluster: this.cluster }),
      checks: this.checks,
      notifications: this.checks,
      events: eventsFor(
        options.events ?? 'all',
        new KubeEventRecorder({ cluster: this.cluster, now, instance: 'test' }),
      ),
      now,
      logger: pino({ level: 'silent' }),
      resolve: {
        defaultProvider: 'istio',
        defaultMetricsServer: 'http://prometheus:9090',
        noCrossNamespaceRefs: options.noCrossNamespaceRefs ?? false,
      },
    });
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

  async install(
    name: string,
    image: string,
    analysis: Partial<Canary['spec']['analysis']> = {},
  ): Promise<void> {
    await this.cluster.create(deploymentObject(name, image));
    await this.cluster.create(canaryObject(name, analysis));
    await this.settle();
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
