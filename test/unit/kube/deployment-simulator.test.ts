/** The DeploymentSimulator writes the status a real cluster would, when it would. */
import { DeploymentSimulator } from '../../../src/kube/memory/deployment-simulator.js';
import type { Timers } from '../../../src/timers.js';
import { MemoryCluster } from '../../../src/kube/memory/memory-cluster.js';
import { API, objectKey, type Deployment } from '../../../src/kube/resources.js';
import { calculateDeploymentReadiness } from '../../../src/workloads/readiness.js';

/** Timers that fire only when the test says so. */
class ManualTimers implements Timers {
  readonly queued = new Map<number, { callback: () => void; delayMs: number }>();
  private next = 1;
  setTimeout(callback: () => void, delayMs: number): unknown {
    const id = this.next++;
    this.queued.set(id, { callback, delayMs });
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.queued.delete(handle as number);
  }
  fireAll(): void {
    const due = [...this.queued.values()];
    this.queued.clear();
    for (const t of due) t.callback();
  }
}

/** Lets watch events and the simulator's reads and writes run. */
async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await new Promise((resolve) => setImmediate(resolve));
}

const KEY = objectKey(API.deployment, 'test', 'podinfo');
const NOW = new Date('2026-01-01T00:00:00Z');

function deployment(replicas = 3): Deployment {
  return {
    ...API.deployment,
    metadata: { name: 'podinfo', namespace: 'test' },
    spec: {
      replicas,
      selector: { matchLabels: { app: 'podinfo' } },
      template: {
        metadata: { labels: { app: 'podinfo' } },
        spec: { containers: [{ name: 'app', image: 'a:1' }] },
      },
    },
  };
}

const readiness = (d: Deployment | undefined) =>
  calculateDeploymentReadiness(d as Deployment, {
    thresholdPercent: 100,
    progressDeadlineMs: 600_000,
    now: NOW,
  });

function setup(options: { readyDelayMs?: number } = {}) {
  const cluster = new MemoryCluster({ now: () => NOW });
  const timers = new ManualTimers();
  const simulator = new DeploymentSimulator({ cluster, timers, now: () => NOW, ...options });
  return { cluster, timers, simulator };
}

describe('DeploymentSimulator', () => {
  it('reports the pods ready once the delay has passed, as a real cluster would', async () => {
    const { cluster, timers, simulator } = setup({ readyDelayMs: 5_000 });
    simulator.start();
    await cluster.create(deployment(3));
    await settle();
    expect([...timers.queued.values()].map((t) => t.delayMs)).toEqual([5_000]);
    expect((await cluster.get<Deployment>(KEY))?.status).toBeUndefined();
    expect(readiness(await cluster.get<Deployment>(KEY)).ready).toBe(false);

    timers.fireAll();
    await settle();
    const d = await cluster.get<Deployment>(KEY);
    expect(d?.status).toMatchObject({
      observedGeneration: 1,
      replicas: 3,
      updatedReplicas: 3,
      readyReplicas: 3,
      availableReplicas: 3,
    });
    expect(d?.status?.conditions?.map((c) => [c.type, c.status, c.reason])).toEqual([
      ['Available', 'True', 'MinimumReplicasAvailable'],
      ['Progressing', 'True', 'NewReplicaSetAvailable'],
    ]);
    expect(readiness(d).ready).toBe(true);
    simulator.stop();
  });

  it('does not write again once the status is right', async () => {
    const { cluster, timers, simulator } = setup();
    simulator.start();
    await cluster.create(deployment());
    for (let i = 0; i < 3; i++) {
      await settle();
      timers.fireAll();
    }
    await settle();
    expect(cluster.requests.patchStatus).toBe(1);
    simulator.stop();
  });

  it('follows a scale to a new generation', async () => {
    const { cluster, timers, simulator } = setup();
    simulator.start();
    await cluster.create(deployment(3));
    await settle();
    timers.fireAll();
    await settle();
    await cluster.patch(KEY, { spec: { replicas: 5 } });
    await settle();
    expect(readiness(await cluster.get<Deployment>(KEY)).message).toContain(
      'observed generation 1 is behind generation 2',
    );
    timers.fireAll();
    await settle();
    const d = await cluster.get<Deployment>(KEY);
    expect(d?.status).toMatchObject({ observedGeneration: 2, replicas: 5, availableReplicas: 5 });
    simulator.stop();
  });

  it('can keep one Deployment from ever becoming ready, or report its progress deadline exceeded', async () => {
    const { cluster, timers, simulator } = setup();
    simulator.start();
    simulator.setBehaviour('test', 'podinfo', 'never-ready');
    await cluster.create(deployment(2));
    await settle();
    timers.fireAll();
    await settle();
    let d = await cluster.get<Deployment>(KEY);
    expect(d?.status).toMatchObject({ updatedReplicas: 2, availableReplicas: 0, unavailableReplicas: 2 });
    expect(readiness(d)).toMatchObject({ ready: false, retriable: true });

    simulator.setBehaviour('test', 'podinfo', 'progress-deadline-exceeded');
    timers.fireAll();
    await settle();
    d = await cluster.get<Deployment>(KEY);
    expect(d?.status?.conditions?.find((c) => c.type === 'Progressing')?.reason).toBe(
      'ProgressDeadlineExceeded',
    );
    expect(readiness(d)).toMatchObject({ ready: false, retriable: false });

    simulator.setBehaviour('test', 'podinfo', undefined);
    timers.fireAll();
    await settle();
    expect(readiness(await cluster.get<Deployment>(KEY)).ready).toBe(true);
    simulator.stop();
  });

  it('covers Deployments that existed before start, and stops writing after stop', async () => {
    const { cluster, timers, simulator } = setup();
    await cluster.create(deployment(1));
    simulator.start();
    await settle();
    timers.fireAll();
    await settle();
    expect(readiness(await cluster.get<Deployment>(KEY)).ready).toBe(true);

    simulator.stop();
    expect(timers.queued.size).toBe(0);
    await cluster.patch(KEY, { spec: { replicas: 4 } });
    await settle();
    timers.fireAll();
    await settle();
    expect((await cluster.get<Deployment>(KEY))?.status?.replicas).toBe(1);
  });

  it('flush writes every status at once, without waiting for the delay', async () => {
    const { cluster, timers, simulator } = setup({ readyDelayMs: 60_000 });
    simulator.start();
    await cluster.create(deployment(2));
    await settle();
    await simulator.flush();
    expect(readiness(await cluster.get<Deployment>(KEY)).ready).toBe(true);
    const written = cluster.requests.patchStatus;
    await settle();
    timers.fireAll();
    await settle();
    expect(cluster.requests.patchStatus).toBe(written);
    simulator.stop();
  });

  it('rejects a negative delay', () => {
    expect(() => new DeploymentSimulator({ cluster: new MemoryCluster(), readyDelayMs: -1 })).toThrow(
      /readyDelayMs/,
    );
  });
});
