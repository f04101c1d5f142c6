/** The alert a halting confirm-* gate sends, as Flagger sends it, and `muteAlert`. Pure. */
import type { AlertEffect, GateAnswer } from './types.js';

/**
 * Flagger's alert for a confirm-* gate that halts the rollout: severity warn, naming the webhook
 * that refused; none when that webhook has `muteAlert`. `decide` calls it where Flagger alerts:
 * confirm-rollout and confirm-promotion on entering Waiting/WaitingPromotion, confirm-traffic-
 * increase on every tick it holds the step.
 * @param ref the Canary as `namespace/name`
 * @param what what is halted: `advancement`, `traffic increase` or `promotion`
 */
export function gateAlerts(ref: string, gate: GateAnswer, what: string): AlertEffect[] {
  if (gate.muted) return [];
  const by = gate.refusedBy ? ` by webhook "${gate.refusedBy}"` : '';
  return [{ severity: 'warn', message: `Halt ${ref} ${what}: waiting for approval${by}` }];
}
