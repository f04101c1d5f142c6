/**
 * The Prometheus metrics provider: one instant query per check over the HTTP API. The only file
 * that imports `prometheus-query`.
 */
import { Agent as HttpsAgent } from 'node:https';
import { PrometheusDriver, type PrometheusConnectionOptions, type QueryResult } from 'prometheus-query';
import { MetricQueryError, type MetricQuery, type MetricsProvider } from '../provider.js';

/** Default time allowed for one query, request and evaluation included. */
export const DEFAULT_PROMETHEUS_TIMEOUT_MS = 5_000;

/** Credentials, read from the Secret named by the MetricTemplate's `secretRef` by the caller. */
export type PrometheusAuth = { bearerToken: string } | { username: string; password: string };

/** Options of {@link PrometheusProvider}. */
export interface PrometheusProviderOptions {
  /** Base address of the server, e.g. `http://prometheus.istio-system:9090` (a path prefix is kept). */
  address: string;
  /** Bearer token or basic-auth credentials. */
  auth?: PrometheusAuth | undefined;
  /** Extra HTTP headers sent with every query (e.g. a tenant id for a multi-tenant proxy). */
  headers?: Readonly<Record<string, string>> | undefined;
  /** Time allowed for one query (default {@link DEFAULT_PROMETHEUS_TIMEOUT_MS}). */
  timeoutMs?: number | undefined;
  /** Accept any TLS certificate (self-signed servers). */
  insecureSkipVerify?: boolean | undefined;
}

/** Options that cannot work: no or malformed address, half-filled credentials, bad timeout. */
export class PrometheusConfigError extends Error {
  override name = 'PrometheusConfigError';
}

// The HTTP client's types, reached through the driver's options rather than a direct dependency.
type Interceptors = Required<Pick<PrometheusConnectionOptions, 'requestInterceptor' | 'responseInterceptor'>>;
type RequestConfig = Parameters<Interceptors['requestInterceptor']['onFulfilled']>[0];
type HttpResponse = Parameters<Interceptors['responseInterceptor']['onFulfilled']>[0];

/** The part of the HTTP client's error this file reads. */
interface HttpError {
  response?: { status: number; statusText?: string; data: unknown } | undefined;
}

/** The shape `prometheus-query` rejects with (a plain object, not an Error). */
interface DriverFailure {
  errorType?: string;
  error?: string;
  httpStatus?: number;
  code?: string;
  /** What the driver caught, when it re-wrapped one of its own failures as a network error. */
  original?: unknown;
}

