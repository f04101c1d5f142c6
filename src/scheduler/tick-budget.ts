/**
 * The tick budget: a wrapper around the scheduler's tick handler that bounds one tick.
 *
 * When a tick passes `budgetMs`, every outbound call it has in flight or makes later (metric
 * queries, webhooks, notifiers: everything through `boundedFetch`) is stopped, so slow checks end
 * as failed checks naming what was slow, and the tick goes on to write them to the status. The API
 * server's requests are not stopped (each has its own deadline), since that write is the point.
 * If the tick is still running `graceMs` later, the wrapper gives up waiting: it logs the tick as
 * failed, frees the scheduler slot, and skips that canary's ticks until the stuck one ends, so two
 * ticks of one canary never run at once.
 */
import type { Logger } from 'pino';
import { formatDuration } from '../api/duration.js';
import { withCallBudget, type CallBudget } from '../http/outbound.js';
import { REAL_TIMERS, type Timers } from '../timers.js';
import type { TickHandler } from './scheduler.js';

/** Default budget of one tick. Far above a healthy tick (milliseconds to a few seconds). */
export const DEFAULT_TICK_BUDGET_MS = 60_000;
/** Time a tick gets after its budget to write its status: one API request's deadline. */
export const DEFAULT_TICK_GRACE_MS = 30_000;

/** Log messages of the budget, exported for tests and log searches. */
export const TickBudgetLogs = {
  exceeded: 'tick passed its budget; its outbound calls are stopped',
  abandoned: 'tick still running after its budget and grace; its slot is freed',
  skipped: 'tick skipped: the previous tick of this canary passed its budget and is still running',
} as const;

/** Options of {@link withTickBudget}. */
export interface TickBudgetOptions {
  budgetMs: number;
  /** Default {@link DEFAULT_TICK_GRACE_MS}. */
  graceMs?: number;
  logger: Logger;
  timers?: Timers;
}

/** Wraps `handler` so that each tick is bounded as the module comment says. */
export function withTickBudget(handler: TickHandler, o: TickBudgetOptions): TickHandler {
  const { budgetMs, logger } = o;
  const graceMs = o.graceMs ?? DEFAULT_TICK_GRACE_MS;
  const timers = o.timers ?? REAL_TIMERS;
  if (!(Number.isFinite(budgetMs) && budgetMs > 0))
    throw new RangeError(`tick budget must be positive, got ${budgetMs}`);
  /** Ticks that were given up on and still run, by canary id. */
  const stuck = new Map<string, Promise<void>>();
  return async (id) => {
    if (stuck.has(id)) {
      logger.warn({ canary: id }, TickBudgetLogs.skipped);
      return;
    }
    const controller = new AbortController();
    const budget: CallBudget = { signal: controller.signal, budgetMs, inFlight: new Set() };
    const tick = withCallBudget(budget, () => handler(id)).catch(() => undefined);
    let budgetTimer: unknown;
    let graceTimer: unknown;
    const late = new Promise<'late'>((resolve) => {
      budgetTimer = timers.setTimeout(() => {
        const slow = [...budget.inFlight];
        controller.abort();
        logger.warn(
          { canary: id, budgetMs, inFlight: slow },
          `${TickBudgetLogs.exceeded} (${formatDuration(budgetMs)}): ${slow.length ? slow.join(', ') : 'no outbound call in flight'}`,
        );
        graceTimer = timers.setTimeout(() => resolve('late'), graceMs);
      }, budgetMs);
    });
    try {
      if ((await Promise.race([tick.then(() => 'done' as const), late])) === 'late') {
        logger.error(
          { canary: id, budgetMs, graceMs },
          `${TickBudgetLogs.abandoned} (${formatDuration(budgetMs)} + ${formatDuration(graceMs)}); the canary is not ticked again until it ends`,
        );
        stuck.set(
          id,
          tick.finally(() => stuck.delete(id)),
        );
      }
    } finally {
      timers.clearTimeout(budgetTimer);
      timers.clearTimeout(graceTimer);
    }
  };
}
