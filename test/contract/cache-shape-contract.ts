/**
 * The caches' form of objects, part of the Cluster contract: `get`, `list` and `watch` give
 * ConfigMaps and Secrets without their content (a checksum in its place) and no object with
 * managedFields; `getFull` gives the content. A real kube-apiserver fills managedFields on every
 * write, so the real adapter is tested on what it receives, not on fixtures.
 */
import { contentChecksum } from '../../src/kube/cache-shape.js';
import {
  keyOf,
  type Cluster,
  type ConfigSummary,
  type KubeObject,
  type WatchEvent,
} from '../../src/kube/cluster.js';
import { API, objectKey, type ConfigMap, type Secret } from '../../src/kube/resources.js';

function managedFieldsOf(object: KubeObject | undefined): unknown {
  return (object?.metadata as { managedFields?: unknown } | undefined)?.managedFields;
}

/** What no cached read may carry. */
function expectNoContent(object: KubeObject | undefined): void {
  expect(object).toBeDefined();
  const shaped = object as KubeObject & Record<string, unknown>;
  expect(shaped['data']).toBeUndefined();
  expect(shaped['binaryData']).toBeUndefined();
  expect(shaped['stringData']).toBeUndefined();
  expect(managedFieldsOf(object)).toBeUndefined();
}

/** What a test of the contract works in, current for each test. */
export interface ContractContext {
  cluster: Cluster;
  namespace: string;
  /** Unique per test: the objects' name prefix and `run` label. */
  run: string;
}

/**
 * Registers the cached-form tests inside {@link describeClusterContract}'s suite, which sets up
 * (and cleans up) the cluster of each test.
 * @param context the current test's cluster, namespace and run
 * @param soon retries a check until eventual effects (informer caches) show
 */
export function describeCacheShapeContract(
  context: () => ContractContext,
  soon: <T>(check: () => Promise<T> | T) => Promise<T>,
): void {
  describe('cached form', () => {
    let cluster: Cluster;
    let ns: string;
    let run: string;

    beforeEach(() => {
      ({ cluster, namespace: ns, run } = context());
    });

    const secret = (data: Record<string, string>): Secret => ({
      ...API.secret,
      metadata: {
        name: `${run}-creds`,
        namespace: ns,
        labels: { run },
        annotations: { 'fledge.dev/config-tracking': 'enabled' },
      },
      type: 'Opaque',
      data,
    });
    const secretKey = () => objectKey(API.secret, ns, `${run}-creds`);

    it('reads a Secret without its values, with the checksum of what getFull reads', async () => {
      await cluster.create(secret({ token: Buffer.from('s3cret').toString('base64') }));
      const cached = await soon(async () => {
        const got = await cluster.get<ConfigSummary>(secretKey());
        expect(got).toBeDefined();
        return got as ConfigSummary;
      });
      expectNoContent(cached);
      expect(cached.type).toBe('Opaque');
      expect(cached.metadata.labels).toEqual({ run });
      expect(cached.metadata.annotations?.['fledge.dev/config-tracking']).toBe('enabled');
      expect(JSON.stringify(cached)).not.toContain(Buffer.from('s3cret').toString('base64'));
      const full = await cluster.getFull<Secret>(secretKey());
      expect(full?.data).toEqual({ token: Buffer.from('s3cret').toString('base64') });
      expect(managedFieldsOf(full)).toBeUndefined();
      expect(cached.contentChecksum).toBe(contentChecksum(full as Secret));
      const listed = (await cluster.list<ConfigSummary>({ ...API.secret, namespace: ns }, { run }))[0];
      expectNoContent(listed);
      expect(listed?.contentChecksum).toBe(cached.contentChecksum);
    });

    it('changes the cached checksum when the content changes, and only then', async () => {
      await cluster.create(secret({ token: 'YQ==' }));
      const first = await soon(async () => {
        const got = await cluster.get<ConfigSummary>(secretKey());
        expect(got).toBeDefined();
        return got as ConfigSummary;
      });
      await cluster.patch(secretKey(), { metadata: { labels: { run, other: 'label' } } });
      const relabelled = await soon(async () => {
        const got = await cluster.get<ConfigSummary>(secretKey());
        expect(got?.metadata.labels?.['other']).toBe('label');
        return got as ConfigSummary;
      });
      expect(relabelled.contentChecksum).toBe(first.contentChecksum);
      await cluster.patch(secretKey(), { data: { token: 'Yg==' } });
      await soon(async () => {
        const got = await cluster.get<ConfigSummary>(secretKey());
        expect(got?.contentChecksum).not.toBe(first.contentChecksum);
        expect(got?.contentChecksum).toBe(contentChecksum(secret({ token: 'Yg==' })));
      });
    });

    it('watches ConfigMaps without their data, and other kinds without managedFields', async () => {
      const events: WatchEvent[] = [];
      const stop = cluster.watch<ConfigMap>({ ...API.configMap, namespace: ns }, (e) => {
        if (e.object.metadata.labels?.['run'] === run) events.push(e);
      });
      try {
        await cluster.create<ConfigMap>({
          ...API.configMap,
          metadata: { name: `${run}-cm`, namespace: ns, labels: { run } },
          data: { 'app.yaml': 'level: info' },
          binaryData: { blob: 'AAE=' },
        });
        await cluster.patch(objectKey(API.configMap, ns, `${run}-cm`), {
          data: { 'app.yaml': 'level: debug' },
        });
        await soon(() => expect(events.map((e) => e.type)).toEqual(['ADDED', 'MODIFIED']));
        for (const event of events) expectNoContent(event.object);
        const full = await cluster.getFull<ConfigMap>(objectKey(API.configMap, ns, `${run}-cm`));
        expect(full?.binaryData).toEqual({ blob: 'AAE=' });
        expect((events[1]?.object as ConfigSummary).contentChecksum).toBe(contentChecksum(full as ConfigMap));
      } finally {
        stop();
      }
      const service = await cluster.create<KubeObject & { spec: unknown }>({
        ...API.service,
        metadata: { name: `${run}-svc`, namespace: ns, labels: { run } },
        spec: { ports: [{ port: 80 }], selector: { app: run } },
      });
      const read = await soon(async () => {
        const got = await cluster.get<KubeObject & { spec?: unknown }>(keyOf(service));
        expect(got).toBeDefined();
        return got;
      });
      expect(managedFieldsOf(read)).toBeUndefined();
      expect(read?.spec).toEqual(expect.objectContaining({ selector: { app: run } }));
    });
  });
}
