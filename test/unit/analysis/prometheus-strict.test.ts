import fc from 'fast-check';
import { MetricQueryError, type MetricQuery } from '../../../analysis/provider.js';
import { MAX_PROMETHEUS_RESPONSE_BYTES, PrometheusProvider } from '../../../analysis/providers/prometheus.js';
import { parseGoFloat, parseInstantAnswer } from '../../../analysis/providers/prometheus-response.js';
import { judgeMetric } from '../../../analysis/run-checks.js';
import type { ResolvedMetric } from '../../../src/api/defaults.js';
import {
  echoHeaders,
  endless,
  json,
  startHostileServer,
  trickle,
  type HostileServer,
} from '../../support/hostile-server.js';

const query: MetricQuery = { text: 'up', metric: 'm', namespace: 'ns', target: 't', intervalMs: 60_000 };

const vector = (value: unknown) => ({
  status: 'success',
  data: { resultType: 'vector', result: [{ metric: {}, value: [1_700_000_000.5, value] }] },
});
const scalar = (result: unknown) => ({ status: 'success', data: { resultType: 'scalar', result } });

let server: HostileServer;
beforeEach(async () => {
  server = await startHostileServer(json(200, vector('1')));
});
afterEach(async () => {
  await server.stop();
});

async function outcome(provider: PrometheusProvider): Promise<number | undefined | MetricQueryError> {
  return provider.query(query).catch((e: unknown) => {
    expect(e).toBeInstanceOf(MetricQueryError);
    return e as MetricQueryError;
  });
}

describe('PrometheusProvider reads answers strictly', () => {
  it.each([
    ['a status other than success', { status: 'pending', data: vector('100').data }],
    ['an error with data', { status: 'error', error: 'x', data: vector('100').data }],
    ['success with an error field', { ...vector('100'), error: 'partial' }],
    ['a scalar given as a string', scalar('100')],
    ['a value with trailing garbage', vector('100abc')],
    ['a hex value without exponent', vector('0x64')],
    [
      'a value given as a one-element list',
      { status: 'success', data: { resultType: 'vector', result: [{ metric: {}, value: ['100'] }] } },
    ],
    ['a value that is a number, not a string', vector(100)],
    ['true', vector(true)],
    ['an empty string', vector('')],
    [
      'no metric labels',
      { status: 'success', data: { resultType: 'vector', result: [{ value: [1, '1'] }] } },
    ],
    ['an unknown resultType', { status: 'success', data: { resultType: 'table', result: [] } }],
    ['no data', { status: 'success' }],
    [
      'a timestamp that is a string',
      vector('1').data.result[0] && { status: 'success', data: { resultType: 'scalar', result: ['1', '1'] } },
    ],
  ])('fails the check on %s, saying what came back', async (_what, body) => {
    server.handle(json(200, body));
    const error = await outcome(new PrometheusProvider({ address: server.baseUrl }));
    expect(error).toBeInstanceOf(MetricQueryError);
    expect((error as Error).message).toMatch(/^Prometheus at http:\/\/127\.0\.0\.1:\d+ returned /);
    expect((error as Error).message).toContain('(query: up)');
  });

  it('quotes the unexpected answer, truncated', async () => {
    server.handle(
      json(200, { status: 'success', data: { resultType: 'vector', result: 'x'.repeat(5_000) } }),
    );
    const error = (await outcome(new PrometheusProvider({ address: server.baseUrl }))) as Error;
    expect(error.message).toContain('vector result is not a list: "xxxx');
    expect(error.message.length).toBeLessThan(400);
  });

  it.each([
    ['Inf', Infinity],
    ['+Inf', Infinity],
    ['-Inf', -Infinity],
    ['1e3', 1_000],
    ['-0.5', -0.5],
    ['0x1p-2', 0.25],
  ])('reads the Go float %s', async (text, value) => {
    server.handle(json(200, vector(text)));
    expect(await outcome(new PrometheusProvider({ address: server.baseUrl }))).toBe(value);
  });

  it('does not count "Inf", "" or true as no data under noDataPolicy pass', async () => {
    const metric = {
      name: 'm',
      interval: '1m',
      thresholdRange: { max: 5 },
      noDataPolicy: 'pass',
      templateVariables: {},
    } as unknown as ResolvedMetric;
    server.handle(json(200, vector('Inf')));
    const inf = await outcome(new PrometheusProvider({ address: server.baseUrl }));
    expect(judgeMetric(metric, inf as number, 'up').passed).toBe(false);
    for (const bad of ['', true]) {
      server.handle(json(200, vector(bad)));
      expect(await outcome(new PrometheusProvider({ address: server.baseUrl }))).toBeInstanceOf(
        MetricQueryError,
      );
    }
  });
});

