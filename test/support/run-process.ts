/** Runs a child process to its end and collects what it printed, for tests of the CLI and bench. */
import { spawn } from 'node:child_process';

/** The exit code (null when killed by a signal) and the whole output of one run. */
export interface ProcessRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `command args` with no stdin and waits until it closes. */
export async function runProcess(command: string, args: string[]): Promise<ProcessRun> {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  return { code, stdout, stderr };
}
