/**
 * The versions of the app under test (e.g. `podinfo-primary` and `podinfo`), each a real HTTP server
 * in its own `node` process (`version-server.mjs`), as pods would be. Separate processes because a
 * delay fault must not stall the load generator's event loop, and because they stand for pods that
 * the e2e test reaches over the network; they cost one `node` start (~50 ms) each.
 *
 * Faults follow Istio's fault rule and can be changed during a test over each server's control
 * endpoint ({@link VersionServer.setFaults}).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { onProcessExit } from '../../support/exit-cleanup.js';

/** An Istio-style fault rule: delay a share of requests, abort a share with a status. */
export interface FaultRule {
  /** Answers `httpStatus` to `percentage` percent (0 to 100) of requests. */
  abort?: { percentage: number; httpStatus: number };
  /** Delays `percentage` percent (0 to 100) of requests by `fixedDelayMs`. */
  delay?: { percentage: number; fixedDelayMs: number };
}

/** What one version server has answered (app requests only, not control calls). */
export interface VersionStats {
  workload: string;
  requests: number;
  /** Answers held back by a delay fault. */
  delayed: number;
  /** Answers by HTTP status. */
  byStatus: Record<string, number>;
}

/** A running version of the app. */
export interface VersionServer {
  /** The workload it stands for, e.g. `podinfo-primary`. */
  readonly workload: string;
  /** Base address, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  /** Process id of the server. */
  readonly pid: number;
  /** Replaces the fault rule (`{}` clears it); applies to requests arriving after it resolves. */
  setFaults(rule: FaultRule): Promise<void>;
  /** The fault rule in force. */
  faults(): Promise<FaultRule>;
  stats(): Promise<VersionStats>;
  /** Ends the process (SIGTERM, then SIGKILL after 3 s). Safe to call twice. */
  stop(): Promise<void>;
}

/** Options of {@link startVersionServer}. */
export interface StartVersionServerOptions {
  workload: string;
  /** Time allowed for the process to listen (default 10 s). */
  startTimeoutMs?: number;
}

/** A version server that would not start or answer a control call; or a refused fault rule. */
export class VersionServerError extends Error {
  override name = 'VersionServerError';
}

const SCRIPT = fileURLToPath(new URL('./version-server.mjs', import.meta.url));
const WORKLOAD_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/**
 * Checks a fault rule and returns it; throws {@link VersionServerError} naming the field and the
 * reason for anything Istio would refuse.
 */
export function validateFaultRule(rule: FaultRule): FaultRule {
  const fail = (message: string): never => {
    throw new VersionServerError(`fault rule: ${message}`);
  };
  const percentage = (field: string, value: unknown): void => {
    if (typeof value !== 'number' || !(value >= 0 && value <= 100)) {
      fail(`${field}.percentage must be a number from 0 to 100, got ${JSON.stringify(value)}`);
    }
  };
  if (typeof rule !== 'object' || rule === null) fail('the rule must be an object');
  for (const key of Object.keys(rule)) {
    if (key !== 'abort' && key !== 'delay') fail(`unknown field "${key}" (expected abort, delay)`);
  }
  if (rule.abort !== undefined) {
    percentage('abort', rule.abort?.percentage);
    const status = rule.abort.httpStatus;
    if (!Number.isInteger(status) || status < 200 || status > 599) {
      fail(`abort.httpStatus must be an HTTP status from 200 to 599, got ${JSON.stringify(status)}`);
    }
  }
  if (rule.delay !== undefined) {
    percentage('delay', rule.delay?.percentage);
    const delayMs = rule.delay.fixedDelayMs;
    if (typeof delayMs !== 'number' || !(delayMs >= 0 && delayMs <= 600_000)) {
      fail(
        `delay.fixedDelayMs must be a number of milliseconds from 0 to 600000, got ${JSON.stringify(delayMs)}`,
      );
    }
  }
  return rule;
}

