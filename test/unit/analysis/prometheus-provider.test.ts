import { MetricQueryError, type MetricQuery } from '../../../analysis/provider.js';
import { PrometheusConfigError, PrometheusProvider } from '../../../analysis/providers/prometheus.js';
import { startPrometheusApiStub, type PrometheusApiStub } from '../../support/prometheus.js';

const query: MetricQuery = {
  text: 'my_query',
  metric: 'latency',
  namespace: 'ns',
  target: 'app',
  intervalMs: 60_000,
};

function vector(...values: string[]): unknown {
  return {
    status: 'success',
    data: {
      resultType: 'vector',
      result: values.map((v, i) => ({ metric: { pod: `p${i}` }, value: [1_700_000_000, v] })),
    },
  };
}

let stub: PrometheusApiStub;
let provider: PrometheusProvider;

beforeEach(async () => {
  stub = await startPrometheusApiStub();
  provider = new PrometheusProvider({ address: stub.address });
});

afterEach(async () => {
  await stub.stop();
});

async function rejection(): Promise<Error> {
  const outcome = await provider.query(query).then(
    (value) => new Error(`resolved with ${value}`),
    (error: unknown) => error as Error,
  );
  expect(outcome).toBeInstanceOf(MetricQueryError);
  return outcome;
}

describe('PrometheusProvider results', () => {
  it('sends an instant query and returns the single value', async () => {
    stub.reply(() => ({ body: vector('99.25') }));
    expect(await provider.query(query)).toBe(99.25);
    expect(stub.requests[0]?.path).toBe('/api/v1/query');
    expect(stub.requests[0]?.params.get('query')).toBe('my_query');
    expect(stub.requests[0]?.params.get('time')).toMatch(/^\d+(\.\d+)?$/);
  });

  it('returns a scalar', async () => {
    stub.reply(() => ({ body: { status: 'success', data: { resultType: 'scalar', result: [1, '3.5'] } } }));
    expect(await provider.query(query)).toBe(3.5);
  });

  it('returns undefined for an empty vector (no data)', async () => {
    expect(await provider.query(query)).toBeUndefined();
  });

  it('returns undefined for NaN, in a vector or a scalar', async () => {
    stub.reply(() => ({ body: vector('NaN') }));
    expect(await provider.query(query)).toBeUndefined();
    stub.reply(() => ({ body: { status: 'success', data: { resultType: 'scalar', result: [1, 'NaN'] } } }));
    expect(await provider.query(query)).toBeUndefined();
  });

  it('returns +Inf and -Inf as infinities', async () => {
    stub.reply(() => ({ body: vector('+Inf') }));
    expect(await provider.query(query)).toBe(Infinity);
    stub.reply(() => ({ body: { status: 'success', data: { resultType: 'scalar', result: [1, '-Inf'] } } }));
    expect(await provider.query(query)).toBe(-Infinity);
  });

  it('rejects several series, naming how many and the query', async () => {
    stub.reply(() => ({ body: vector('1', '2', '3') }));
    const error = await rejection();
    expect(error.message).toBe(
      'query for latency returned 3 series, expected one (aggregate it, e.g. with sum()): my_query',
    );
  });

  it('rejects a range vector result', async () => {
    stub.reply(() => ({
      body: {
        status: 'success',
        data: { resultType: 'matrix', result: [{ metric: {}, values: [[1, '1']] }] },
      },
    }));
    expect((await rejection()).message).toContain('returned a matrix result, expected a single number');
  });

  it('rejects a Prometheus error with its status and message', async () => {
    stub.reply(() => ({
      status: 422,
      body: {
        status: 'error',
        errorType: 'execution',
        error: 'query processing would load too many samples',
      },
    }));
    const error = await rejection();
    expect(error.message).toBe(
      `Prometheus at ${stub.address} returned 422 for latency: query processing would load too many samples (query: my_query)`,
    );
    expect((error as MetricQueryError).cause).toBeDefined();
  });

  it('rejects a non-Prometheus error page with its status', async () => {
    stub.reply(() => ({ status: 502, body: '<html>Bad Gateway</html>' }));
    expect((await rejection()).message).toContain(`Prometheus at ${stub.address} returned 502`);
  });

  it('rejects a 200 answer that is not the Prometheus API', async () => {
    stub.reply(() => ({ body: '<html>login page</html>' }));
    expect((await rejection()).message).toContain("returned a response that is not the Prometheus API's");
  });
});

describe('PrometheusProvider credentials in errors', () => {
  it('keeps the token out of the error and its cause', async () => {
    const token = 'tok-0123456789';
    const secured = new PrometheusProvider({ address: stub.address, auth: { bearerToken: token } });
    stub.reply(() => ({ status: 500, body: { status: 'error', errorType: 'internal', error: 'boom' } }));
    const httpError = (await secured.query(query).catch((e: unknown) => e)) as MetricQueryError;
    expect(httpError.message).toContain('returned 500');
    expect(stub.requests[0]?.headers['authorization']).toBe(`Bearer ${token}`);
    await stub.stop();
    const netError = (await secured.query(query).catch((e: unknown) => e)) as MetricQueryError;
    expect(netError.message).toContain('is unreachable');
    for (const error of [httpError, netError]) {
      expect(error.cause).toBeDefined();
      expect(JSON.stringify(error.cause)).not.toContain(token);
      expect(Object.keys(error.cause as object).sort()).toEqual(
        error === httpError ? ['errorType', 'httpStatus'] : ['failure'],
      );
    }
  });
});

describe('PrometheusProvider options', () => {
  it.each([
    [{ address: '' }, 'address is required'],
    [{ address: '   ' }, 'address is required'],
    [{ address: 'prometheus:9090/x y' }, 'must use http or https'],
    [{ address: 'not a url' }, 'is not a URL'],
    [{ address: 'ftp://prometheus' }, 'must use http or https, not ftp'],
    [{ address: 'http://p', timeoutMs: 0 }, 'timeoutMs must be a positive number'],
    [{ address: 'http://p', auth: { bearerToken: '' } }, 'auth.bearerToken is empty'],
    [
      { address: 'http://p', auth: { username: '', password: 'x' } },
      'needs both auth.username and auth.password',
    ],
  ])('rejects %j at once', (options, message) => {
    expect(() => new PrometheusProvider(options)).toThrow(PrometheusConfigError);
    expect(() => new PrometheusProvider(options)).toThrow(message);
  });

  it('rejects a missing address from untyped input', () => {
    expect(() => new PrometheusProvider({} as never)).toThrow('Prometheus provider: address is required');
  });

  it('normalises the address', () => {
    expect(new PrometheusProvider({ address: ' http://prometheus:9090/ ' }).address).toBe(
      'http://prometheus:9090',
    );
  });
});
