import { pino } from 'pino';
import { CanaryWatcher } from '../../../src/controller/canary-watcher.js';
import type { Reconciler } from '../../../src/controller/reconciler.js';
import { MemoryCluster } from '../../../src/kube/memory/memory-cluster.js';
import { API, objectKey } from '../../../src/kube/resources.js';
import { InProcessScheduler } from '../../../src/scheduler/in-process-scheduler.js';
import { canaryObject } from './harness.js';
import { setTimeout as sleep } from 'node:timers/promises';

describe('CanaryWatcher', () => {
  it("tells when a namespace's last Canary is deleted, once, and not before", async () => {
    const cluster = new MemoryCluster();
    const emptied: string[] = [];
    const deleted: string[] = [];
    const reconciler = { reconcileOnce: async () => ({ phase: undefined }) } as unknown as Reconciler;
    const watcher = new CanaryWatcher({
      cluster,
      scheduler: new InProcessScheduler(),
      reconciler,
      logger: pino({ level: 'silent' }),
      onDelete: (ns, name) => deleted.push(`${ns}/${name}`),
      onNamespaceEmpty: (ns) => emptied.push(ns),
    });
    await cluster.create(canaryObject('a'));
    await cluster.create(canaryObject('b'));
    watcher.start();
    try {
      await sleep(20);
      await cluster.delete(objectKey(API.canary, 'test', 'a'));
      await sleep(20);
      expect(deleted).toEqual(['test/a']);
      expect(emptied).toEqual([]);
      await cluster.delete(objectKey(API.canary, 'test', 'b'));
      await sleep(20);
      expect(deleted).toEqual(['test/a', 'test/b']);
      expect(emptied).toEqual(['test']);
    } finally {
      await watcher.stop();
    }
  });
});
