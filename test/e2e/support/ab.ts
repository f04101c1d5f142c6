/**
 * The A/B rollout the e2e files share: users sending `user-type: premium` (30 % of the traffic) are
 * the only ones the canary may answer, until promotion, whatever the provider's routing object.
 */
import type { Canary } from '../../../src/api/schema/canary.js';
import { APP } from './provider-routes.js';
import type { Scenario, ScenarioOptions } from './scenario.js';

/** The analysis of an A/B rollout: `iterations` ticks matching premium users, no weights. */
export function abAnalysis(iterations: number): Partial<Canary['spec']['analysis']> {
  return {
    stepWeight: undefined,
    maxWeight: undefined,
    iterations,
    match: [{ headers: { 'user-type': { exact: 'premium' } } }],
  };
}

/** The harness's premium users. */
export const PREMIUM_USERS: NonNullable<ScenarioOptions['headerMix']> = [
  { name: 'premium', headers: { 'user-type': 'premium' }, share: 0.3 },
];

/** Rolls `podinfo:2` out and checks that it succeeded with only premium users on the canary. */
export async function expectPremiumOnlyRollout(s: Scenario): Promise<void> {
  const c = await s.rollOut('podinfo:2');
  expect(c.status?.phase).toBe('Succeeded');
  // The matched route goes to the canary for the analysis, and back to the primary at the end.
  expect(s.weights).toEqual(['100/0', '0/100', '100/0']);
  expect(s.harness.mesh.count('premium', APP)).toBeGreaterThan(0);
  expect(s.harness.mesh.count('other', APP)).toBe(0);
  expect(s.harness.mesh.count('other', `${APP}-primary`)).toBeGreaterThan(0);
}
