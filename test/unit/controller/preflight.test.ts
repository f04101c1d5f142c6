import { ApiUnreachableError, UnknownKindError } from '../../../src/kube/client/errors.js';
import { KubeApiError, type Cluster, type KubeObject } from '../../../src/kube/cluster.js';
import {
  PreflightError,
  controllerRequirements,
  preflightWithRetry,
  runPreflight,
} from '../../../src/controller/preflight.js';

/** A cluster whose list and access reviews answer as scripted. */
function scriptedCluster(o: {
  list?: (kind: string) => unknown;
  allowed?: (attrs: Record<string, string>) => boolean;
}) {
  const reviews: Record<string, string>[] = [];
  const cluster = {
    list: async (key: { kind: string }) => {
      const failure = o.list?.(key.kind);
      if (failure) throw failure;
      return [];
    },
    create: async (object: KubeObject & { spec: { resourceAttributes: Record<string, string> } }) => {
      reviews.push(object.spec.resourceAttributes);
      return { ...object, status: { allowed: o.allowed?.(object.spec.resourceAttributes) ?? true } };
    },
  } as unknown as Cluster;
  return { cluster, reviews };
}

const options = { namespace: undefined, leaseNamespace: 'fledge-system', meshProvider: 'istio' };

describe('preflight', () => {
  it('passes when the kinds are served and every access review allows', async () => {
    const { cluster, reviews } = scriptedCluster({});
    expect(await runPreflight(cluster, options)).toEqual([]);
    expect(reviews).toHaveLength(controllerRequirements(options).length);
    expect(reviews).toContainEqual({
      group: 'fledge.dev',
      resource: 'canaries',
      subresource: 'status',
      verb: 'patch',
    });
    expect(reviews).toContainEqual({
      group: 'coordination.k8s.io',
      resource: 'leases',
      verb: 'create',
      namespace: 'fledge-system',
    });
    expect(reviews).toContainEqual({
      group: 'networking.istio.io',
      resource: 'virtualservices',
      verb: 'patch',
    });
  });

  it('asks for the Ingress permissions with --mesh-provider nginx, and no mesh object with kubernetes', () => {
    const nginx = controllerRequirements({ ...options, meshProvider: 'nginx' });
    for (const verb of ['list', 'watch', 'create', 'update', 'patch'])
      expect(nginx).toContainEqual(
        expect.objectContaining({ group: 'networking.k8s.io', resource: 'ingresses', verb }),
      );
    const kubernetes = controllerRequirements({ ...options, meshProvider: 'kubernetes' });
    expect(kubernetes.filter((r) => r.group.startsWith('networking.'))).toEqual([]);
  });

  it.each(['linkerd', 'smi:v1alpha2', 'smi:v1alpha3:osm'])(
    'checks the TrafficSplit permissions with --mesh-provider %s',
    (meshProvider) => {
      const splits = controllerRequirements({ ...options, meshProvider }).filter(
        (r) => r.group === 'split.smi-spec.io',
      );
      expect(splits.map((r) => `${r.resource}:${r.verb}`)).toEqual(
        ['list', 'watch', 'create', 'update', 'patch'].map((verb) => `trafficsplits:${verb}`),
      );
    },
  );

  it.each(['gatewayapi:v1', 'gatewayapi:v1beta1'])('checks the HTTPRoute verbs for %s', (meshProvider) => {
    const routes = controllerRequirements({ ...options, meshProvider }).filter(
      (r) => r.resource === 'httproutes',
    );
    expect(routes.map((r) => `${r.group} ${r.verb}`)).toEqual(
      ['list', 'watch', 'create', 'update', 'patch'].map((verb) => `gateway.networking.k8s.io ${verb}`),
    );
  });

  it('names each missing CRD, and stops at an unreachable server', async () => {
    const missing = scriptedCluster({
      list: (kind) => (kind === 'Canary' ? undefined : new UnknownKindError(`no ${kind}`)),
    });
    const problems = await runPreflight(missing.cluster, options);
    expect(problems.map((p) => p.kind)).toEqual(['missing-crd', 'missing-crd']);
    expect(problems[0]?.message).toContain(
      'CustomResourceDefinition metrictemplates.fledge.dev is not installed',
    );

    const down = scriptedCluster({
      list: () => new ApiUnreachableError('GET https://10.0.0.1:6443/apis: ECONNREFUSED'),
    });
    expect(await runPreflight(down.cluster, options)).toEqual([
      {
        kind: 'unreachable',
        message: 'API server unreachable: GET https://10.0.0.1:6443/apis: ECONNREFUSED',
      },
    ]);
    expect(down.reviews).toEqual([]);
  });

  it('lists every denied verb in one message, scoped to the watched namespace', async () => {
    const { cluster } = scriptedCluster({ allowed: (a) => a['verb'] !== 'patch' });
    const problems = await runPreflight(cluster, {
      ...options,
      namespace: 'apps',
      leaseNamespace: undefined,
    });
    expect(problems).toHaveLength(1);
    expect(problems[0]?.kind).toBe('forbidden');
    expect(problems[0]?.message).toContain('patch canaries/status.fledge.dev in namespace apps');
    expect(problems[0]?.message).toContain('patch services in namespace apps');
    expect(problems[0]?.message).not.toContain('leases');
    const forbidden = scriptedCluster({
      list: () => new KubeApiError('list canaries: forbidden (HTTP 403)', 403),
    });
    expect((await runPreflight(forbidden.cluster, options))[0]?.kind).toBe('forbidden');
  });

  it('retries with backoff until the checks pass', async () => {
    let failures = 2;
    const { cluster } = scriptedCluster({
      list: () => (failures > 0 ? new ApiUnreachableError('refused') : undefined),
    });
    const waits: number[] = [];
    let clock = 0;
    await preflightWithRetry(cluster, {
      ...options,
      timeoutMs: 60_000,
      now: () => clock,
      sleep: async (ms) => {
        waits.push(ms);
        clock += ms;
        failures -= 1;
      },
    });
    expect(waits).toEqual([1_000, 2_000]);
  });

  it('gives up after the timeout with every problem of the last attempt', async () => {
    const { cluster } = scriptedCluster({ list: (kind) => new UnknownKindError(`no ${kind}`) });
    let clock = 0;
    const attempt = preflightWithRetry(cluster, {
      ...options,
      timeoutMs: 10_000,
      maxDelayMs: 4_000,
      now: () => clock,
      sleep: async (ms) => void (clock += ms),
    });
    await expect(attempt).rejects.toBeInstanceOf(PreflightError);
    await expect(attempt).rejects.toThrow(
      /canaries\.fledge\.dev is not installed.*alertproviders\.fledge\.dev/,
    );
    expect(clock).toBe(10_000);
  });
});
