import {
  DEFAULT_CONCURRENCY,
  DEFAULT_LOCK_DURATION_MS,
  DEFAULT_PREFIX,
  DEFAULT_QUEUE_NAME,
  DEFAULT_STALLED_INTERVAL_MS,
  SchedulerOptionsError,
  reconnectDelayMs,
  resolveBullMqSchedulerOptions,
  type BullMqSchedulerOptions,
} from '../../../src/scheduler/bullmq-options.js';
import { BullMqScheduler } from '../../../src/scheduler/bullmq-scheduler.js';

const url = 'redis://127.0.0.1:6379';

describe('BullMqScheduler options', () => {
  it('fills in defaults and keeps the password out of the URL it logs', () => {
    const resolved = resolveBullMqSchedulerOptions({
      connection: { url: 'rediss://user:pw@redis.example:6380/2' },
    });
    expect(resolved).toMatchObject({
      url: 'rediss://user:pw@redis.example:6380/2',
      password: undefined,
      safeUrl: 'rediss://redis.example:6380/2',
      prefix: DEFAULT_PREFIX,
      queueName: DEFAULT_QUEUE_NAME,
      concurrency: DEFAULT_CONCURRENCY,
      lockDurationMs: DEFAULT_LOCK_DURATION_MS,
      stalledIntervalMs: DEFAULT_STALLED_INTERVAL_MS,
    });
    const separate = resolveBullMqSchedulerOptions({
      connection: { url, password: 'pw' },
      prefix: 'fledge-prod',
    });
    expect(separate).toMatchObject({
      password: 'pw',
      safeUrl: 'redis://127.0.0.1:6379',
      prefix: 'fledge-prod',
    });
  });

  it.each<[string, BullMqSchedulerOptions, string]>([
    ['no url', { connection: { url: '' } }, 'connection.url is required'],
    ['not a URL', { connection: { url: 'localhost:6379' } }, 'connection.url must use redis:// or rediss://'],
    [
      'an http URL',
      { connection: { url: 'http://127.0.0.1:6379' } },
      'connection.url must use redis:// or rediss:// (TLS), got http://',
    ],
    ['garbage', { connection: { url: '::' } }, 'connection.url is not a valid URL'],
    ['a prefix with a colon', { connection: { url }, prefix: 'a:b' }, 'prefix must be a non-empty string'],
    ['an empty queue name', { connection: { url }, queueName: '' }, 'queueName must be a non-empty string'],
    [
      'zero concurrency',
      { connection: { url }, concurrency: 0 },
      'concurrency must be a positive integer, got 0',
    ],
    [
      'fractional concurrency',
      { connection: { url }, concurrency: 1.5 },
      'concurrency must be a positive integer, got 1.5',
    ],
    [
      'a tiny lock',
      { connection: { url }, lockDurationMs: 10 },
      'lockDurationMs must be at least 100, got 10',
    ],
    [
      'a negative stalled interval',
      { connection: { url }, stalledIntervalMs: -1 },
      'stalledIntervalMs must be a positive integer, got -1',
    ],
    [
      'a zero busy retry',
      { connection: { url }, busyRetryDelayMs: 0 },
      'busyRetryDelayMs must be a positive integer, got 0',
    ],
  ])('rejects %s, naming the field', (_label, options, message) => {
    expect(() => resolveBullMqSchedulerOptions(options)).toThrow(SchedulerOptionsError);
    expect(() => resolveBullMqSchedulerOptions(options)).toThrow(message);
  });

  it('validates in the constructor, before any connection', () => {
    expect(() => new BullMqScheduler({ connection: { url: 'http://x' } })).toThrow(SchedulerOptionsError);
    // Valid options construct without touching the network: nothing to stop.
    const scheduler = new BullMqScheduler({ connection: { url: 'redis://127.0.0.1:1' } });
    expect(scheduler.ids()).toEqual([]);
  });

  it('backs off reconnects by doubling, up to the cap', () => {
    expect([1, 2, 3, 4, 5, 6, 7].map((n) => reconnectDelayMs(n, 1_000))).toEqual([
      50, 100, 200, 400, 800, 1_000, 1_000,
    ]);
    expect(reconnectDelayMs(500, 5_000)).toBe(5_000);
  });
});
