import { validateDocument } from '../../../src/api/validate.js';
import { EventReasons } from '../../../src/controller/events.js';
import { repairStatus } from '../../../src/controller/status-repair.js';
import { API, objectKey } from '../../../src/kube/resources.js';
import type { Harness } from './harness.js';
import { NS, canaryObject, useHarness } from './harness.js';

const CANARY = objectKey(API.canary, NS, 'podinfo');

let h: Harness;
useHarness((started) => (h = started));

/** An initialised canary whose status someone then overwrites with `status`. */
async function initializedWithStatus(status: Record<string, unknown>): Promise<void> {
  await h.install('podinfo', 'podinfo:1');
  await h.tickUntil('podinfo', ['Initialized']);
  await h.cluster.patchStatus(CANARY, status);
}

describe('a malformed status is repaired, never a reason to stop', () => {
  it('conditions not an array: an invalid spec still gets its condition and its Event', async () => {
    const bad = canaryObject('podinfo', { stepWeights: [10, 40, 30] });
    delete bad.spec.analysis.stepWeight;
    delete bad.spec.analysis.maxWeight;
    await h.cluster.create(bad);
    await h.cluster.patchStatus(CANARY, { conditions: 'broken' });

    const result = await h.tick('podinfo');
    expect(result.error?.message).toContain('spec.analysis.stepWeights[2]');
    const canary = await h.canary('podinfo');
    expect(canary.status?.conditions).toEqual([
      expect.objectContaining({ type: 'Reconciled', status: 'False', reason: EventReasons.InvalidSpec }),
    ]);
    const reasons = (await h.events()).map((e) => e.reason);
    expect(reasons).toEqual(expect.arrayContaining([EventReasons.InvalidSpec, EventReasons.StatusRepaired]));
  });

  it('an entry that is not an object: left out, the canary goes on', async () => {
    await initializedWithStatus({
      conditions: [null, 'x', { type: 'Promoted', status: 'True', reason: 'Initialized' }],
    });
    const result = await h.tick('podinfo');
    expect(result.error).toBeUndefined();
    const canary = await h.canary('podinfo');
    expect(validateDocument(canary)).toEqual([]);
    expect(canary.status?.conditions?.map((c) => c.type).sort()).toEqual(['Promoted', 'Reconciled']);
    const repaired = (await h.events()).filter((e) => e.reason === EventReasons.StatusRepaired);
    expect(repaired).toHaveLength(1);
    expect(repaired[0]?.note).toContain('status.conditions[0]: not a valid entry (got null)');

    await h.setImage('podinfo', 'podinfo:2');
    await h.tickUntil('podinfo', ['Succeeded']);
    expect((await h.events()).filter((e) => e.reason === EventReasons.StatusRepaired)).toHaveLength(1);
  });

  it('a field of the wrong type: removed and rebuilt, instead of an InvalidSpec forever', async () => {
    await initializedWithStatus({ failedChecks: 'many', trackedConfigs: ['x'] });
    const result = await h.tick('podinfo');
    expect(result.error).toBeUndefined();
    const canary = await h.canary('podinfo');
    expect(validateDocument(canary)).toEqual([]);
    expect(canary.status?.phase).toBe('Initialized');
    expect(canary.status?.conditions).toEqual(
      expect.arrayContaining([expect.objectContaining({ type: 'Reconciled', status: 'True' })]),
    );
    await h.setImage('podinfo', 'podinfo:2');
    await h.tickUntil('podinfo', ['Succeeded']);
  });
});

describe('repairStatus', () => {
  it('leaves a valid status as it is', () => {
    const status = { phase: 'Progressing', canaryWeight: 10, conditions: [{ type: 'A', status: 'True' }] };
    expect(repairStatus(status)).toEqual({ status, repairs: [] });
    expect(repairStatus(undefined)).toEqual({ status: {}, repairs: [] });
  });

  it('names each repair by field', () => {
    const { status, repairs } = repairStatus({
      phase: 'Sideways',
      canaryWeight: '10',
      conditions: [{ type: 'A', status: 'True' }, { type: 'B' }],
      checks: 'none',
      unknownField: 1,
    });
    expect(status).toEqual({ conditions: [{ type: 'A', status: 'True' }], unknownField: 1 });
    expect(repairs).toEqual([
      expect.stringMatching(/^status\.phase: .*\(got "Sideways"\); removed$/),
      expect.stringMatching(/^status\.canaryWeight: must be integer \(got "10"\); removed$/),
      'status.conditions[1]: not a valid entry (got {"type":"B"}); left out',
      expect.stringMatching(/^status\.checks: must be array \(got "none"\); removed$/),
    ]);
  });

  it('replaces a status that is not an object', () => {
    expect(repairStatus('broken')).toEqual({
      status: {},
      repairs: ['status: not an object (got "broken"); replaced'],
    });
  });
});
