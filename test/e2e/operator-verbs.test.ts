/**
 * End-to-end: `fledge get`, `status --watch` and `pause` / `resume` run as an operator runs them
 * (the built CLI, its own process) against the local control plane while `fledge controller`
 * drives the rollout: what `get` shows is what the controller wrote, `status --watch` ends with the
 * rollout, and a paused canary's traffic stays where it was until it is resumed.
 */
import type { Canary } from '../../src/api/schema/canary.js';
import { API, objectKey } from '../../src/kube/resources.js';
import type { ProcessRun } from '../support/run-process.js';
import { controllerSuite, phaseTimer } from './support/controller-suite.js';
import { fledgeCli } from './support/fledge-cli.js';
import { APP, canaryManifest } from './support/scenario.js';

const suite = controllerSuite('fledge-e2e-verbs');
const scenario = suite.scenario.bind(suite);

const fledge = fledgeCli(suite);

/**
 * Nineteen steps 4 s apart for the pause scenario: on a busy machine one CLI process takes seconds
 * to start and write (45 s seen under load), and the pause must land while steps remain.
 */
const INTERVAL_MS = 4_000;
const STEPS = Array.from({ length: 20 }, (_, i) => i * 5);
const MANY_STEPS: Partial<Canary['spec']['analysis']> = {
  interval: `${INTERVAL_MS / 1000}s`,
  stepWeight: 5,
  maxWeight: 95,
};

/** The first six columns of `fledge get`'s one row (CHECKS holds spaces): NAME to SUSPENDED. */
function getRow(run: ProcessRun): string[] {
  expect(run).toMatchObject({ code: 0, stderr: '' });
  const [header, row, ...rest] = run.stdout.trimEnd().split('\n');
  expect(header).toMatch(/^NAME\s+PHASE\s+WEIGHT\s+FAILED\s+ITERATION\s+SUSPENDED\s+AGE\s+CHECKS$/);
  expect(rest).toEqual([]);
  return (row ?? '').split(/\s+/).slice(0, 6);
}

suite.test(
  'fledge get shows the rollout; pause holds its weight over several intervals, resume lets it go on',
  async () => {
    const done = phaseTimer('pause and resume');
    const s = scenario('pause', { canary: (ns, prom) => canaryManifest(ns, prom, MANY_STEPS) });
    await s.start();
    await s.waitForPhase(['Initialized']);
    await s.setImage('podinfo:2');
    await s.waitFor('the first step', async () => {
      const status = (await s.canary())?.status;
      return status?.phase === 'Progressing' && (status.canaryWeight ?? 0) >= 5 ? true : undefined;
    });
    const pause = await fledge(['pause', APP], s.namespace);
    expect(pause).toMatchObject({ code: 0, stderr: '' });
    expect(pause.stdout).toBe(`canary ${s.namespace}/${APP} paused\n`);
    // A tick that read the Canary before the pause may still finish its step: let it land.
    await new Promise((r) => setTimeout(r, INTERVAL_MS));
    const held = (await s.canary())!;
    const weight = held.status?.canaryWeight ?? 0;
    const splits = s.weights.length;
    expect(held.spec.suspend).toBe(true);
    expect(held.status?.phase).toBe('Progressing');
    expect(weight).toBeLessThan(95);

    // Three intervals (and the CLI runs) later nothing has moved: no status step, no route written.
    await new Promise((r) => setTimeout(r, 3 * INTERVAL_MS));
    const [table, json] = await Promise.all([
      fledge(['get'], s.namespace),
      fledge(['get', APP, '-o', 'json'], s.namespace),
    ]);
    const still = (await s.canary())!;
    expect(still.status).toMatchObject({ phase: 'Progressing', canaryWeight: weight });
    expect(s.weights).toHaveLength(splits);
    expect(s.weights.at(-1)).toBe(`${100 - weight}/${weight}`);
    expect(getRow(table)).toEqual([
      APP,
      'Progressing',
      String(weight),
      `${still.status?.failedChecks ?? 0}/2`,
      '-',
      'true',
    ]);
    expect(json).toMatchObject({ code: 0, stderr: '' });
    const shown = JSON.parse(json.stdout) as Canary;
    expect(shown.spec.suspend).toBe(true);
    expect(shown.status).toMatchObject({ phase: 'Progressing', canaryWeight: weight });

    const resume = await fledge(['resume', APP], s.namespace);
    expect(resume).toMatchObject({ code: 0, stdout: `canary ${s.namespace}/${APP} resumed\n` });
    // Up to 18 steps and the promotion are left, 4 s apart at best: more than the default 90 s.
    const c = await s.waitForPhase(['Succeeded', 'Failed'], (STEPS.length + 4) * INTERVAL_MS * 2);
    expect(c.status?.phase).toBe('Succeeded');
    // The rollout went on from the held weight to the last step: every step once, none skipped.
    expect(s.weights).toEqual([...STEPS.map((w) => `${100 - w}/${w}`), '100/0']);
    expect(getRow(await fledge(['get'], s.namespace))).toEqual([APP, 'Succeeded', '0', '0/2', '-', 'false']);
    expect((await s.canary())?.spec.suspend).toBeUndefined();
    const events = await s.eventsOnce((e) => e.reason === 'Resumed');
    expect(events.map((e) => e.reason)).toEqual(expect.arrayContaining(['Paused', 'Resumed']));
    done();
  },
  420_000,
);

suite.test(
  'fledge status --watch --timeout exits 0 when the rollout succeeds and 1 when it fails',
  async () => {
    const done = phaseTimer('status --watch');
    const s = scenario('watch', { canary: (ns, prom) => canaryManifest(ns, prom) });
    await s.start();
    await s.waitForPhase(['Initialized']);

    await s.setImage('podinfo:2');
    // Started at once: the Canary still says Initialized for podinfo:1 until the next tick.
    const succeeded = await fledge(['status', APP, '--watch', '--timeout', '2m'], s.namespace);
    expect(succeeded.stderr).toBe(
      `canary ${s.namespace}/${APP}: Succeeded, the primary runs the target's revision\n`,
    );
    expect(succeeded.code).toBe(0);
    expect(succeeded.stdout).toContain('weights: 10  20  30  40  50  then promote');
    expect((await s.canary())?.status?.phase).toBe('Succeeded');

    // A rollout webhook nobody answers fails every analysis tick: rolled back after two.
    await s.kube.patch(objectKey(API.canary, s.namespace, APP), {
      spec: {
        analysis: {
          webhooks: [{ name: 'smoke', type: 'rollout', url: 'http://127.0.0.1:1/', timeout: '1s' }],
        },
      },
    });
    await s.setImage('podinfo:3');
    const failed = await fledge(['status', APP, '--watch', '--timeout', '2m'], s.namespace);
    expect(failed.stderr).toBe(
      `canary ${s.namespace}/${APP}: Failed, rolled back; the primary keeps the previous revision\n`,
    );
    expect(failed.code).toBe(1);
    expect(failed.stdout).toContain('smoke');
    const c = await s.waitForPhase(['Failed']);
    expect(c.status).toMatchObject({ phase: 'Failed', canaryWeight: 0 });
    expect((await s.deployment(`${APP}-primary`))?.spec.template.spec.containers[0]?.image).toBe('podinfo:2');
    done();
  },
  // Two rollouts and two CLI processes that last as long: 136 s seen with three e2e files running.
  240_000,
);