function validateAddress(address: unknown): string {
  if (typeof address !== 'string' || address.trim() === '') {
    throw new PrometheusConfigError('Prometheus provider: address is required (e.g. http://prometheus:9090)');
  }
  let url: URL;
  try {
    url = new URL(address.trim());
  } catch {
    throw new PrometheusConfigError(
      `Prometheus provider: address "${address}" is not a URL (expected http(s)://host:port)`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new PrometheusConfigError(
      `Prometheus provider: address "${address}" must use http or https, not ${url.protocol.replace(/:$/, '')}`,
    );
  }
  return address.trim().replace(/\/+$/, '');
}

function validateAuth(auth: PrometheusAuth | undefined): PrometheusAuth | undefined {
  if (auth === undefined) return undefined;
  if ('bearerToken' in auth) {
    if (typeof auth.bearerToken !== 'string' || auth.bearerToken === '') {
      throw new PrometheusConfigError('Prometheus provider: auth.bearerToken is empty');
    }
    return auth;
  }
  if (typeof auth.username !== 'string' || auth.username === '' || typeof auth.password !== 'string') {
    throw new PrometheusConfigError(
      'Prometheus provider: basic auth needs both auth.username and auth.password',
    );
  }
  return auth;
}

function isDriverFailure(value: unknown): value is DriverFailure {
  return typeof value === 'object' && value !== null && 'errorType' in value;
}

/**
 * Prometheus writes +Inf as "+Inf", which `parseFloat` (used by the driver) reads as NaN. A p99
 * beyond the largest bucket must fail a `max` bound, not count as "no data", so the sample strings
 * are rewritten to the spelling `parseFloat` understands before the driver parses them.
 */
function fixInfinities(result: unknown): void {
  const fixSample = (sample: unknown): void => {
    if (!Array.isArray(sample)) return;
    if (sample[1] === '+Inf') sample[1] = 'Infinity';
    else if (sample[1] === '-Inf') sample[1] = '-Infinity';
  };
  if (!Array.isArray(result)) return;
  if (result.length === 2 && !Array.isArray(result[0]) && typeof result[0] !== 'object') {
    fixSample(result); // scalar: [time, "value"]
    return;
  }
  for (const series of result) {
    if (typeof series === 'object' && series !== null && 'value' in series) {
      fixSample((series as { value: unknown }).value);
    }
  }
}

function onResponse(response: HttpResponse): HttpResponse {
  const body: unknown = response.data;
  if (typeof body === 'object' && body !== null && 'data' in body) {
    const data = (body as { data: unknown }).data;
    if (typeof data === 'object' && data !== null && 'result' in data) {
      fixInfinities((data as { result: unknown }).result);
    }
  }
  return response;
}

/**
 * A proxy in front of Prometheus (or a wrong address) answers errors with a body that is not the
 * Prometheus JSON envelope; the driver would then drop the HTTP status. Wrap such bodies in the
 * envelope so the status reaches the error message.
 */
function onResponseError(error: unknown): Promise<never> {
  const response = (error as HttpError | undefined)?.response;
  if (response) {
    const body: unknown = response.data;
    if (typeof body !== 'object' || body === null || !('status' in body)) {
      const text = typeof body === 'string' ? body.trim().slice(0, 200) : '';
      response.data = { status: 'error', errorType: 'http', error: text || response.statusText || 'no body' };
    }
  }
  return Promise.reject(error);
}

/** Runs queries against one Prometheus server. */
export class PrometheusProvider implements MetricsProvider {
  /** The address queries go to, without a trailing slash. */
  readonly address: string;
  private readonly driver: PrometheusDriver;
  private readonly timeoutMs: number;

  constructor(options: PrometheusProviderOptions) {
    this.address = validateAddress(options.address);
    const auth = validateAuth(options.auth);
    this.timeoutMs = options.timeoutMs ?? DEFAULT_PROMETHEUS_TIMEOUT_MS;
    if (!Number.isFinite(this.timeoutMs) || this.timeoutMs <= 0) {
      throw new PrometheusConfigError(
        `Prometheus provider: timeoutMs must be a positive number, got ${options.timeoutMs}`,
      );
    }
    const headers: Record<string, string> = { ...(options.headers ?? {}) };
    if (auth && 'bearerToken' in auth) headers['Authorization'] = `Bearer ${auth.bearerToken}`;
    // Basic auth is set here rather than through the driver, which drops it when the password is empty.
    if (auth && 'username' in auth) {
      headers['Authorization'] =
        `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`;
    }
    const httpsAgent = options.insecureSkipVerify ? new HttpsAgent({ rejectUnauthorized: false }) : undefined;
    const connection: PrometheusConnectionOptions = {
      endpoint: this.address,
      headers,
      timeout: this.timeoutMs,
      requestInterceptor: {
        onFulfilled: (config: RequestConfig) => {
          if (httpsAgent) config.httpsAgent = httpsAgent;
          return config;
        },
      },
      responseInterceptor: { onFulfilled: onResponse, onRejected: onResponseError },
    };
    this.driver = new PrometheusDriver(connection);
  }

  /**
   * Runs `query.text` as an instant query. Resolves to its single value, or `undefined` for an
   * empty result or NaN. Rejects with {@link MetricQueryError} when Prometheus is unreachable,
   * answers an error, or returns more than one series.
   */
  async query(query: MetricQuery): Promise<number | undefined> {
    let result: QueryResult;
    try {
      const evaluationTimeout = `${Math.max(1, Math.floor(this.timeoutMs / 1_000))}s`;
      result = await this.driver.instantQuery(query.text, new Date(), evaluationTimeout);
    } catch (error) {
      throw this.failure(error, query);
    }
    return this.singleValue(result, query);
  }

  private singleValue(result: QueryResult, query: MetricQuery): number | undefined {
    let value: number;
    switch (result.resultType) {
      case 'scalar': {
        const sample = result.result as unknown as [number, string];
        value = parseFloat(sample[1]);
        break;
      }
      case 'vector': {
        const series = result.result as { value: { value: number } }[];
        if (series.length === 0) return undefined;
        if (series.length > 1) {
          throw new MetricQueryError(
            `query for ${query.metric} returned ${series.length} series, expected one (aggregate it, e.g. with sum()): ${query.text}`,
          );
        }
        value = (series[0] as { value: { value: number } }).value.value;
        break;
      }
      default:
        throw new MetricQueryError(
          `query for ${query.metric} returned a ${result.resultType} result, expected a single number (instant vector or scalar): ${query.text}`,
        );
    }
    return Number.isNaN(value) ? undefined : value;
  }

  private failure(error: unknown, query: MetricQuery): MetricQueryError {
    const where = `Prometheus at ${this.address}`;
    // The driver catches its own "not a Prometheus answer" failure and re-throws it as a network error.
    if (isDriverFailure(error) && isDriverFailure(error.original)) error = error.original;
    if (isDriverFailure(error)) {
      // The driver's failure object holds the HTTP request, Authorization header included: keep
      // only the fields that explain the failure, so logging the cause cannot leak credentials.
      const { errorType, error: reason, httpStatus, code } = error;
      const cause = { errorType, error: reason, httpStatus, code };
      if (error.httpStatus !== undefined) {
        return new MetricQueryError(
          `${where} returned ${error.httpStatus} for ${query.metric}: ${error.error ?? 'no message'} (query: ${query.text})`,
          { cause },
        );
      }
      if (error.errorType === 'timeout_error') {
        return new MetricQueryError(
          `${where} is unreachable: no answer within ${this.timeoutMs}ms for ${query.metric} (query: ${query.text})`,
          { cause },
        );
      }
      if (error.errorType === 'client_error') {
        return new MetricQueryError(
          `${where} returned a response that is not the Prometheus API's for ${query.metric} (check the address) (query: ${query.text})`,
          { cause },
        );
      }
      const prefix = code ? `${code}: ` : '';
      return new MetricQueryError(
        `${where} is unreachable for ${query.metric}: ${prefix}${error.error ?? 'network error'} (query: ${query.text})`,
        { cause },
      );
    }
    const message = error instanceof Error ? error.message : String(error);
    return new MetricQueryError(
      `${where} query for ${query.metric} failed: ${message} (query: ${query.text})`,
      {
        cause: error,
      },
    );
  }
}
