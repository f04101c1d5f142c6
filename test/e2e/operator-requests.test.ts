/**
 * End-to-end: `fledge promote`, `abort` and `retry` run as an operator runs them (the built CLI,
 * its own process) against the local control plane, with `fledge controller` carrying the requests
 * out. The canary is held by the built-in approval gate, which only `fledge promote` opens.
 */
import { controllerSuite, phaseTimer } from './support/controller-suite.js';
import { fledgeCli } from './support/fledge-cli.js';
import { APP, APPROVAL_GATED, canaryManifest } from './support/scenario.js';

const suite = controllerSuite('fledge-e2e-requests');
const scenario = suite.scenario.bind(suite);

const fledge = fledgeCli(suite);

suite.test(
  'the built-in approval gate holds the promotion until fledge promote opens it',
  async () => {
    const done = phaseTimer('approval');
    const s = scenario('approve', { canary: (ns, prom) => canaryManifest(ns, prom, APPROVAL_GATED) });
    await s.start();
    await s.waitForPhase(['Initialized']);
    await s.setImage('podinfo:2');
    const waiting = await s.waitForPhase(['WaitingPromotion']);
    expect(waiting.status?.gate).toEqual({
      type: 'confirm-promotion',
      revision: waiting.status?.lastAppliedSpec,
    });
    // Several intervals (2 s) later it still waits: nothing but a request opens the gate.
    await new Promise((r) => setTimeout(r, 8_000));
    expect((await s.canary())?.status?.phase).toBe('WaitingPromotion');

    const promote = await fledge(['promote', APP], s.namespace);
    expect(promote.stderr).toBe('');
    expect(promote.code).toBe(0);
    expect(promote.stdout).toMatch(/^promote of canary e2e-approve-\w+\/podinfo requested for revision \w+/);
    const c = await s.waitForPhase(['Succeeded', 'Failed']);
    expect(c.status?.phase).toBe('Succeeded');
    expect(c.status?.lastRequest).toMatchObject({
      action: 'promote',
      result: 'Applied',
      gate: 'confirm-promotion',
    });
    expect(
      Object.keys(c.metadata.annotations ?? {}).filter((k) => k.startsWith('fledge.dev/request')),
    ).toEqual([]);
    expect((await s.deployment(`${APP}-primary`))?.spec.template.spec.containers[0]?.image).toBe('podinfo:2');
    const events = await s.eventsOnce((e) => e.reason === 'RequestApplied');
    expect(events.map((e) => e.reason)).toEqual(expect.arrayContaining(['Requested', 'RequestApplied']));

    // Succeeded: no gate to open, and the CLI says so.
    const again = await fledge(['promote', APP], s.namespace);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(
      /^fledge promote: canary e2e-approve-\w+\/podinfo waits at no gate \(phase Succeeded\)/,
    );
    done();
  },
  240_000,
);

suite.test(
  'fledge abort rolls back mid-rollout; fledge retry analyses the revision again',
  async () => {
    const done = phaseTimer('abort and retry');
    const s = scenario('abort', { canary: (ns, prom) => canaryManifest(ns, prom, APPROVAL_GATED) });
    await s.start();
    await s.waitForPhase(['Initialized']);
    const retryRefused = await fledge(['retry', APP], s.namespace);
    expect(retryRefused.code).toBe(1);
    expect(retryRefused.stderr).toMatch(/is Initialized, not Failed after an analysis: nothing to retry/);

    await s.setImage('podinfo:2');
    await s.waitForPhase(['WaitingPromotion']); // 20% of the traffic on the canary
    const abort = await fledge(['abort', APP], s.namespace);
    expect(abort.code).toBe(0);
    const failed = await s.waitForPhase(['Failed']);
    expect(failed.status).toMatchObject({
      canaryWeight: 0,
      lastRequest: { action: 'abort', result: 'Applied' },
    });
    await s.waitFor('all traffic back on the primary', async () =>
      s.weights.at(-1) === '100/0' ? true : undefined,
    );
    expect(s.weights).toEqual(['100/0', '90/10', '80/20', '100/0']);
    const rolledBack = await s.eventsOnce((e) => e.reason === 'RollingBack');
    expect(rolledBack.find((e) => e.reason === 'RollingBack')?.note).toMatch(
      /aborted by .* \(fledge abort\)/,
    );
    expect((await s.deployment(`${APP}-primary`))?.spec.template.spec.containers[0]?.image).toBe('podinfo:1');

    const retry = await fledge(['retry', APP], s.namespace);
    expect(retry.code).toBe(0);
    await s.waitFor('the retry carried out', async () =>
      (await s.canary())?.status?.lastRequest?.action === 'retry' ? true : undefined,
    );
    // The same revision is analysed again from the first step, up to the gate (no approval carried over).
    const again = await s.waitForPhase(['WaitingPromotion', 'Failed', 'Succeeded']);
    expect(again.status?.phase).toBe('WaitingPromotion');
    expect(again.status?.lastAppliedSpec).toBe(failed.status?.lastAppliedSpec);
    expect(s.weights.slice(4)).toEqual(['90/10', '80/20']);

    const full = await fledge(['promote', APP, '--full'], s.namespace);
    expect(full.code).toBe(0);
    expect((await s.waitForPhase(['Succeeded', 'Failed'])).status?.phase).toBe('Succeeded');
    done();
  },
  300_000,
);
