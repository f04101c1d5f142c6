/**
 * The per-canary series, with Flagger's names (under `fledge_` instead of `flagger_`), types and
 * label sets, so that Flagger's dashboards and alerts carry over by renaming the prefix. They are
 * labelled, as Flagger's, with the target Deployment's name (`name`, `workload`), not the Canary's.
 * Fledge adds the phase by name and each check's range, which Flagger's series do not carry.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { Phase } from '../api/schema/canary.js';
import type { TickReport } from '../controller/tick-result.js';

/** Flagger's `analysis_status` label of the success and failure counters. */
export type AnalysisStatus = 'completed' | 'skipped';

/** Phases of a rollout in progress: `canary_status` is 0 through them, as Flagger's stays. */
const RUNNING: ReadonlySet<Phase> = new Set([
  'Waiting',
  'Progressing',
  'WaitingPromotion',
  'Promoting',
  'Finalising',
]);

/**
 * Flagger's encoding of the phase in `canary_status`: 0 while a rollout runs, 2 failed, 1 for
 * everything else (initialised, succeeded). Flagger sets 0 when an analysis starts and keeps it
 * until the rollout ends, which is what mapping every running phase to 0 reproduces.
 */
export function statusCode(phase: Phase | undefined): number {
  if (phase === 'Failed') return 2;
  if (phase !== undefined && RUNNING.has(phase)) return 0;
  return 1;
}

/** Flagger's default histogram buckets (those of its Go client), in seconds. */
const DEFAULT_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Flagger's labels of the success and failure counters. */
const OUTCOME_LABELS = ['name', 'namespace', 'deployment_strategy', 'analysis_status'] as const;
type OutcomeLabel = (typeof OUTCOME_LABELS)[number];

/** The label values one canary has written, so that its deletion removes every series of it. */
interface Written {
  target: string;
  phase?: Phase | undefined;
  metrics: Set<string>;
  outcomes: Map<string, { deployment_strategy: string; analysis_status: AnalysisStatus }>;
}

/** The per-canary series on one registry. */
export class CanaryMetrics {
  private readonly status: Gauge<'name' | 'namespace'>;
  private readonly phase: Gauge<'name' | 'namespace' | 'phase'>;
  private readonly weight: Gauge<'workload' | 'namespace'>;
  private readonly duration: Histogram<'name' | 'namespace'>;
  private readonly analysis: Gauge<'name' | 'namespace' | 'metric'>;
  private readonly threshold: Gauge<'name' | 'namespace' | 'metric' | 'bound'>;
  private readonly successes: Counter<OutcomeLabel>;
  private readonly failures: Counter<OutcomeLabel>;
  /** By Canary (`namespace/name`). */
  private readonly written = new Map<string, Written>();

  constructor(registry: Registry) {
    const registers = [registry];
    const gauge = <L extends string>(name: string, help: string, labelNames: readonly L[]): Gauge<L> =>
      new Gauge({ name, help, labelNames, registers });
    const outcomes = (name: string, help: string): Counter<OutcomeLabel> =>
      new Counter({ name, help, labelNames: OUTCOME_LABELS, registers });
    this.status = gauge(
      'fledge_canary_status',
      'Last canary analysis result: 0 running, 1 successful (or initialised), 2 failed.',
      ['name', 'namespace'],
    );
    this.phase = gauge(
      'fledge_canary_phase',
      'The phase of the canary by name: 1 for the current phase (Fledge addition).',
      ['name', 'namespace', 'phase'],
    );
    this.weight = gauge(
      'fledge_canary_weight',
      'Traffic percentage of each destination: workload <target>-primary and <target>.',
      ['workload', 'namespace'],
    );
    this.duration = new Histogram({
      name: 'fledge_canary_duration_seconds',
      help: 'Seconds spent by the ticks that ran the canary analysis.',
      labelNames: ['name', 'namespace'] as const,
      buckets: DEFAULT_BUCKETS,
      registers,
    });
    this.analysis = gauge(
      'fledge_canary_metric_analysis',
      'Last value of each metric check of the canary analysis.',
      ['name', 'namespace', 'metric'],
    );
    this.threshold = gauge(
      'fledge_canary_metric_threshold',
      'Bounds of each metric check (bound="min" or "max"), from thresholdRange (Fledge addition).',
      ['name', 'namespace', 'metric', 'bound'],
    );
    this.successes = outcomes(
      'fledge_canary_successes_total',
      'Rollouts that ended promoted (phase Succeeded).',
    );
    this.failures = outcomes(
      'fledge_canary_failures_total',
      'Rollouts that ended rolled back or failed (phase Failed).',
    );
  }

