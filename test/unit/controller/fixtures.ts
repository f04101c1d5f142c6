import { resolveCanary, type ResolvedCanary } from '../../../src/api/defaults.js';
import type { Canary, CanaryStatus, CheckResult } from '../../../src/api/schema/canary.js';
import { decide } from '../../../src/controller/decide.js';
import { planObservations } from '../../../src/controller/plan.js';
import type { OperatorRequest } from '../../../src/controller/request-annotations.js';
import type { DecideInput, Decision, GateAnswers } from '../../../src/controller/types.js';
import { routesFor } from '../../../src/controller/weights.js';
import type { WorkloadObservation } from '../../../src/workloads/workload.js';

type AnalysisPatch = Partial<Canary['spec']['analysis']>;

/** A Canary with a 10-step canary strategy unless `analysis` says otherwise. */
export function makeCanary(analysis: AnalysisPatch = {}, spec: Partial<Canary['spec']> = {}): ResolvedCanary {
  const object: Canary = {
    apiVersion: 'fledge.dev/v1alpha1',
    kind: 'Canary',
    metadata: { name: 'podinfo', namespace: 'test', uid: 'uid-1' },
    spec: {
      targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'podinfo' },
      service: { port: 9898 },
      analysis: { interval: '1m', threshold: 2, stepWeight: 10, maxWeight: 30, ...analysis },
      ...spec,
    },
  };
  if (analysis.stepWeights || analysis.iterations) delete object.spec.analysis.stepWeight;
  if (analysis.stepWeights || analysis.iterations) delete object.spec.analysis.maxWeight;
  return resolveCanary(object, { defaultProvider: 'istio' });
}

export const ready = { ready: true, retriable: true, message: 'ready' };
export const notReady = {
  ready: false,
  retriable: true,
  message: 'waiting for rollout: 0 of 1 updated replicas are available',
};

export function makeWorkload(patch: Partial<WorkloadObservation> = {}): WorkloadObservation {
  return {
    revision: 'rev-1',
    primaryRevision: 'rev-1',
    trackedConfigs: {},
    canaryReplicas: 1,
    primary: ready,
    canary: ready,
    primaryLabels: { app: 'podinfo-primary' },
    canaryLabels: { app: 'podinfo' },
    ...patch,
  };
}

export const passed = (name = 'request-success-rate'): CheckResult => ({
  name,
  kind: 'metric',
  passed: true,
  value: 99.5,
  min: 99,
  query: 'q',
  message: 'ok',
});

export const failed = (name = 'request-success-rate'): CheckResult => ({
  name,
  kind: 'metric',
  passed: false,
  value: 95,
  min: 99,
  query: 'sum(rate(x[1m]))',
  message: 'value 95 is below the minimum 99',
});

/**
 * A test world: the persisted status, the mesh's routes (kept at what the status implies unless a
 * test changes them) and a fake clock. `tick` runs planObservations + decide the way the reconciler does.
 */
export class World {
  status: CanaryStatus = {};
  nowMs = Date.parse('2026-01-01T00:00:00Z');
  routesOverride: ReturnType<typeof routesFor> | undefined;
  lastPlan: ReturnType<typeof planObservations> | undefined;

  constructor(
    public canary: ResolvedCanary,
    public workload: WorkloadObservation = makeWorkload(),
  ) {}

  tick(answers: { gates?: GateAnswers; checks?: CheckResult[]; request?: OperatorRequest } = {}): Decision {
    const plan = planObservations({ canary: this.canary, status: this.status, workload: this.workload });
    this.lastPlan = plan;
    const gates: GateAnswers = {};
    for (const [k, v] of Object.entries(answers.gates ?? {})) {
      const asked =
        (k === 'confirmRollout' && plan.confirmRollout) ||
        (k === 'rollback' && plan.rollback) ||
        (k === 'confirmTrafficIncrease' && plan.confirmTrafficIncrease) ||
        (k === 'confirmPromotion' && plan.confirmPromotion);
      if (asked) gates[k as keyof GateAnswers] = v;
    }
    const checks = plan.checks ? (answers.checks ?? [passed()]) : undefined;
    const input: DecideInput = {
      canary: this.canary,
      status: this.status,
      now: new Date(this.nowMs),
      workload: this.workload,
      routes: this.routesOverride ?? routesFor(this.canary, this.status),
      gates,
      ...(checks ? { checks } : {}),
      ...(answers.request ? { request: answers.request } : {}),
    };
    const decision = decide(input);
    this.status = decision.status;
    this.routesOverride = undefined;
    this.nowMs += this.canary.analysis.intervalMs;
    return decision;
  }

  /** Ticks until the phase is one of `phases` (at most `limit` ticks); returns the weights seen. */
  runUntil(phases: string[], answers: Parameters<World['tick']>[0] = {}, limit = 50): number[] {
    const weights: number[] = [];
    for (let i = 0; i < limit; i++) {
      this.tick(answers);
      weights.push(this.status.canaryWeight ?? 0);
      if (phases.includes(this.status.phase ?? '')) return weights;
    }
    throw new Error(`phase ${this.status.phase} after ${limit} ticks, wanted ${phases.join('|')}`);
  }

  /** Initializes, then delivers a new revision. */
  initializedWithNewRevision(revision = 'rev-2'): this {
    this.tick();
    this.workload = { ...this.workload, revision };
    return this;
  }

  /** The primary rolls out whatever revision is under analysis (as promote would). */
  primaryRollsOut(): void {
    this.workload = { ...this.workload, primaryRevision: this.status.lastAppliedSpec };
  }
}
