/**
 * The Prometheus metrics provider: one instant query per check over the HTTP API. The only file
 * that does Prometheus I/O.
 *
 * A small client over {@link boundedFetch} rather than `prometheus-query`: that driver (axios
 * underneath) could be given a signal and a size cap, but it parses the answer itself, with
 * `parseFloat` and without checking its shape (`"100abc"` was 100, `"0x64"` 0, a `status` other
 * than `success` passed), and hands back numbers, not the strings a strict reading needs.
 */
import { Agent as HttpsAgent } from 'node:https';
import { formatDuration } from '../../src/api/duration.js';
import {
  boundedFetch,
  OutboundCallError,
  type OutboundResponse,
  type SendFn,
} from '../../src/http/outbound.js';
import { credentialsOf, safeUrl, scrub } from '../../src/http/scrub.js';
import { MetricQueryError, type MetricQuery, type MetricsProvider } from '../provider.js';
import {
  excerpt,
  parseInstantAnswer,
  PrometheusAnswerError,
  prometheusError,
} from './prometheus-response.js';

/** Default time allowed for one query, request, evaluation and the whole answer included. */
export const DEFAULT_PROMETHEUS_TIMEOUT_MS = 5_000;

/**
 * Bytes of one answer read at most. An instant query for one check answers one sample (about
 * 200 bytes with its labels); a larger answer is a query returning many series, failed anyway.
 */
export const MAX_PROMETHEUS_RESPONSE_BYTES = 1024 * 1024;

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
  /**
   * Every value of the Secret the credentials came from: scrubbed from every message, whatever
   * the server quotes back.
   */
  secrets?: readonly string[] | undefined;
  /** Sends the request (default {@link boundedFetch}); tests wrap it. */
  send?: SendFn | undefined;
}

