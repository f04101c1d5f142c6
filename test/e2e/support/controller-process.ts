/**
 * `fledge controller` as a separate process, started the way a user starts it (the built CLI), with
 * its JSON logs kept in a file for the test's failure messages.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../../../src/devtools/processes.js';

const CLI = join(process.cwd(), 'dist/src/cli/main.js');

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
      '--log-level=debug',
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
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null)
      throw new Error(`fledge controller exited with ${child.exitCode}:\n${tail()}`);
    const ready = await fetch(`${url}/readyz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`fledge controller not ready within 30s:\n${tail()}`);
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
