/** Options of the BullMQ scheduler: their types, defaults and validation (no I/O). */
import type { Logger } from 'pino';

/** Where Redis is. */
export interface RedisConnectionOptions {
  /** `redis://[user:password@]host:port[/db]`, or `rediss://...` for TLS. */
  url: string;
  /** Password, when it is not in the URL (e.g. read from a Secret). Wins over one in the URL. */
  password?: string;
}

/** Options of `BullMqScheduler`. */
export interface BullMqSchedulerOptions {
  connection: RedisConnectionOptions;
  /** Prefix of every Redis key of the queue (default {@link DEFAULT_PREFIX}); replicas that share work share it. */
  prefix?: string;
  /** Name of the queue (default {@link DEFAULT_QUEUE_NAME}). */
  queueName?: string;
  /** Ticks this process runs at once, across canaries (default {@link DEFAULT_CONCURRENCY}). */
  concurrency?: number;
  /** Where problems (Redis unreachable, a failed tick) are logged; silent by default. */
  logger?: Logger;
  /**
   * How long a worker owns a running tick without renewing it (renewed at half this). A worker
   * that dies loses its ticks after this long; they then run elsewhere. Default
   * {@link DEFAULT_LOCK_DURATION_MS}.
   */
  lockDurationMs?: number;
  /** How often workers look for ticks whose worker died (default {@link DEFAULT_STALLED_INTERVAL_MS}). */
  stalledIntervalMs?: number;
  /** A trigger that finds a tick of its canary running is retried after this long (default {@link DEFAULT_BUSY_RETRY_DELAY_MS}). */
  busyRetryDelayMs?: number;
  /** Longest wait between two attempts to reach Redis (default {@link DEFAULT_MAX_RECONNECT_DELAY_MS}). */
  maxReconnectDelayMs?: number;
  /**
   * How long `stop()` waits for Redis to acknowledge the end of the ticks in flight and the
   * closing of connections, once the ticks themselves have returned; then it cuts the
   * connections. Default {@link DEFAULT_CLOSE_TIMEOUT_MS}.
   */
  closeTimeoutMs?: number;
  /** How long `metrics()` waits for Redis (default {@link DEFAULT_METRICS_TIMEOUT_MS}). */
  metricsTimeoutMs?: number;
}

export const DEFAULT_PREFIX = 'fledge';
export const DEFAULT_QUEUE_NAME = 'canary-ticks';
export const DEFAULT_CONCURRENCY = 8;
export const DEFAULT_LOCK_DURATION_MS = 30_000;
export const DEFAULT_STALLED_INTERVAL_MS = 30_000;
export const DEFAULT_BUSY_RETRY_DELAY_MS = 500;
export const DEFAULT_MAX_RECONNECT_DELAY_MS = 5_000;
export const DEFAULT_CLOSE_TIMEOUT_MS = 5_000;
export const DEFAULT_METRICS_TIMEOUT_MS = 2_000;

/** Thrown by the constructor for options that cannot work; names the field and the reason. */
export class SchedulerOptionsError extends Error {
  override name = 'SchedulerOptionsError';
}

/** Options with every default filled in, checked. */
export interface ResolvedBullMqSchedulerOptions {
  url: string;
  password: string | undefined;
  /** The URL without credentials, safe to log. */
  safeUrl: string;
  prefix: string;
  queueName: string;
  concurrency: number;
  lockDurationMs: number;
  stalledIntervalMs: number;
  busyRetryDelayMs: number;
  maxReconnectDelayMs: number;
  closeTimeoutMs: number;
  metricsTimeoutMs: number;
}

function positiveInteger(field: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
    throw new SchedulerOptionsError(`${field} must be a positive integer, got ${String(value)}`);
  }
  return value;
}

/** A Redis key segment: no whitespace, no `:` (BullMQ separates its keys with it), not empty. */
function keySegment(field: string, value: string | undefined, fallback: string): string {
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || !/^[A-Za-z0-9_.{}-]+$/.test(value)) {
    throw new SchedulerOptionsError(
      `${field} must be a non-empty string of letters, digits, '_', '.', '-', '{' or '}', got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

/** Checks the options and fills in defaults; throws {@link SchedulerOptionsError} naming the bad field. */
export function resolveBullMqSchedulerOptions(
  options: BullMqSchedulerOptions,
): ResolvedBullMqSchedulerOptions {
  const connection = options?.connection;
  if (!connection || typeof connection.url !== 'string' || connection.url === '') {
    throw new SchedulerOptionsError('connection.url is required (redis://host:port or rediss://host:port)');
  }
  let parsed: URL;
  try {
    parsed = new URL(connection.url);
  } catch {
    throw new SchedulerOptionsError(
      'connection.url is not a valid URL (expected redis://host:port or rediss://host:port)',
    );
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw new SchedulerOptionsError(
      `connection.url must use redis:// or rediss:// (TLS), got ${parsed.protocol.replace(/:$/, '')}://`,
    );
  }
  if (!parsed.hostname) throw new SchedulerOptionsError('connection.url has no host');
  if (connection.password !== undefined && typeof connection.password !== 'string') {
    throw new SchedulerOptionsError('connection.password must be a string');
  }
  const lockDurationMs = positiveInteger('lockDurationMs', options.lockDurationMs, DEFAULT_LOCK_DURATION_MS);
  if (lockDurationMs < 100) {
    throw new SchedulerOptionsError(`lockDurationMs must be at least 100, got ${lockDurationMs}`);
  }
  const safe = new URL(parsed.href);
  safe.username = '';
  safe.password = '';
  return {
    url: connection.url,
    password: connection.password,
    safeUrl: `${safe.protocol}//${safe.host}${safe.pathname === '/' ? '' : safe.pathname}`,
    prefix: keySegment('prefix', options.prefix, DEFAULT_PREFIX),
    queueName: keySegment('queueName', options.queueName, DEFAULT_QUEUE_NAME),
    concurrency: positiveInteger('concurrency', options.concurrency, DEFAULT_CONCURRENCY),
    lockDurationMs,
    stalledIntervalMs: positiveInteger(
      'stalledIntervalMs',
      options.stalledIntervalMs,
      DEFAULT_STALLED_INTERVAL_MS,
    ),
    busyRetryDelayMs: positiveInteger(
      'busyRetryDelayMs',
      options.busyRetryDelayMs,
      DEFAULT_BUSY_RETRY_DELAY_MS,
    ),
    maxReconnectDelayMs: positiveInteger(
      'maxReconnectDelayMs',
      options.maxReconnectDelayMs,
      DEFAULT_MAX_RECONNECT_DELAY_MS,
    ),
    closeTimeoutMs: positiveInteger('closeTimeoutMs', options.closeTimeoutMs, DEFAULT_CLOSE_TIMEOUT_MS),
    metricsTimeoutMs: positiveInteger(
      'metricsTimeoutMs',
      options.metricsTimeoutMs,
      DEFAULT_METRICS_TIMEOUT_MS,
    ),
  };
}

/** Delay before reconnect attempt `attempt` (1-based): doubling from 50 ms, capped at `maxMs`. */
export function reconnectDelayMs(attempt: number, maxMs: number): number {
  return Math.min(maxMs, 50 * 2 ** Math.min(Math.max(attempt - 1, 0), 20));
}