/** Options that cannot work: no or malformed address, half-filled credentials, bad timeout. */
export class PrometheusConfigError extends Error {
  override name = 'PrometheusConfigError';
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
      `Prometheus provider: address "${scrub(address)}" is not a URL (expected http(s)://host:port)`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new PrometheusConfigError(
      `Prometheus provider: address "${scrub(address)}" must use http or https, not ${url.protocol.replace(/:$/, '')}`,
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

/** Runs queries against one Prometheus server. */
export class PrometheusProvider implements MetricsProvider {
  /** The address queries go to, without a trailing slash (it may hold credentials: never shown). */
  readonly address: string;
  /** The address as messages show it: no user info, no query. */
  readonly shownAddress: string;
  private readonly endpoint: URL;
  private readonly headers: Record<string, string>;
  private readonly secrets: string[];
  private readonly timeoutMs: number;
  private readonly agent: HttpsAgent | undefined;
  private readonly send: SendFn;

  constructor(options: PrometheusProviderOptions) {
    this.address = validateAddress(options.address);
    const auth = validateAuth(options.auth);
    this.timeoutMs = options.timeoutMs ?? DEFAULT_PROMETHEUS_TIMEOUT_MS;
    if (!Number.isFinite(this.timeoutMs) || this.timeoutMs <= 0) {
      throw new PrometheusConfigError(
        `Prometheus provider: timeoutMs must be a positive number, got ${options.timeoutMs}`,
      );
    }
    const base = new URL(this.address);
    this.shownAddress = safeUrl(base).replace(/\/$/, '');
    this.headers = { Accept: 'application/json', ...(options.headers ?? {}) };
    if (auth && 'bearerToken' in auth) this.headers['Authorization'] = `Bearer ${auth.bearerToken}`;
    if (auth && 'username' in auth) this.headers['Authorization'] = basic(auth.username, auth.password);
    // User info in the address is basic auth, as Go's HTTP client (Flagger's) reads it.
    if (!auth && (base.username || base.password)) {
      this.headers['Authorization'] = basic(
        decodeURIComponent(base.username),
        decodeURIComponent(base.password),
      );
    }
    this.secrets = credentialsOf({ url: base, headers: this.headers, secrets: options.secrets });
    this.endpoint = new URL(base.href);
    this.endpoint.username = '';
    this.endpoint.password = '';
    this.endpoint.pathname = `${this.endpoint.pathname.replace(/\/+$/, '')}/api/v1/query`;
    this.agent = options.insecureSkipVerify ? new HttpsAgent({ rejectUnauthorized: false }) : undefined;
    this.send = options.send ?? boundedFetch;
  }

  /**
   * Runs `query.text` as an instant query. Resolves to its single value, or `undefined` for an
   * empty result or NaN. Rejects with {@link MetricQueryError} when Prometheus is unreachable, is
   * too slow (the timeout covers the whole answer), answers too much, answers an error, answers
   * anything but the documented shape, or returns more than one series.
   */
  async query(query: MetricQuery): Promise<number | undefined> {
    const url = new URL(this.endpoint.href);
    url.searchParams.set('query', query.text);
    url.searchParams.set('time', (Date.now() / 1_000).toFixed(3));
    url.searchParams.set('timeout', `${Math.max(1, Math.floor(this.timeoutMs / 1_000))}s`);
    let response: OutboundResponse;
    try {
      response = await this.send({
        url,
        method: 'GET',
        headers: this.headers,
        deadlineMs: this.timeoutMs,
        maxBytes: MAX_PROMETHEUS_RESPONSE_BYTES,
        what: `Prometheus query for ${query.metric}`,
        agent: this.agent,
      });
    } catch (error) {
      const reason =
        error instanceof OutboundCallError && error.failure === 'deadline'
          ? `no complete answer within ${formatDuration(this.timeoutMs)}`
          : error instanceof Error
            ? error.message
            : String(error);
      const unreachable = error instanceof OutboundCallError && error.failure === 'network';
      throw this.error(
        unreachable
          ? `is unreachable for ${query.metric}: ${reason}`
          : `query for ${query.metric} failed: ${reason}`,
        query,
        { failure: error instanceof OutboundCallError ? error.failure : 'unexpected' },
      );
    }
    return this.read(response, query);
  }

  private read(response: OutboundResponse, query: MetricQuery): number | undefined {
    const text = response.body.toString('utf8');
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    const ok = response.status >= 200 && response.status <= 299;
    const failed = prometheusError(body);
    if (!ok || failed) {
      const status = ok ? `an error (HTTP ${response.status})` : `${response.status}`;
      const why = failed ? failed.error : excerpt(text);
      throw this.error(`returned ${status} for ${query.metric}: ${why}`, query, {
        httpStatus: response.status,
        errorType: failed?.errorType ?? 'http',
      });
    }
    if (body === undefined) {
      throw this.error(
        `returned a response that is not the Prometheus API's for ${query.metric} (check the address): ${excerpt(text)}`,
        query,
      );
    }
    let result: ReturnType<typeof parseInstantAnswer>;
    try {
      result = parseInstantAnswer(body);
    } catch (error) {
      if (!(error instanceof PrometheusAnswerError)) throw error;
      throw this.error(`returned an answer Fledge cannot read for ${query.metric}: ${error.message}`, query);
    }
    switch (result.kind) {
      case 'value':
        return result.value;
      case 'empty':
        return undefined;
      case 'series':
        throw new MetricQueryError(
          scrub(
            `query for ${query.metric} returned ${result.count} series, expected one (aggregate it, e.g. with sum()): ${query.text}`,
            this.secrets,
          ),
        );
      case 'other':
        throw new MetricQueryError(
          scrub(
            `query for ${query.metric} returned a ${result.resultType} result, expected a single number (instant vector or scalar): ${query.text}`,
            this.secrets,
          ),
        );
    }
  }

  /** A failure naming the server and the query, with every credential of the call scrubbed. */
  private error(what: string, query: MetricQuery, cause?: Record<string, unknown>): MetricQueryError {
    // The cause is a plain summary, never the request: a logged cause cannot carry a header.
    return new MetricQueryError(
      scrub(`Prometheus at ${this.shownAddress} ${what} (query: ${query.text})`, this.secrets),
      cause ? { cause } : undefined,
    );
  }
}

function basic(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
}
