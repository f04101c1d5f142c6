import { Command } from 'commander';
import { registerControllerCommand } from '../../../src/cli/controller.js';
import { EventReasons } from '../../../src/controller/events.js';
import { API } from '../../../src/kube/resources.js';
import { NS, canaryObject, harnessPerTest } from './harness.js';

const harness = harnessPerTest();

const CROSS = {
  metrics: [
    { name: 'errors', templateRef: { name: 'errors', namespace: 'other-team' }, thresholdRange: { max: 1 } },
  ],
  alerts: [{ name: 'on-call', providerRef: { name: 'pager', namespace: 'other-team' } }],
};

describe('--no-cross-namespace-refs', () => {
  it('refuses a Canary whose templateRef or providerRef names another namespace, naming both fields', async () => {
    const h = await harness({ noCrossNamespaceRefs: true });
    await h.cluster.create(canaryObject('podinfo', CROSS));
    const result = await h.tick('podinfo');
    expect(result.error?.message).toContain(
      'spec.analysis.metrics[0].templateRef.namespace: MetricTemplate other-team/errors is in another namespace than the Canary',
    );
    expect(result.error?.message).toContain(
      'spec.analysis.alerts[0].providerRef.namespace: AlertProvider other-team/pager is in another namespace',
    );
    expect((await h.canary('podinfo')).status?.conditions?.[0]).toMatchObject({
      type: 'Reconciled',
      status: 'False',
      reason: EventReasons.InvalidSpec,
    });
    expect(await h.cluster.list({ ...API.deployment, namespace: NS })).toEqual([]);
  });

  it('accepts references in the Canary namespace, with or without an explicit namespace', async () => {
    const h = await harness({ noCrossNamespaceRefs: true });
    await h.install('podinfo', 'podinfo:1', {
      metrics: [
        { name: 'a', templateRef: { name: 'a', namespace: NS }, thresholdRange: { max: 1 } },
        { name: 'b', templateRef: { name: 'b' }, thresholdRange: { max: 1 } },
      ],
    });
    await h.tickUntil('podinfo', ['Initialized']);
  });

  it('leaves cross-namespace references alone without the flag (Flagger default)', async () => {
    const h = await harness();
    await h.install('podinfo', 'podinfo:1', CROSS);
    await h.tickUntil('podinfo', ['Initialized']);
  });

  it('is off by default on the command line and on with the flag', () => {
    const parsed = (args: string[]): Record<string, unknown> => {
      const program = new Command().exitOverride();
      const command = registerControllerCommand(program);
      let seen: Record<string, unknown> = {};
      command.action((options: Record<string, unknown>) => void (seen = options));
      program.parse(['node', 'fledge', 'controller', ...args]);
      return seen;
    };
    expect(parsed([])['crossNamespaceRefs']).toBe(true);
    expect(parsed(['--no-cross-namespace-refs'])['crossNamespaceRefs']).toBe(false);
  });
});
