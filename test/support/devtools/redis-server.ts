/**
 * A real Redis server for the tests and the benchmark: starts `redis-server` on a free loopback port with a
 * temporary directory and no persistence, waits until it answers PING, and can stop and restart
 * it on the same port (a restart loses every key, like a Redis without persistence that crashed).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort, which } from './processes.js';
import { onProcessExit } from '../exit-cleanup.js';

/** Options of {@link startRedis}. */
export interface StartRedisOptions {
  /** Port to listen on (default: a free one). */
  port?: number;
  /** Time allowed for start-up (default 15 s). */
  startTimeoutMs?: number;
  /** Require this password (`requirepass`). */
  password?: string;
}

/** A running (or stopped, between `stop()` and `start()`) Redis. */
export interface RedisInstance {
  port: number;
  /** `redis://127.0.0.1:<port>` (without the password, if any). */
  url: string;
  /** Whether the server runs now. */
  readonly running: boolean;
  /** Stops the server (SIGTERM, SIGKILL after 5 s); the directory and port stay reserved for `start()`. */
  stop(): Promise<void>;
  /** Starts the server again on the same port, empty; resolves once it answers PING. */
  start(): Promise<void>;
  /** `stop()` then `start()`. */
  restart(): Promise<void>;
  /** Stops the server and removes its directory. Safe to call twice. */
  dispose(): Promise<void>;
  /** Runs one command over a connection of its own (for checks and set-up, not the code under test). */
  command(args: (string | number)[]): Promise<RespValue>;
}

/** A parsed Redis reply. */
export type RespValue = string | number | null | RespValue[];

/** Raised for an error reply (`-ERR ...`). */
export class RedisReplyError extends Error {
  override name = 'RedisReplyError';
}

/** Sends PING over a raw socket; true when Redis answers PONG. */
async function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1_000, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    // A server that requires a password answers -NOAUTH: it is up all the same.
    socket.once('data', (chunk: Buffer) => done(/^(\+PONG|-NOAUTH)/.test(chunk.toString('utf8'))));
  });
}

/** Encodes a command as a RESP array of bulk strings. */
function encode(args: (string | number)[]): Buffer {
  const parts = [`*${args.length}\r\n`];
  for (const arg of args) {
    const text = String(arg);
    parts.push(`$${Buffer.byteLength(text)}\r\n${text}\r\n`);
  }
  return Buffer.from(parts.join(''), 'utf8');
}

/** Parses one reply at `offset`; undefined when `buffer` does not hold all of it yet. */
function parse(
  buffer: Buffer,
  offset: number,
): { value: RespValue | RedisReplyError; next: number } | undefined {
  const end = buffer.indexOf('\r\n', offset);
  if (end < 0) return undefined;
  const line = buffer.toString('utf8', offset + 1, end);
  const after = end + 2;
  switch (String.fromCharCode(buffer[offset]!)) {
    case '+':
      return { value: line, next: after };
    case '-':
      return { value: new RedisReplyError(line), next: after };
    case ':':
      return { value: Number(line), next: after };
    case '$': {
      const length = Number(line);
      if (length < 0) return { value: null, next: after };
      if (buffer.length < after + length + 2) return undefined;
      return { value: buffer.toString('utf8', after, after + length), next: after + length + 2 };
    }
    case '*': {
      const count = Number(line);
      if (count < 0) return { value: null, next: after };
      const items: RespValue[] = [];
      let next = after;
      for (let i = 0; i < count; i++) {
        const item = parse(buffer, next);
        if (!item) return undefined;
        if (item.value instanceof RedisReplyError) return item;
        items.push(item.value);
        next = item.next;
      }
      return { value: items, next };
    }
    default:
      throw new Error(`unexpected reply from redis: ${line}`);
  }
}

/** Sends `commands` on one connection and resolves with the reply of the last one. */
async function send(port: number, commands: (string | number)[][]): Promise<RespValue> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    let buffer = Buffer.alloc(0);
    const replies: RespValue[] = [];
    const fail = (error: Error): void => {
      socket.destroy();
      reject(error);
    };
    socket.setTimeout(5_000, () => fail(new Error('redis did not answer within 5 s')));
    socket.once('error', fail);
    socket.once('connect', () => socket.write(Buffer.concat(commands.map(encode))));
    socket.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      for (;;) {
        const reply = parse(buffer, 0);
        if (!reply) return;
        buffer = buffer.subarray(reply.next);
        if (reply.value instanceof RedisReplyError) return fail(reply.value);
        replies.push(reply.value);
        if (replies.length === commands.length) {
          socket.destroy();
          resolve(replies[replies.length - 1]!);
          return;
        }
      }
    });
  });
}

/** Starts `redis-server` and resolves once it answers PING; rejects (after cleaning up) on failure. */
export async function startRedis(options: StartRedisOptions = {}): Promise<RedisInstance> {
  const binary = which('redis-server');
  if (!binary) {
    throw new Error(
      'redis-server not found on PATH: run `bash scripts/install-redis.sh` (installs the Debian package)',
    );
  }
  const port = options.port ?? (await freePort());
  const startTimeoutMs = options.startTimeoutMs ?? 15_000;
  const dir = mkdtempSync(join(tmpdir(), 'fledge-redis-'));
  let child: ChildProcess | undefined;
  let exited = true;
  let log = '';
  let disposed = false;

  const cleanupSync = (): void => {
    if (child && !exited) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  // A test runner killed mid-run must not leave a Redis or its directory behind.
  const forgetExitCleanup = onProcessExit(cleanupSync);

  const stop = async (): Promise<void> => {
    const proc = child;
    if (!proc || exited) return;
    const gone = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.kill('SIGTERM');
    const timer = setTimeout(() => proc.kill('SIGKILL'), 5_000);
    await gone;
    clearTimeout(timer);
  };

  const start = async (): Promise<void> => {
    if (disposed) throw new Error('this Redis was disposed');
    if (child && !exited) return;
    log = '';
    exited = false;
    const proc = spawn(
      binary,
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--dir',
        dir,
        '--save',
        '',
        '--appendonly',
        'no',
        '--protected-mode',
        'no',
        '--loglevel',
        'warning',
        ...(options.password !== undefined ? ['--requirepass', options.password] : []),
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child = proc;
    const collect = (chunk: Buffer): void => {
      log = (log + chunk.toString('utf8')).slice(-4_000);
    };
    proc.stdout?.on('data', collect);
    proc.stderr?.on('data', collect);
    proc.once('exit', () => {
      exited = true;
    });
    const deadline = Date.now() + startTimeoutMs;
    for (;;) {
      if (exited) throw new Error(`redis-server exited during start-up on port ${port}:\n${log}`);
      if (await ping(port)) return;
      if (Date.now() > deadline) {
        await stop();
        throw new Error(
          `redis-server not answering PING on port ${port} within ${startTimeoutMs} ms:\n${log}`,
        );
      }
      await sleep(50);
    }
  };

  const dispose = async (): Promise<void> => {
    if (disposed) return;
    disposed = true;
    await stop();
    rmSync(dir, { recursive: true, force: true });
    forgetExitCleanup();
  };

  try {
    await start();
  } catch (error) {
    await dispose();
    throw error;
  }
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    get running() {
      return !exited;
    },
    stop,
    start,
    command: (args) =>
      send(port, [...(options.password !== undefined ? [['AUTH', options.password]] : []), args]),
    restart: async () => {
      await stop();
      await start();
    },
    dispose,
  };
}
