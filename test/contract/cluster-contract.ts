/**
 * The Cluster contract: the API server behaviour Fledge relies on, written so that a real
 * kube-apiserver satisfies it as well as MemoryCluster. Hence: resourceVersions are opaque strings,
 * reads after writes may lag (informer caches) so reads are polled, the garbage collector is
 * asynchronous so its effects are polled, and other objects may already live in the namespace
 * (`kube-root-ca.crt`) so lists and watches are filtered by this run's labels and names.
 *
 * The real cluster needs the Fledge CRDs and Istio's VirtualService CRD installed.
 */
import { validateDocument } from '../../src/api/validate.js';
import {
  AlreadyExistsError,
  ConflictError,
  InvalidError,
  NotFoundError,
  type Cluster,
  type ConfigSummary,
  type KubeObject,
  type ObjectKey,
  type OwnerReference,
  type WatchEvent,
} from '../../src/kube/cluster.js';
import { contentChecksum } from '../../src/kube/cache-shape.js';
import { describeCacheShapeContract } from './cache-shape-contract.js';
import { API, objectKey, type ConfigMap, type KubeEvent } from '../../src/kube/resources.js';
import { eventually } from '../support/eventually.js';

/** A cluster to test and the namespace it may use; `cleanup` removes what the test left. */
export interface ContractEnvironment {
  cluster: Cluster;
  namespace: string;
  cleanup(): Promise<void>;
}

export interface ContractOptions {
  /** How long eventual effects (reads after writes, watches, garbage collection) may take. */
  eventuallyTimeoutMs?: number;
}

interface TestCanary extends KubeObject {
  spec: Record<string, unknown> & { analysis: Record<string, unknown> };
  status?: Record<string, unknown>;
}

interface TestVirtualService extends KubeObject {
  spec: { hosts: string[]; http: { route: { destination: { host: string }; weight: number }[] }[] };
}

async function expectRejects(
  promise: Promise<unknown>,
  type: new (...args: never[]) => Error,
): Promise<void> {
  await expect(promise).rejects.toBeInstanceOf(type);
}

/**
 * Registers the contract tests for one Cluster implementation.
 * @param makeCluster called before each test; its `cleanup` after each
 */
