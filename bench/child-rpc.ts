/**
 * Calls into a benchmark child process over Node's IPC channel: the parent sends
 * `{ id, method, params }`, the child answers `{ id, result }` or `{ id, error }`. Each measured
 * controller runs in a child of its own so that its CPU time and peak RSS are its alone.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { flagName } from './chart-node-flags.js';

/** A request from the parent. */
export interface RpcRequest {
  id: number;
  method: string;
  params: unknown;
}

/** A child's answer. */
export interface RpcResponse {
  id: number;
  result?: unknown;
  error?: string;
}

/** The child failed a call, or died. */
export class ChildProcessError extends Error {
  override name = 'ChildProcessError';
}

export interface BenchChildOptions {
  /** Receives the child's stderr and stdout lines (default: this process's stderr). */
  output?: (text: string) => void;
  /**
   * Node flags of the child (the chart's, see `chart-node-flags.ts`), on its command line as the
   * chart gives them to the controller. Each replaces an inherited flag of the same name; the heap
   * cap is never inherited.
   */
  nodeFlags?: string[];
  /** Environment added to this process's (the chart's `MALLOC_ARENA_MAX`). */
  env?: Record<string, string>;
}

/** How the child is started: this process's flags (a TypeScript loader under the tests) and `nodeFlags`. */
export interface ChildNodeSettings {
  execArgv: string[];
  nodeOptions: string;
}

/**
 * The child's command-line flags and `NODE_OPTIONS`: this process's, less any flag of the same name
 * as one of `nodeFlags` (from both: Node reads `NODE_OPTIONS` before the command line), then
 * `nodeFlags` on the command line.
 */
export function childNodeSettings(
  inheritedArgv: readonly string[],
  inheritedNodeOptions: string,
  nodeFlags: readonly string[],
): ChildNodeSettings {
  const replaced = new Set(['--max-old-space-size', ...nodeFlags.map(flagName)]);
  const kept = (flags: readonly string[]) => flags.filter((a) => !replaced.has(flagName(a)));
  const inheritedOptions = inheritedNodeOptions.split(/\s+/).filter((a) => a !== '');
  return {
    execArgv: [...kept(inheritedArgv), ...nodeFlags],
    nodeOptions: kept(inheritedOptions).join(' '),
  };
}

/** Path of the child entry beside this module (`.ts` under the tests' loader, `.js` when built). */
function childEntry(): string {
  const self = fileURLToPath(import.meta.url);
  return self.replace(/child-rpc\.(ts|js)$/, 'child.$1');
}

/** A running child process that answers calls. */
export class BenchChild {
  private readonly child: ChildProcess;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private readonly exited: Promise<number | null>;
  private exitReason: string | undefined;

  constructor(options: BenchChildOptions = {}) {
    const output = options.output ?? ((text: string) => void process.stderr.write(text));
    const node = childNodeSettings(process.execArgv, process.env.NODE_OPTIONS ?? '', options.nodeFlags ?? []);
    this.child = fork(childEntry(), [], {
      execArgv: node.execArgv,
      env: { ...process.env, ...options.env, NODE_OPTIONS: node.nodeOptions },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    this.child.stdout?.on('data', (chunk: Buffer) => output(chunk.toString('utf8')));
    this.child.stderr?.on('data', (chunk: Buffer) => output(chunk.toString('utf8')));
    this.child.on('message', (message: RpcResponse) => {
      const waiter = this.pending.get(message.id);
      if (!waiter) return;
      this.pending.delete(message.id);
      if (message.error !== undefined) waiter.reject(new ChildProcessError(message.error));
      else waiter.resolve(message.result);
    });
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => {
        this.exitReason = signal ? `signal ${signal}` : `exit code ${code ?? 'unknown'}`;
        for (const waiter of this.pending.values())
          waiter.reject(new ChildProcessError(`benchmark child ended (${this.exitReason}) before answering`));
        this.pending.clear();
        resolve(code);
      });
    });
  }

  /** Calls `method` in the child; rejects with the child's error message. */
  call<T>(method: string, params: unknown = {}): Promise<T> {
    if (this.exitReason)
      return Promise.reject(new ChildProcessError(`benchmark child ended (${this.exitReason})`));
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.child.send({ id, method, params } satisfies RpcRequest);
    });
  }

  /** Waits for the child to exit (it exits after answering `exit`); kills it after `timeoutMs`. */
  async exit(timeoutMs = 60_000): Promise<void> {
    if (!this.exitReason) this.child.send({ id: 0, method: 'exit', params: {} } satisfies RpcRequest);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    await this.exited;
    clearTimeout(timer);
  }

  /** Kills the child at once. */
  kill(): void {
    if (!this.exitReason) this.child.kill('SIGKILL');
  }
}

/**
 * Serves calls in a child process: each request runs its handler and the result (or the error
 * message) is sent back. `exit` disconnects and lets the process end.
 */
export function serveCalls(handlers: Record<string, (params: unknown) => Promise<unknown>>): void {
  if (!process.send) throw new ChildProcessError('serveCalls: this process has no IPC channel');
  process.on('message', (request: RpcRequest) => {
    if (request.method === 'exit') {
      process.disconnect();
      // Handles left open by a failed run must not keep the process (and the parent) waiting.
      setTimeout(() => process.exit(0), 2_000).unref();
      return;
    }
    const handler = handlers[request.method];
    const answer = handler
      ? handler(request.params)
      : Promise.reject(new Error(`unknown method ${request.method}`));
    answer.then(
      (result) => process.send?.({ id: request.id, result } satisfies RpcResponse),
      (error: unknown) =>
        process.send?.({
          id: request.id,
          error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
        } satisfies RpcResponse),
    );
  });
}