  /** Records what a tick of `namespace/name` committed. */
  record(namespace: string, name: string, report: TickReport, durationMs: number): void {
    const id = `${namespace}/${name}`;
    let written = this.written.get(id);
    // The target was renamed: the old target's series would otherwise stay frozen forever.
    if (written && written.target !== report.target) {
      this.forget(namespace, name);
      written = undefined;
    }
    if (!written) {
      written = { target: report.target, metrics: new Set(), outcomes: new Map() };
      this.written.set(id, written);
    }
    const target = report.target;
    this.setPhase(namespace, written, report.phase);
    this.weight.set({ workload: `${target}-primary`, namespace }, report.routes.primary);
    this.weight.set({ workload: target, namespace }, report.routes.canary);
    if (report.checks) {
      this.duration.observe({ name: target, namespace }, durationMs / 1000);
      for (const check of report.checks) {
        if (check.kind !== 'metric' || check.value === undefined) continue;
        const labels = { name: target, namespace, metric: check.name };
        written.metrics.add(check.name);
        this.analysis.set(labels, check.value);
        for (const bound of ['min', 'max'] as const) {
          const value = check[bound];
          if (value === undefined) this.threshold.remove({ ...labels, bound });
          else this.threshold.set({ ...labels, bound }, value);
        }
      }
    }
    if (report.phase !== report.phaseBefore) {
      const counter =
        report.phase === 'Succeeded' ? this.successes : report.phase === 'Failed' ? this.failures : undefined;
      if (counter) {
        const outcome = {
          deployment_strategy: report.strategy,
          analysis_status: (report.skipAnalysis ? 'skipped' : 'completed') as AnalysisStatus,
        };
        written.outcomes.set(`${outcome.deployment_strategy}/${outcome.analysis_status}`, outcome);
        counter.inc({ name: target, namespace, ...outcome });
      }
    }
  }

  /**
   * A tick that decided nothing (invalid spec, missing target) still reports the phase the status
   * holds: the status series follow it once the canary has written them.
   */
  recordPhase(namespace: string, name: string, phase: Phase | undefined): void {
    const written = this.written.get(`${namespace}/${name}`);
    if (written && phase !== undefined) this.setPhase(namespace, written, phase);
  }

  /** Removes every series of the deleted Canary `namespace/name`. */
  forget(namespace: string, name: string): void {
    const id = `${namespace}/${name}`;
    const written = this.written.get(id);
    if (!written) return;
    this.written.delete(id);
    const labels = { name: written.target, namespace };
    this.status.remove(labels);
    if (written.phase !== undefined) this.phase.remove({ ...labels, phase: written.phase });
    this.weight.remove({ workload: `${written.target}-primary`, namespace });
    this.weight.remove({ workload: written.target, namespace });
    this.duration.remove(labels);
    for (const metric of written.metrics) {
      this.analysis.remove({ ...labels, metric });
      for (const bound of ['min', 'max']) this.threshold.remove({ ...labels, metric, bound });
    }
    for (const outcome of written.outcomes.values()) {
      this.successes.remove({ ...labels, ...outcome });
      this.failures.remove({ ...labels, ...outcome });
    }
  }

  private setPhase(namespace: string, written: Written, phase: Phase | undefined): void {
    const labels = { name: written.target, namespace };
    this.status.set(labels, statusCode(phase));
    if (written.phase === phase) return;
    if (written.phase !== undefined) this.phase.remove({ ...labels, phase: written.phase });
    if (phase !== undefined) this.phase.set({ ...labels, phase }, 1);
    written.phase = phase;
  }
}
