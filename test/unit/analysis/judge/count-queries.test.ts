import {
  BUILTIN_QUERY_MESHES,
  BuiltinQueryError,
  type BuiltinQueryMesh,
} from '../../../../analysis/builtin-queries.js';
import {
  builtinCountQueries,
  COUNT_QUERY_MESHES,
  leMatcher,
  observeCounts,
  type CountQueries,
} from '../../../../analysis/judge/count-queries.js';
import { MetricQueryError, type MetricQuery, type MetricsProvider } from '../../../../analysis/provider.js';

const params = { namespace: 'test', target: 'podinfo', primary: 'podinfo-primary', interval: '1m' };

/** Answers each query text from a table; records what it was asked. */
function tableProvider(
  answers: Record<string, number | undefined>,
): MetricsProvider & { asked: MetricQuery[] } {
  const asked: MetricQuery[] = [];
  return {
    asked,
    async query(q) {
      asked.push(q);
      if (!(q.text in answers)) throw new MetricQueryError(`unexpected query ${q.text}`);
      return answers[q.text];
    },
  };
}

const context = (provider: MetricsProvider) => ({
  provider,
  metric: 'request-success-rate',
  namespace: 'test',
  target: 'podinfo',
  intervalMs: 60_000,
});

describe('builtinCountQueries', () => {
  it('counts Istio requests, 5xx and requests within the edge per workload over the interval', () => {
    const q = builtinCountQueries('istio', { ...params, edgeMs: 250 });
    const sel = (wl: string) =>
      `reporter="destination",destination_workload_namespace="test",destination_workload="${wl}"`;
    expect(q).toEqual({
      canary: {
        requests: `sum(increase(istio_requests_total{${sel('podinfo')}}[1m]))`,
        errors: `sum(increase(istio_requests_total{${sel('podinfo')},response_code=~"5.*"}[1m]))`,
        withinEdge: `sum(increase(istio_request_duration_milliseconds_bucket{${sel('podinfo')},le=~"250|250\\\\.0"}[1m]))`,
      },
      primary: {
        requests: `sum(increase(istio_requests_total{${sel('podinfo-primary')}}[1m]))`,
        errors: `sum(increase(istio_requests_total{${sel('podinfo-primary')},response_code=~"5.*"}[1m]))`,
        withinEdge: `sum(increase(istio_request_duration_milliseconds_bucket{${sel('podinfo-primary')},le=~"250|250\\\\.0"}[1m]))`,
      },
      edgeMs: 250,
    });
  });

  it('matches the workload exactly: the canary query does not also count the primary', () => {
    const q = builtinCountQueries('istio', params);
    expect(q.canary.requests).toContain('destination_workload="podinfo"');
    expect(q.canary.requests).not.toContain('=~"podinfo"');
    expect(q.canary.withinEdge).toBeUndefined();
  });

  it('reads Linkerd through its SMI form, and the histogram edge in seconds for the HTTP observer', () => {
    expect(builtinCountQueries('smi:v1alpha1:linkerd', params).primary.errors).toBe(
      'sum(increase(response_total{namespace="test",deployment="podinfo-primary",direction="inbound",classification="failure"}[1m]))',
    );
    expect(builtinCountQueries('kubernetes', { ...params, edgeMs: 250 }).canary.withinEdge).toBe(
      'sum(increase(http_request_duration_seconds_bucket{kubernetes_namespace="test",kubernetes_pod_name=~"podinfo-[0-9a-zA-Z]+(-[0-9a-zA-Z]+)",le=~"0\\\\.25"}[1m]))',
    );
  });

  it('tells the NGINX canary backend from the primary by the canary label, and needs the Ingress', () => {
    const q = builtinCountQueries('nginx', { ...params, ingress: 'podinfo' });
    expect(q.canary.requests).toContain('canary!=""');
    expect(q.primary.requests).toContain('canary=""');
    expect(() => builtinCountQueries('nginx', params)).toThrow(/spec\.ingressRef\.name/);
  });

  it('reads the NGINX upstream histogram, as the builtin request-duration does', () => {
    expect(
      builtinCountQueries('nginx', { ...params, ingress: 'podinfo', edgeMs: 500 }).canary.withinEdge,
    ).toBe(
      'sum(increase(nginx_ingress_controller_response_duration_seconds_bucket{namespace="test",ingress="podinfo",canary!="",le=~"0\\\\.5"}[1m]))',
    );
  });

  it.each([
    [250, String.raw`le=~"250|250\\.0"`],
    [0.25, String.raw`le=~"0\\.25"`],
    [3_600_000, String.raw`le=~"3600000|3\\.6e\\+06"`],
    [0.00001, String.raw`le=~"0\\.00001|1e-05"`],
  ])('matches the bucket bound %s however the exporter or Prometheus 3 writes it', (bound, matcher) => {
    expect(leMatcher(bound)).toBe(matcher);
  });

  it('names the meshes it knows when asked for one without count queries', () => {
    expect(COUNT_QUERY_MESHES).toEqual(
      expect.arrayContaining(['istio', 'linkerd', 'kubernetes', 'gatewayapi:v1', 'nginx']),
    );
    expect(() => builtinCountQueries('contour', params)).toThrow(BuiltinQueryError);
    expect(() => builtinCountQueries('contour', params)).toThrow(/MetricTemplate count queries/);
  });

  it('has count queries for exactly the meshes of the builtin catalogue, each answering', () => {
    expect([...COUNT_QUERY_MESHES].sort()).toEqual([...BUILTIN_QUERY_MESHES].sort());
    for (const mesh of BUILTIN_QUERY_MESHES) {
      expect(builtinCountQueries(mesh, { ...params, ingress: 'podinfo' }).canary.requests).toMatch(
        /^sum\(increase\(/,
      );
    }
  });

  it('keys the count queries by a closed mesh type, so a table cannot gain a mesh alone', () => {
    // @ts-expect-error a mesh without builtin queries is no BuiltinQueryMesh (npm run typecheck fails if it were)
    const contour: BuiltinQueryMesh = 'contour';
    expect(COUNT_QUERY_MESHES).not.toContain(contour);
    // An inherited key is no mesh either: the look-up reads own keys only.
    expect(() => builtinCountQueries('constructor', params)).toThrow(BuiltinQueryError);
  });
});

describe('observeCounts', () => {
  const queries: CountQueries = {
    canary: { requests: 'cr', errors: 'ce', withinEdge: 'cw' },
    primary: { requests: 'pr', errors: 'pe', withinEdge: 'pw' },
    edgeMs: 250,
  };

  it('rounds the extrapolated counts and tells each query which count of which version it is', async () => {
    const provider = tableProvider({ cr: 99.7, ce: 1.2, cw: 90.4, pr: 900.2, pe: 4.6, pw: 880 });
    await expect(observeCounts(queries, context(provider))).resolves.toEqual({
      canary: { requests: 100, errors: 1, buckets: [{ le: 250, count: 90 }] },
      primary: { requests: 900, errors: 5, buckets: [{ le: 250, count: 880 }] },
    });
    const primaryErrors = provider.asked.find((q) => q.text === 'pe');
    expect(primaryErrors).toMatchObject({
      metric: 'request-success-rate',
      namespace: 'test',
      target: 'podinfo',
      intervalMs: 60_000,
      count: { version: 'primary', of: 'errors', edgeMs: 250 },
    });
    expect(primaryErrors).not.toHaveProperty('provider');
  });

  it('reads no 5xx series as 0 errors, and no request series as a version absent from the interval', async () => {
    const provider = tableProvider({
      cr: undefined,
      ce: undefined,
      cw: undefined,
      pr: 50,
      pe: undefined,
      pw: 50,
    });
    await expect(observeCounts(queries, context(provider))).resolves.toEqual({
      canary: undefined,
      primary: { requests: 50, errors: 0, buckets: [{ le: 250, count: 50 }] },
    });
  });

  it('never reports more errors or fast requests than requests (extrapolation rounds them apart)', async () => {
    const provider = tableProvider({ cr: 3.4, ce: 3.6, cw: 3.6, pr: 1, pe: 0, pw: 1 });
    const obs = await observeCounts(queries, context(provider));
    expect(obs.canary).toEqual({ requests: 3, errors: 3, buckets: [{ le: 250, count: 3 }] });
  });

  it('rejects no bucket at the edge while the version served requests: the edge is no bucket bound', async () => {
    const provider = tableProvider({ cr: 10, ce: 0, cw: undefined, pr: 0, pe: 0, pw: undefined });
    await expect(observeCounts(queries, context(provider))).rejects.toThrow(
      'the canary served 10 requests but no histogram bucket has le 250 ms',
    );
    const idle = tableProvider({ cr: 0, ce: 0, cw: undefined, pr: 0, pe: 0, pw: undefined });
    await expect(observeCounts(queries, context(idle))).resolves.toEqual({
      canary: { requests: 0, errors: 0, buckets: [{ le: 250, count: 0 }] },
      primary: { requests: 0, errors: 0, buckets: [{ le: 250, count: 0 }] },
    });
  });

  it('rejects a value that is not a count, naming the query', async () => {
    const provider = tableProvider({ cr: 10, ce: -1, cw: 10, pr: 10, pe: 0, pw: 10 });
    await expect(observeCounts(queries, context(provider))).rejects.toThrow(/-1, not a count >= 0: ce/);
  });

  it('skips the latency queries when latency is not judged', async () => {
    const provider = tableProvider({ cr: 10, ce: 0, pr: 10, pe: 0 });
    await expect(
      observeCounts(
        { canary: { requests: 'cr', errors: 'ce' }, primary: { requests: 'pr', errors: 'pe' } },
        context(provider),
      ),
    ).resolves.toEqual({ canary: { requests: 10, errors: 0 }, primary: { requests: 10, errors: 0 } });
    expect(provider.asked).toHaveLength(4);
  });
});
