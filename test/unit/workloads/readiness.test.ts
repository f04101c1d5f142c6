/** Deployment readiness rules, decided from status alone. */
import type { Deployment } from '../../../src/kube/resources.js';
import { calculateDeploymentReadiness } from '../../../src/workloads/readiness.js';

const NOW = new Date('2026-01-01T01:00:00Z');

function deployment(
  status: Deployment['status'],
  { replicas = 2, generation = 3 }: { replicas?: number; generation?: number } = {},
): Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'podinfo', namespace: 'test', generation },
    spec: { replicas, selector: { matchLabels: { app: 'podinfo' } }, template: { spec: { containers: [] } } },
    ...(status ? { status } : {}),
  };
}

const judge = (d: Deployment, thresholdPercent = 100, progressDeadlineMs = 600_000) =>
  calculateDeploymentReadiness(d, { thresholdPercent, progressDeadlineMs, now: NOW });

const done = {
  observedGeneration: 3,
  replicas: 2,
  updatedReplicas: 2,
  readyReplicas: 2,
  availableReplicas: 2,
};

describe('calculateDeploymentReadiness', () => {
  it('is ready when the rollout is complete', () => {
    expect(judge(deployment(done))).toEqual({
      ready: true,
      retriable: true,
      message: 'Deployment test/podinfo is ready: 2 of 2 updated replicas are available',
    });
  });

  it.each([
    ['no status yet', undefined, 'observed generation 0 is behind generation 3'],
    [
      'an unobserved generation',
      { ...done, observedGeneration: 2 },
      'observed generation 2 is behind generation 3',
    ],
    ['replicas not yet updated', { ...done, updatedReplicas: 1 }, '1 of 2 replicas are updated'],
    ['old replicas left', { ...done, replicas: 3 }, '1 old replicas are pending termination'],
    ['too few available', { ...done, availableReplicas: 1 }, '1 of 2 updated replicas are available'],
  ])('waits, retriably, with %s', (_what, status, detail) => {
    expect(judge(deployment(status))).toEqual({
      ready: false,
      retriable: true,
      message: `waiting for rollout of Deployment test/podinfo: ${detail}`,
    });
  });

  it('applies the ready threshold to the updated replicas', () => {
    const d = deployment({ ...done, replicas: 4, updatedReplicas: 4, availableReplicas: 2 }, { replicas: 4 });
    expect(judge(d, 50).ready).toBe(true);
    const short = judge(d, 75);
    expect(short.ready).toBe(false);
    expect(short.message).toContain(
      '2 of 4 updated replicas are available (3 needed at ready threshold 75%)',
    );
  });

  it('gives up when the progress deadline was exceeded', () => {
    const d = deployment({
      ...done,
      availableReplicas: 0,
      conditions: [
        { type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded', message: 'RS timed out' },
      ],
    });
    expect(judge(d)).toEqual({
      ready: false,
      retriable: false,
      message: 'Deployment test/podinfo exceeded its progress deadline: RS timed out',
    });
  });

  it('ignores a deadline condition of a generation not yet observed', () => {
    const d = deployment({
      ...done,
      observedGeneration: 2,
      conditions: [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded' }],
    });
    expect(judge(d)).toMatchObject({ ready: false, retriable: true });
  });

  it("gives up when too few replicas have been available for longer than the Canary's deadline", () => {
    const unavailable = (since: string) =>
      deployment({
        ...done,
        availableReplicas: 0,
        conditions: [
          { type: 'Available', status: 'False', reason: 'MinimumReplicasUnavailable', lastUpdateTime: since },
        ],
      });
    expect(judge(unavailable('2026-01-01T00:50:00Z'), 100, 600_000)).toMatchObject({
      ready: false,
      retriable: true,
    });
    const stuck = judge(unavailable('2026-01-01T00:49:00Z'), 100, 600_000);
    expect(stuck).toMatchObject({ ready: false, retriable: false });
    expect(stuck.message).toContain('longer than the progress deadline (600s)');
  });

  it('treats a primary scaled to zero as ready', () => {
    const d = deployment({ observedGeneration: 3 }, { replicas: 0 });
    expect(judge(d).ready).toBe(true);
  });
});
