/**
 * `fledge controller` as a separate process, started the way a user starts it (the built CLI), with
 * its JSON logs kept in a file for the test's failure messages.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from './processes.js';

const CLI = join(process.cwd(), 'dist/src/cli/main.js');

/**
 * How long a start may take. A start uses 2-3 CPU seconds; on the shared 2 cores (load 15) that
 * took more than 30 s of wall time with three replicas starting at once, so a wall-clock limit
 * measures the machine. The limit is on the CPU the process itself used: one that burnt this much
 * without becoming ready is stuck; the wall-clock limit is only for one blocked without using CPU.
 */
const START_CPU_LIMIT_S = 20;
const START_WALL_LIMIT_MS = 180_000;
/** `sysconf(_SC_CLK_TCK)`: the unit of /proc's CPU times, 100 on Linux. */
const CLOCK_TICKS_PER_S = 100;

/** CPU seconds (user + system) process `pid` has used, from /proc; undefined when unreadable. */
function cpuSeconds(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start at field 3; utime and stime are 14, 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_S;
  } catch {
    return undefined;
  }
}

export interface ControllerProcess {
  pid: number;
  url: string;
  logFile: string;
  /** SIGKILL: no graceful stop. */
  kill(): Promise<void>;
  /** SIGTERM, then wait for the exit code. */
  stop(): Promise<number | null>;
  /** The last lines of its log, for failure messages. */
  logTail(lines?: number): string;
}

export async function startControllerProcess(o: {
  kubeconfig: string;
  logFile: string;
  metricsServer?: string;
  extraArgs?: string[];
  /** Added to the environment, e.g. `POD_NAME`, which names the replica (its Lease identity). */
  env?: Record<string, string>;
  /** `--log-level` (default `debug`, what a failing test's log tails need). */
  logLevel?: string;
}): Promise<ControllerProcess> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const log = createWriteStream(o.logFile, { flags: 'a' });
  const child: ChildProcess = spawn(
    process.execPath,
    [
      CLI,
      'controller',
      `--kubeconfig=${o.kubeconfig}`,
      `--listen-address=127.0.0.1:${port}`,
      `--metrics-server=${o.metricsServer ?? 'http://127.0.0.1:1'}`,
      '--min-interval=1s',
      `--log-level=${o.logLevel ?? 'debug'}`,
      ...(o.extraArgs ?? []),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...o.env } },
  );
  child.stdout?.pipe(log, { end: false });
  child.stderr?.pipe(log, { end: false });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const tail = (lines = 40) => {
    try {
      return readFileSync(o.logFile, 'utf8').trim().split('\n').slice(-lines).join('\n');
    } catch {
      return '';
    }
  };
  const startedMs = Date.now();
  for (;;) {
    if (child.exitCode !== null)
      throw new Error(`fledge controller exited with ${child.exitCode}:\n${tail()}`);
    const ready = await fetch(`${url}/readyz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) break;
    const cpuS = cpuSeconds(child.pid);
    const elapsedMs = Date.now() - startedMs;
    if ((cpuS ?? 0) > START_CPU_LIMIT_S || elapsedMs > START_WALL_LIMIT_MS) {
      child.kill('SIGKILL');
      throw new Error(
        `fledge controller not ready after ${(elapsedMs / 1000).toFixed(1)}s (${cpuS?.toFixed(1) ?? '?'} CPU seconds):\n${tail()}`,
      );
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    pid: child.pid!,
    url,
    logFile: o.logFile,
    async kill() {
      child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      child.kill('SIGTERM');
      return exited;
    },
    logTail: tail,
  };
}
