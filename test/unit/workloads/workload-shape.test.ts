/**
 * Odd Deployments and Services get named errors: the workload controller refuses a target, primary
 * or service of an unexpected shape with a MalformedObjectError naming the object and the field,
 * never a JavaScript TypeError, and writes nothing.
 */
import fc from 'fast-check';
import { keyOf, type KubeObject } from '../../../src/kube/cluster.js';
import { MalformedObjectError } from '../../../src/kube/object-shape.js';
import { API, type Deployment } from '../../../src/kube/resources.js';
import { ConfigNotFoundError, InvalidTargetError } from '../../../src/workloads/workload.js';
import { mutated } from '../kube/mutations.js';
import { NS, setup, targetDeployment, writes } from './fixtures.js';

/** Runs what a tick runs on the workloads; returns the error, if any. */
async function tick(target: Deployment, extra: KubeObject[] = []): Promise<{ err: unknown; wrote: number }> {
  const { cluster, canary, controller } = await setup({ target });
  // A create drops the status, as the API server does: it is written through its subresource.
  if (target.status) await cluster.patchStatus(keyOf(target), target.status as Record<string, unknown>);
  for (const o of extra) await cluster.create(o);
  const before = writes(cluster);
  try {
    await controller.reconcile(canary);
    await controller.observe(canary);
    return { err: undefined, wrote: writes(cluster) - before };
  } catch (err) {
    return { err, wrote: writes(cluster) - before };
  }
}

function withStatus(d: Deployment): Deployment {
  return {
    ...d,
    status: {
      observedGeneration: 1,
      replicas: 2,
      updatedReplicas: 2,
      availableReplicas: 2,
      conditions: [{ type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable' }],
    },
  };
}

function withSpec(patch: Record<string, unknown>): Deployment {
  const d = targetDeployment();
  return { ...d, spec: { ...d.spec, ...patch } as Deployment['spec'] };
}

describe('odd Deployments', () => {
  const template = targetDeployment().spec.template;
  it.each([
    ['a null template', withSpec({ template: null }), 'spec.template must be an object, got null'],
    [
      'containers as a map',
      withSpec({ template: { ...template, spec: { containers: { podinfo: {} } } } }),
      'spec.template.spec.containers must be a list, got an object',
    ],
    [
      'env as a string',
      withSpec({ template: { ...template, spec: { containers: [{ name: 'a', env: 'A=1' }] } } }),
      'spec.template.spec.containers[0].env must be a list, got the string "A=1"',
    ],
    [
      'a selector label that is no string',
      withSpec({ selector: { matchLabels: { app: 7 } } }),
      'spec.selector.matchLabels.app must be a string, got number 7',
    ],
    [
      'replicas as a string',
      withSpec({ replicas: '2' }),
      'spec.replicas must be a number, got the string "2"',
    ],
    [
      'status conditions as a map',
      { ...targetDeployment(), status: { conditions: { Available: 'True' } } } as unknown as Deployment,
      'status.conditions must be a list, got an object',
    ],
  ])('%s: names the target and the field, writes nothing', async (_what, target, field) => {
    const { err, wrote } = await tick(target);
    expect(err).toBeInstanceOf(MalformedObjectError);
    expect((err as Error).message).toBe(`Deployment test/podinfo: ${field}`);
    expect(wrote).toBe(0);
  });

  it('an odd primary or service is named too', async () => {
    const primary = { ...targetDeployment(), metadata: { name: 'podinfo-primary', namespace: NS } };
    const oddPrimary = { ...primary, spec: { ...primary.spec, template: { spec: { containers: null } } } };
    const r1 = await tick(targetDeployment(), [oddPrimary as unknown as KubeObject]);
    expect((r1.err as Error).message).toBe(
      'Deployment test/podinfo-primary: spec.template.spec.containers must be a list, got null',
    );
    const service = {
      ...API.service,
      metadata: { name: 'podinfo-canary', namespace: NS },
      spec: { ports: { http: 9898 } },
    };
    const r2 = await tick(targetDeployment(), [service]);
    expect(r2.err).toBeInstanceOf(MalformedObjectError);
    expect((r2.err as Error).message).toBe(
      'Service test/podinfo-canary: spec.ports must be a list, got an object',
    );
    expect(r2.wrote).toBe(0);
  });

  it('any one field of the target replaced by an odd value: a named error or success, never a TypeError', async () => {
    await fc.assert(
      fc.asyncProperty(mutated(withStatus(targetDeployment()), ['spec', 'status']), async (target) => {
        const { err } = await tick(target);
        if (err === undefined) return;
        const named =
          err instanceof MalformedObjectError ||
          err instanceof InvalidTargetError ||
          err instanceof ConfigNotFoundError;
        if (!named) throw err;
        expect((err as Error).message).toMatch(/Deployment test\/podinfo/);
      }),
      { numRuns: 150 },
    );
  });
});
