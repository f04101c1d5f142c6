import { pino } from 'pino';
import { LeaderElector, type Lease } from '../../../src/controller/leader-election.js';
import { MemoryCluster } from '../../../src/kube/memory/memory-cluster.js';
import { API, objectKey } from '../../../src/kube/resources.js';
import { setTimeout as sleep } from 'node:timers/promises';

const logger = pino({ level: 'silent' });

function candidate(cluster: MemoryCluster, identity: string, log: string[]) {
  const elector = new LeaderElector({
    cluster,
    namespace: 'fledge',
    name: 'fledge-controller',
    identity,
    logger,
    leaseDurationMs: 600,
    renewDeadlineMs: 400,
    retryPeriodMs: 50,
  });
  elector.start({
    onStartedLeading: () => log.push(`${identity}+`),
    onStoppedLeading: () => log.push(`${identity}-`),
  });
  return elector;
}

describe('LeaderElector', () => {
  it('elects one leader; another takes over only after the lease expires, never both at once', async () => {
    const cluster = new MemoryCluster();
    const log: string[] = [];
    const a = candidate(cluster, 'a', log);
    await sleep(200);
    const b = candidate(cluster, 'b', log);
    let overlap = false;
    const probe = setInterval(() => (overlap ||= a.isLeader && b.isLeader), 5);
    await sleep(500);
    expect(log).toEqual(['a+']);
    const lease = await cluster.get<Lease>(objectKey(API.lease, 'fledge', 'fledge-controller'));
    expect(lease?.spec.holderIdentity).toBe('a');

    // a dies without releasing the lease: b waits out the lease duration, then takes over.
    const killed = Date.now();
    (a as unknown as { stopped: boolean }).stopped = true;
    (a as unknown as { leading: boolean }).leading = false;
    while (!b.isLeader && Date.now() - killed < 3_000) await sleep(20);
    expect(b.isLeader).toBe(true);
    expect(Date.now() - killed).toBeGreaterThanOrEqual(500);
    const taken = await cluster.get<Lease>(objectKey(API.lease, 'fledge', 'fledge-controller'));
    expect(taken?.spec).toMatchObject({ holderIdentity: 'b', leaseTransitions: 1 });
    clearInterval(probe);
    expect(overlap).toBe(false);
    await b.stop();
  });

  it('releases the lease on stop so the next candidate takes over at once', async () => {
    const cluster = new MemoryCluster();
    const log: string[] = [];
    const a = candidate(cluster, 'a', log);
    await sleep(150);
    const b = candidate(cluster, 'b', log);
    await sleep(100);
    await a.stop();
    const released = Date.now();
    while (!b.isLeader && Date.now() - released < 3_000) await sleep(10);
    expect(Date.now() - released).toBeLessThan(400);
    expect(log).toEqual(['a+', 'b+']);
    await b.stop();
  });

  it('rejects timings where renewal could outlive the lease', () => {
    expect(
      () =>
        new LeaderElector({
          cluster: new MemoryCluster(),
          namespace: 'n',
          name: 'l',
          identity: 'i',
          logger,
          leaseDurationMs: 1000,
          renewDeadlineMs: 2000,
        }),
    ).toThrow('need retryPeriodMs < renewDeadlineMs < leaseDurationMs');
  });
});