export function describeClusterContract(
  name: string,
  makeCluster: () => Promise<ContractEnvironment>,
  options: ContractOptions = {},
): void {
  const timeoutMs = options.eventuallyTimeoutMs ?? 20_000;
  const soon = <T>(check: () => Promise<T> | T) => eventually(check, { timeoutMs, pollMs: 20 });

  describe(`Cluster contract: ${name}`, () => {
    let env: ContractEnvironment;
    let cluster: Cluster;
    let ns: string;
    /** Unique per test, so that runs against a shared cluster cannot see each other's objects. */
    let run: string;

    beforeEach(async () => {
      env = await makeCluster();
      cluster = env.cluster;
      ns = env.namespace;
      run = `c${Math.random().toString(36).slice(2, 10)}`;
    });
    afterEach(async () => {
      await env.cleanup();
    });

    describeCacheShapeContract(() => ({ cluster, namespace: ns, run }), soon);

    const configMap = (
      suffix: string,
      extra: Partial<ConfigMap['metadata']> = {},
      data = { a: '1' },
    ): ConfigMap => ({
      ...API.configMap,
      metadata: { name: `${run}-${suffix}`, namespace: ns, labels: { run }, ...extra },
      data,
    });
    const cmKey = (suffix: string): ObjectKey => objectKey(API.configMap, ns, `${run}-${suffix}`);

    const canary = (suffix: string, extra: Partial<KubeObject['metadata']> = {}): TestCanary => ({
      ...API.canary,
      metadata: { name: `${run}-${suffix}`, namespace: ns, labels: { run }, ...extra },
      spec: {
        provider: 'istio',
        targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'podinfo' },
        service: { port: 9898 },
        analysis: {
          interval: '1m',
          threshold: 5,
          maxWeight: 50,
          stepWeight: 10,
          metrics: [{ name: 'request-success-rate', interval: '1m', thresholdRange: { min: 99 } }],
        },
        skipAnalysis: false,
      },
    });
    const canaryKey = (suffix: string): ObjectKey => objectKey(API.canary, ns, `${run}-${suffix}`);

    const ownerRef = (owner: KubeObject): OwnerReference => ({
      apiVersion: owner.apiVersion,
      kind: owner.kind,
      name: owner.metadata.name,
      uid: owner.metadata.uid ?? '',
    });

    it('uses a Canary fixture that Fledge itself accepts', () => {
      expect(validateDocument(canary('valid'))).toEqual([]);
    });

    it('creates an object with identity fields set and reads it back', async () => {
      const created = await cluster.create(configMap('one'));
      expect(created.metadata.uid).toEqual(expect.any(String));
      expect(created.metadata.resourceVersion).toEqual(expect.any(String));
      expect(created.metadata.creationTimestamp).toEqual(expect.any(String));
      expect(created.metadata.namespace).toBe(ns);
      const read = await soon(async () => {
        const got = await cluster.get<ConfigMap>(cmKey('one'));
        expect(got).toBeDefined();
        return got as ConfigMap;
      });
      expect(read.metadata.uid).toBe(created.metadata.uid);
      expect((read as ConfigMap & ConfigSummary).contentChecksum).toBe(contentChecksum(configMap('one')));
      expect((await cluster.getFull<ConfigMap>(cmKey('one')))?.data).toEqual({ a: '1' });
    });

    it('starts a custom resource at generation 1', async () => {
      const created = await cluster.create(canary('gen'));
      expect(created.metadata.generation).toBe(1);
    });

    it('refuses names Kubernetes refuses with InvalidError: a Service of 64 characters, 253 characters', async () => {
      const service = (name: string) => ({
        ...API.service,
        metadata: { name, namespace: ns, labels: { run } },
        spec: { ports: [{ name: 'http', port: 80 }] },
      });
      // 64 characters: a valid ConfigMap or Deployment name, but not a Service name.
      await expectRejects(cluster.create(service(`${run}-${'p'.repeat(63 - run.length)}`)), InvalidError);
      await expectRejects(cluster.create(configMap('Upper')), InvalidError);
      await expectRejects(cluster.create(configMap('x'.repeat(250))), InvalidError);
      await cluster.create(configMap('x'.repeat(63 - run.length)));
      await cluster.create(service(`${run}-${'s'.repeat(62 - run.length)}`));
    });

    it('reads a missing object as undefined', async () => {
      expect(await cluster.get(cmKey('missing'))).toBeUndefined();
    });

    it('refuses a second create of the same name with AlreadyExistsError', async () => {
      await cluster.create(configMap('dup'));
      await expectRejects(cluster.create(configMap('dup')), AlreadyExistsError);
    });

    it('fails writes to a missing object with NotFoundError', async () => {
      await expectRejects(cluster.patch(cmKey('nope'), { data: { b: '2' } }), NotFoundError);
      await expectRejects(cluster.patchStatus(canaryKey('nope'), { phase: 'Progressing' }), NotFoundError);
      await expectRejects(cluster.replace(canary('nope')), NotFoundError);
      await expectRejects(cluster.delete(cmKey('nope')), NotFoundError);
    });

    it('lists by namespace and equality label selector', async () => {
      await cluster.create(configMap('red', { labels: { run, color: 'red' } }));
      await cluster.create(configMap('blue', { labels: { run, color: 'blue' } }));
      await cluster.create(configMap('plain'));
      const names = (objects: KubeObject[]) => objects.map((o) => o.metadata.name).sort();
      await soon(async () => {
        expect(names(await cluster.list({ ...API.configMap, namespace: ns }, { run }))).toEqual([
          `${run}-blue`,
          `${run}-plain`,
          `${run}-red`,
        ]);
        expect(names(await cluster.list({ ...API.configMap, namespace: ns }, { run, color: 'red' }))).toEqual(
          [`${run}-red`],
        );
        expect(names(await cluster.list(API.configMap, { run, color: 'blue' }))).toEqual([`${run}-blue`]);
        expect(await cluster.list({ ...API.configMap, namespace: ns }, { run, color: 'green' })).toEqual([]);
      });
      const all = await cluster.list({ ...API.configMap, namespace: ns });
      expect(names(all)).toEqual(expect.arrayContaining([`${run}-blue`, `${run}-plain`, `${run}-red`]));
    });

    it('watches: ADDED for existing objects, then MODIFIED and DELETED', async () => {
      await cluster.create(configMap('watched'));
      const events: WatchEvent<ConfigMap>[] = [];
      const stop = cluster.watch<ConfigMap>({ ...API.configMap, namespace: ns }, (e) => {
        if (e.object.metadata.name === `${run}-watched`) events.push(e);
      });
      try {
        await soon(() => expect(events.map((e) => e.type)).toEqual(['ADDED']));
        await cluster.patch(cmKey('watched'), { data: { a: '2' } });
        await soon(() => expect(events.map((e) => e.type)).toEqual(['ADDED', 'MODIFIED']));
        expect((events[1]?.object as ConfigMap & ConfigSummary).contentChecksum).toBe(
          contentChecksum(configMap('watched', {}, { a: '2' })),
        );
        await cluster.delete(cmKey('watched'));
        await soon(() => expect(events.map((e) => e.type)).toEqual(['ADDED', 'MODIFIED', 'DELETED']));
      } finally {
        stop();
      }
    });

    it('merge patches a Canary: sets fields, null deletes a key, lists are replaced whole', async () => {
      await cluster.create(canary('patched', { annotations: { keep: 'yes', drop: 'yes' } }));
      const patched = await cluster.patch<TestCanary>(canaryKey('patched'), {
        metadata: { annotations: { drop: null } },
        spec: {
          skipAnalysis: null,
          analysis: { stepWeight: 20, metrics: [{ name: 'request-duration', thresholdRange: { max: 500 } }] },
        },
      });
      expect(patched.metadata.annotations).toEqual({ keep: 'yes' });
      expect(patched.spec).not.toHaveProperty('skipAnalysis');
      expect(patched.spec.analysis).toMatchObject({ threshold: 5, maxWeight: 50, stepWeight: 20 });
      expect(patched.spec.analysis.metrics).toEqual([
        { name: 'request-duration', thresholdRange: { max: 500 } },
      ]);
      await soon(async () => {
        const read = await cluster.get<TestCanary>(canaryKey('patched'));
        expect(read?.spec.analysis.stepWeight).toBe(20);
      });
    });

    it('merge patches a VirtualService', async () => {
      const route = (primary: number, canaryWeight: number) => [
        { destination: { host: 'podinfo-primary' }, weight: primary },
        { destination: { host: 'podinfo-canary' }, weight: canaryWeight },
      ];
      const vs: TestVirtualService = {
        ...API.virtualService,
        metadata: { name: `${run}-vs`, namespace: ns, annotations: { a: '1', b: '2' } },
        spec: { hosts: ['podinfo'], http: [{ route: route(100, 0) }] },
      };
      await cluster.create(vs);
      const patched = await cluster.patch<TestVirtualService>(
        objectKey(API.virtualService, ns, `${run}-vs`),
        {
          metadata: { annotations: { a: null } },
          spec: { http: [{ route: route(90, 10) }] },
        },
      );
      expect(patched.metadata.annotations).toEqual({ b: '2' });
      expect(patched.spec).toEqual({ hosts: ['podinfo'], http: [{ route: route(90, 10) }] });
    });

    it('keeps the resourceVersion on a patch that changes nothing', async () => {
      const created = await cluster.create(configMap('noop'));
      const same = await cluster.patch(cmKey('noop'), { data: { a: '1' } });
      expect(same.metadata.resourceVersion).toBe(created.metadata.resourceVersion);
      const changed = await cluster.patch(cmKey('noop'), { data: { a: '2' } });
      expect(changed.metadata.resourceVersion).not.toBe(created.metadata.resourceVersion);
    });

    it('enforces resourceVersion preconditions with ConflictError', async () => {
      const created = await cluster.create(canary('rv'));
      const stale = created.metadata.resourceVersion as string;
      const moved = await cluster.patch<TestCanary>(canaryKey('rv'), {
        metadata: { labels: { moved: 'yes' } },
      });
      const current = moved.metadata.resourceVersion as string;
      expect(current).not.toBe(stale);

      const key = canaryKey('rv');
      await expectRejects(
        cluster.patch(key, { spec: { suspend: true } }, { resourceVersion: stale }),
        ConflictError,
      );
      await expectRejects(
        cluster.patchStatus(key, { phase: 'Failed' }, { resourceVersion: stale }),
        ConflictError,
      );
      await expectRejects(
        cluster.replace({ ...moved, metadata: { ...moved.metadata, resourceVersion: stale } }),
        ConflictError,
      );
      await expectRejects(cluster.delete(key, { resourceVersion: stale }), ConflictError);

      const patched = await cluster.patch<TestCanary>(
        key,
        { spec: { suspend: true } },
        { resourceVersion: current },
      );
      expect(patched.spec.suspend).toBe(true);
      const replaced = await cluster.replace<TestCanary>({
        ...patched,
        spec: { ...patched.spec, suspend: false },
      });
      expect(replaced.spec.suspend).toBe(false);
      await cluster.delete(key, { resourceVersion: replaced.metadata.resourceVersion as string });
      await soon(async () => expect(await cluster.get(key)).toBeUndefined());
    });

    it('keeps status and spec apart (status subresource) and bumps generation on spec changes only', async () => {
      const created = await cluster.create<TestCanary>({
        ...canary('status'),
        status: { phase: 'Succeeded' },
      });
      expect(created.status?.phase).toBeUndefined();
      const key = canaryKey('status');

      const withStatus = await cluster.patchStatus<TestCanary>(key, {
        phase: 'Progressing',
        canaryWeight: 10,
      });
      expect(withStatus.status).toMatchObject({ phase: 'Progressing', canaryWeight: 10 });
      expect(withStatus.spec).toEqual(created.spec);
      expect(withStatus.metadata.generation).toBe(1);

      const specPatched = await cluster.patch<TestCanary>(key, {
        spec: { analysis: { threshold: 7 } },
        status: { phase: 'Failed' },
      });
      expect(specPatched.spec.analysis.threshold).toBe(7);
      expect(specPatched.status).toMatchObject({ phase: 'Progressing', canaryWeight: 10 });
      expect(specPatched.metadata.generation).toBe(2);

      const labelled = await cluster.patch<TestCanary>(key, { metadata: { labels: { run, extra: 'x' } } });
      expect(labelled.metadata.generation).toBe(2);

      const cleared = await cluster.patchStatus<TestCanary>(key, { canaryWeight: null });
      expect(cleared.status).toEqual(expect.objectContaining({ phase: 'Progressing' }));
      expect(cleared.status).not.toHaveProperty('canaryWeight');
      expect(cleared.metadata.generation).toBe(2);

      const replaced = await cluster.replace<TestCanary>({ ...cleared, status: { phase: 'Failed' } });
      expect(replaced.status?.phase).toBe('Progressing');
      expect(replaced.metadata.generation).toBe(2);
    });

    it('garbage collects dependents once their owner is gone', async () => {
      const owner = await cluster.create(canary('owner'));
      await cluster.create(
        configMap('dependent', { ownerReferences: [{ ...ownerRef(owner), controller: true }] }),
      );
      await cluster.delete(canaryKey('owner'));
      await soon(async () => expect(await cluster.get(cmKey('dependent'))).toBeUndefined());
    });

    it('keeps a dependent that still has another owner, dropping the reference to the gone one', async () => {
      const gone = await cluster.create(canary('gone'));
      const stays = await cluster.create(canary('stays'));
      await cluster.create(configMap('shared', { ownerReferences: [ownerRef(gone), ownerRef(stays)] }));
      await cluster.delete(canaryKey('gone'));
      await soon(async () => {
        const dependent = await cluster.get(cmKey('shared'));
        expect(dependent?.metadata.ownerReferences?.map((r) => r.uid)).toEqual([stays.metadata.uid]);
      });
    });

    it('holds a deleted object with finalizers until the last finalizer is removed', async () => {
      const finalizer = 'fledge.dev/contract-test';
      await cluster.create(canary('final', { finalizers: [finalizer] }));
      const key = canaryKey('final');
      await cluster.delete(key);
      const terminating = await soon(async () => {
        const read = await cluster.get(key);
        expect(read?.metadata.deletionTimestamp).toEqual(expect.any(String));
        return read as KubeObject;
      });
      expect(terminating.metadata.finalizers).toEqual([finalizer]);
      await cluster.delete(key);
      expect((await cluster.get(key))?.metadata.finalizers).toEqual([finalizer]);
      await cluster.patch(key, { metadata: { finalizers: null } });
      await soon(async () => expect(await cluster.get(key)).toBeUndefined());
    });

    it('merge patches the series of an events.k8s.io/v1 Event, as repeats are aggregated', async () => {
      const event: KubeEvent = {
        ...API.event,
        metadata: { name: `${run}-evt.17f`, namespace: ns, labels: { run } },
        eventTime: '2026-03-01T12:00:00.000000Z',
        reportingController: 'fledge.dev/controller',
        reportingInstance: 'contract',
        action: 'WaitingForApproval',
        reason: 'WaitingForApproval',
        note: 'Halt podinfo traffic increase: waiting for approval',
        type: 'Normal',
        regarding: { ...API.canary, namespace: ns, name: `${run}-c` },
      };
      await cluster.create(event);
      const key = objectKey(API.event, ns, event.metadata.name);
      const series = { count: 2, lastObservedTime: '2026-03-01T12:01:00.000000Z' };
      const patched = await cluster.patch<KubeEvent>(key, { series });
      expect(patched.series).toEqual(series);
      const again = await cluster.patch<KubeEvent>(key, { series: { ...series, count: 3 } });
      expect(again).toMatchObject({ note: event.note, eventTime: event.eventTime, series: { count: 3 } });
      await soon(async () => expect((await cluster.get<KubeEvent>(key))?.series?.count).toBe(3));
    });
  });
}