describe('parseGoFloat', () => {
  it('reads every double as Prometheus formats it', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true }), (value) => {
        // Go formats negative zero as "-0"; JavaScript's String(-0) would say "0".
        const text =
          value === Infinity
            ? '+Inf'
            : value === -Infinity
              ? '-Inf'
              : Object.is(value, -0)
                ? '-0'
                : String(value);
        expect(parseGoFloat(text)).toBe(value);
      }),
    );
  });

  it('refuses any decimal literal followed by letters, and anything not a number', () => {
    fc.assert(
      fc.property(fc.integer(), fc.stringMatching(/^[g-zA-Z_ ]{1,5}$/), (n, tail) => {
        expect(parseGoFloat(`${n}${tail}`)).toBeUndefined();
      }),
    );
    for (const bad of [
      '',
      ' 1',
      '1 ',
      '0x64',
      '1_000',
      '--1',
      '.',
      'e5',
      'NaNa',
      '+NaN',
      'Infinit',
      '1e400',
    ]) {
      expect(parseGoFloat(bad)).toBeUndefined();
    }
  });
});

describe('parseInstantAnswer', () => {
  it('throws or gives a documented result for any JSON, never a misread value', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (body) => {
        let result;
        try {
          result = parseInstantAnswer(body);
        } catch (error) {
          expect((error as Error).name).toBe('PrometheusAnswerError');
          return;
        }
        // Random JSON is documented success only in the rarest shapes: then it is a real number.
        if (result.kind === 'value') expect(typeof result.value).toBe('number');
      }),
    );
  });

  it('reads any vector of one well-formed sample back exactly', () => {
    fc.assert(
      fc.property(
        // String(-0) is "0": the sample written here cannot carry the sign of -0.
        fc.double({ noNaN: true, noDefaultInfinity: true }).map((v) => (Object.is(v, -0) ? 0 : v)),
        fc.double({ min: 0, max: 4e9, noNaN: true }),
        (v, t) => {
          expect(parseInstantAnswer(vector(String(v)))).toEqual({ kind: 'value', value: v });
          expect(parseInstantAnswer(scalar([t, String(v)]))).toEqual({ kind: 'value', value: v });
        },
      ),
    );
  });
});

describe('PrometheusProvider bounds', () => {
  it('fails a check whose answer trickles in past the timeout, though bytes keep coming', async () => {
    server.handle(trickle(JSON.stringify(vector('1')), 40));
    const started = Date.now();
    const error = (await outcome(
      new PrometheusProvider({ address: server.baseUrl, timeoutMs: 500 }),
    )) as Error;
    expect(error.message).toBe(
      `Prometheus at ${server.baseUrl} query for m failed: no complete answer within 500ms (query: up)`,
    );
    expect(Date.now() - started).toBeLessThan(1_500);
  });

  it('fails a check whose answer is larger than the cap, reading no more than the cap', async () => {
    server.handle(endless());
    const before = process.memoryUsage().rss;
    const error = (await outcome(
      new PrometheusProvider({ address: server.baseUrl, timeoutMs: 10_000 }),
    )) as Error;
    expect(error.message).toContain('answer larger than 1 MiB; stopped reading');
    expect(process.memoryUsage().rss - before).toBeLessThan(64 * MAX_PROMETHEUS_RESPONSE_BYTES);
  });
});

describe('PrometheusProvider keeps credentials out of messages', () => {
  const token = 'tok-planted-0123456789';
  const password = 'pw-planted-9876';

  it('scrubs a bearer token quoted back in an error body', async () => {
    server.handle(echoHeaders(401));
    const provider = new PrometheusProvider({ address: server.baseUrl, auth: { bearerToken: token } });
    const error = (await outcome(provider)) as Error;
    expect(server.requests[0]?.headers.authorization).toBe(`Bearer ${token}`);
    expect(error.message).toContain('returned 401');
    expect(error.message).not.toContain(token);
  });

  it('sends user info in the address as basic auth and never shows it', async () => {
    server.handle(echoHeaders(500));
    const address = `${server.baseUrl.replace('http://', `http://admin:${password}@`)}/?token=${token}`;
    const error = (await outcome(new PrometheusProvider({ address }))) as Error;
    const basic = Buffer.from(`admin:${password}`).toString('base64');
    expect(server.requests[0]?.headers.authorization).toBe(`Basic ${basic}`);
    expect(server.requests[0]?.url).toContain(`token=${token}`);
    for (const planted of [password, token, basic]) expect(error.message).not.toContain(planted);
  });

  it('scrubs every value of the Secret the credentials came from', async () => {
    server.handle(json(500, { status: 'error', errorType: 'x', error: 'other key: extra-planted-42' }));
    const provider = new PrometheusProvider({
      address: server.baseUrl,
      auth: { bearerToken: token },
      secrets: [token, 'extra-planted-42'],
    });
    expect(((await outcome(provider)) as Error).message).not.toContain('extra-planted-42');
  });

  it('keeps credentials out of configuration errors', () => {
    expect(() => new PrometheusProvider({ address: `ftp://admin:${password}@prom` })).toThrow(
      /^(?!.*pw-planted).*must use http or https/,
    );
  });
});
