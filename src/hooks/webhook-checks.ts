/**
 * The {@link Checks} port over webhooks and metrics: the gates (`confirm-*`, `rollback`), the
 * `pre-rollout` hooks, and the analysis (`rollout` hooks, then the metrics). What an answer means
 * for the rollout is decided by the controller; this file only asks.
 */
import type { Logger } from 'pino';
import { NO_JUDGE_COUNTS, type JudgeCounts } from '../../analysis/judge/run-counts.js';
import type { ResolvedCanary } from '../api/defaults.js';
import type { CheckResult } from '../api/schema/canary.js';
import { LogKeys } from '../controller/events.js';
import type { Checks, GateType } from '../controller/ports.js';
import type { GateAnswer } from '../controller/types.js';
import { subjectOf } from './payload.js';
import { askRollback, runChecks, runGate } from './run-hooks.js';
import type { WebhookCaller, WebhookPayload } from './webhook.js';

/** Options of {@link WebhookChecks}. */
export interface WebhookChecksOptions {
  caller: WebhookCaller;
  /**
   * Runs the canary's metric checks (`runMetricChecks` over the cluster's MetricTemplates and a
   * provider factory, wired in `cli/wiring.ts`); one result per metric, never rejecting.
   */
  runMetrics: (canary: ResolvedCanary) => Promise<CheckResult[]>;
  /** Reads the judge's counts (`observeJudgeCounts`, wired in `cli/wiring.ts`); never rejecting. */
  judgeCounts?: ((canary: ResolvedCanary) => Promise<JudgeCounts>) | undefined;
  logger: Logger;
}

/** Thrown by the constructor for options that cannot work. */
export class WebhookChecksOptionsError extends Error {
  override name = 'WebhookChecksOptionsError';
}

/** Asks a Canary's webhooks and runs its metrics, in Flagger's order. */
export class WebhookChecks implements Checks {
  private readonly caller: WebhookCaller;
  private readonly runMetrics: WebhookChecksOptions['runMetrics'];
  private readonly logger: Logger;
  private readonly readCounts: WebhookChecksOptions['judgeCounts'];

  constructor(options: WebhookChecksOptions) {
    if (typeof options?.caller?.call !== 'function') {
      throw new WebhookChecksOptionsError('WebhookChecks: options.caller must be a WebhookCaller');
    }
    if (typeof options.runMetrics !== 'function') {
      throw new WebhookChecksOptionsError('WebhookChecks: options.runMetrics must be a function');
    }
    this.caller = options.caller;
    this.runMetrics = options.runMetrics;
    this.readCounts = options.judgeCounts;
    this.logger = options.logger;
  }

  /**
   * Asks the hooks of one gate type in order. A closed `confirm-*` gate names the hook that
   * refused and whether it has `muteAlert`; a `rollback` answer is open when a hook asked for it.
   */
  async gate(canary: ResolvedCanary, type: GateType, payload: WebhookPayload): Promise<GateAnswer> {
    const run = { caller: this.caller, subject: subjectOf(canary, payload) };
    const hooks = canary.analysis.webhooks;
    if (type === 'rollback') {
      const answer = await askRollback(hooks, run);
      // A refusal is the usual "no rollback" answer; only a hook that could not be reached is news.
      for (const r of answer.reports) {
        if (r.outcome.statusCode !== undefined) continue;
        this.logger.warn(
          { [LogKeys.canary]: `${canary.namespace}/${canary.name}`, hook: r.hook, type: r.type },
          `rollback webhook could not be asked: ${r.outcome.message}`,
        );
      }
      return { open: answer.rollback, message: answer.message };
    }
    const result = await runGate(hooks, type, run);
    if (!result.refusedBy) return { open: result.open, message: result.message };
    const by = result.refusedBy;
    return { open: false, message: result.message, refusedBy: by.name, muted: by.muteAlert === true };
  }

  /** Runs the `pre-rollout` hooks in order, up to the first failure. */
  preRollout(canary: ResolvedCanary, payload: WebhookPayload): Promise<CheckResult[]> {
    return runChecks(canary.analysis.webhooks, 'pre-rollout', {
      caller: this.caller,
      subject: subjectOf(canary, payload),
    });
  }

  /**
   * The `rollout` hooks in order, then the metrics, as Flagger orders them. A failed hook fails
   * the tick's analysis already, so the metrics are not queried.
   */
  async analysis(canary: ResolvedCanary, payload: WebhookPayload): Promise<CheckResult[]> {
    const hooks = await runChecks(canary.analysis.webhooks, 'rollout', {
      caller: this.caller,
      subject: subjectOf(canary, payload),
    });
    if (hooks.some((h) => !h.passed)) return hooks;
    return [...hooks, ...(await this.runMetrics(canary))];
  }

  /** The judge's counts of the last interval; an error message when none can be read. */
  async judgeCounts(canary: ResolvedCanary): Promise<JudgeCounts> {
    if (!this.readCounts) return NO_JUDGE_COUNTS;
    return this.readCounts(canary);
  }
}