async function controlCall<T>(url: string, init?: RequestInit): Promise<T> {
  let response: Response;
  try {
    response = await fetch(url, init);
  } catch (error) {
    throw new VersionServerError(`version server ${url}: ${(error as Error).message}`, { cause: error });
  }
  const body = (await response.json()) as T & { error?: string };
  if (!response.ok) throw new VersionServerError(`version server ${url}: ${body.error ?? response.status}`);
  return body;
}

/** Waits for the child's `{ port }` message; rejects if it exits or is silent too long. */
function awaitPort(
  child: ChildProcess,
  workload: string,
  timeoutMs: number,
  log: () => string,
): Promise<number> {
  return new Promise((resolve, reject) => {
    const done = (): void => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
      child.off('error', onError);
    };
    const onMessage = (message: unknown): void => {
      const port = (message as { port?: unknown } | null)?.port;
      if (typeof port === 'number' && port > 0) {
        done();
        resolve(port);
      }
    };
    const onExit = (code: number | null, signal: string | null): void => {
      done();
      reject(
        new VersionServerError(`version server ${workload} exited (${signal ?? code}) on start:\n${log()}`),
      );
    };
    const onError = (error: Error): void => {
      done();
      reject(new VersionServerError(`version server ${workload}: ${error.message}`, { cause: error }));
    };
    const timer = setTimeout(() => {
      done();
      reject(
        new VersionServerError(`version server ${workload} not listening within ${timeoutMs}ms:\n${log()}`),
      );
    }, timeoutMs);
    child.on('message', onMessage);
    child.once('exit', onExit);
    child.once('error', onError);
  });
}

/** Starts one version server in its own process; resolves once it listens. */
export async function startVersionServer(options: StartVersionServerOptions): Promise<VersionServer> {
  const { workload } = options;
  if (typeof workload !== 'string' || !WORKLOAD_NAME.test(workload)) {
    throw new VersionServerError(`workload must be a DNS label, got ${JSON.stringify(workload)}`);
  }
  const child = spawn(process.execPath, [SCRIPT, workload], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
  let log = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    log = (log + chunk.toString('utf8')).slice(-4_000);
  });
  let exited = child.exitCode !== null;
  const exitedPromise = new Promise<void>((resolve) =>
    child.once('exit', () => {
      exited = true;
      resolve();
    }),
  );
  // A runner that dies without calling stop() must not leave the process behind (the child also
  // exits when the IPC channel closes).
  const killSync = (): void => {
    if (!exited) child.kill('SIGKILL');
  };
  const forgetExitCleanup = onProcessExit(killSync);

  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    child.ref();
    if (!exited) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 3_000);
      await exitedPromise;
      clearTimeout(timer);
    }
    forgetExitCleanup();
  };

  try {
    const port = await awaitPort(child, workload, options.startTimeoutMs ?? 10_000, () => log);
    // The test runner, not these servers, decides when the process ends.
    child.unref();
    child.channel?.unref();
    (child.stderr as { unref?: () => void } | null)?.unref?.();
    const url = `http://127.0.0.1:${port}`;
    return {
      workload,
      url,
      pid: child.pid ?? 0,
      setFaults: async (rule) => {
        const body = JSON.stringify(validateFaultRule(rule));
        await controlCall(`${url}/__fledge/faults`, {
          method: 'PUT',
          headers: { 'content-type': 'application/json' },
          body,
        });
      },
      faults: () => controlCall<FaultRule>(`${url}/__fledge/faults`),
      stats: () => controlCall<VersionStats>(`${url}/__fledge/stats`),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Starts one server per workload, all or none: if one fails, those started are stopped. */
export async function startVersionServers(workloads: string[]): Promise<VersionServer[]> {
  const results = await Promise.allSettled(workloads.map((workload) => startVersionServer({ workload })));
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) {
    await Promise.all(results.map((r) => (r.status === 'fulfilled' ? r.value.stop() : undefined)));
    throw failed.reason;
  }
  return results.map((r) => (r as PromiseFulfilledResult<VersionServer>).value);
}
