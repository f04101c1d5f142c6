/**
 * Several `fledge controller` processes run as replicas of one deployment: each has its own name
 * (`POD_NAME`, its Lease identity), its own `/metrics` and its own log file, and can be killed and
 * started again under the same name, as a Pod restarted by its ReplicaSet would be.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startControllerProcess, type ControllerProcess } from './controller-process.js';

/** Options of {@link ControllerFleet}. */
export interface ControllerFleetOptions {
  kubeconfig: string;
  /** Log files go here, one per replica (`<name>.log`, appended to across restarts). */
  logDir: string;
  /** Replica names are `<prefix>-0`, `<prefix>-1`, ... */
  prefix: string;
  /** Number of replicas. */
  size: number;
  /** Arguments every replica gets, after those of `startControllerProcess`. */
  args: string[];
  /** Every replica's `--log-level` (default `debug`). */
  logLevel?: string;
}

/** Reads the sum of `fledge_ticks_total` (every outcome) from a `/metrics` text. */
export function ticksIn(metricsText: string): number {
  let total = 0;
  for (const line of metricsText.split('\n')) {
    const match = /^fledge_ticks_total(?:\{[^}]*\})?\s+(\S+)/.exec(line);
    if (match) total += Number(match[1]);
  }
  return total;
}

/** A set of controller replicas that the test starts, kills and restarts one by one. */
export class ControllerFleet {
  private readonly replicas: (ControllerProcess | undefined)[];

  constructor(private readonly o: ControllerFleetOptions) {
    this.replicas = Array.from({ length: o.size }, () => undefined);
  }

  /** The name (`POD_NAME`) of replica `index`. */
  name(index: number): string {
    return `${this.o.prefix}-${index}`;
  }

  /** Indexes of the replicas running now. */
  running(): number[] {
    return this.replicas.flatMap((r, i) => (r ? [i] : []));
  }

  /**
   * Starts every replica, concurrently, and waits until each is ready. If one fails, the others are
   * waited for and stopped before the error is rethrown: a replica that became ready after the
   * failure would otherwise outlive the test (and keep Jest from exiting).
   */
  async startAll(): Promise<void> {
    const results = await Promise.allSettled(this.replicas.map((_, i) => this.start(i)));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) {
      await this.stopAll();
      throw failed.reason;
    }
  }

  /** Starts replica `index` (again); resolves once it is ready. */
  async start(index: number): Promise<void> {
    if (this.replicas[index]) throw new Error(`replica ${this.name(index)} is already running`);
    this.replicas[index] = await startControllerProcess({
      kubeconfig: this.o.kubeconfig,
      logFile: this.logFile(index),
      extraArgs: this.o.args,
      ...(this.o.logLevel !== undefined ? { logLevel: this.o.logLevel } : {}),
      // Only `--redis-url` in `args` selects BullMQ: an inherited REDIS_URL must not.
      env: { POD_NAME: this.name(index), REDIS_URL: '' },
    });
  }

  /** SIGKILL to replica `index`: no graceful stop, no Lease released, jobs left mid-flight. */
  async kill(index: number): Promise<void> {
    const replica = this.replicas[index];
    if (!replica) throw new Error(`replica ${this.name(index)} is not running`);
    this.replicas[index] = undefined;
    await replica.kill();
  }

  /** Ticks replica `index` has run since it (last) started, from its `/metrics`. */
  async ticks(index: number): Promise<number> {
    const replica = this.replicas[index];
    if (!replica) throw new Error(`replica ${this.name(index)} is not running`);
    const response = await fetch(`${replica.url}/metrics`);
    if (!response.ok) throw new Error(`${this.name(index)} /metrics answered ${response.status}`);
    return ticksIn(await response.text());
  }

  /** Ticks of every running replica, by name. */
  async tickSplit(): Promise<Record<string, number>> {
    const split: Record<string, number> = {};
    for (const i of this.running()) split[this.name(i)] = await this.ticks(i);
    return split;
  }

  /** SIGTERM to every running replica, waiting for each to exit. */
  async stopAll(): Promise<void> {
    const running = this.replicas.filter((r): r is ControllerProcess => r !== undefined);
    this.replicas.fill(undefined);
    await Promise.allSettled(running.map((r) => r.stop()));
  }

  /** The last lines of every replica's log (running or not), for failure messages. */
  logTails(lines = 30): string {
    return this.replicas
      .map((_, i) => {
        let text = '';
        try {
          text = readFileSync(this.logFile(i), 'utf8').trim().split('\n').slice(-lines).join('\n');
        } catch {
          // never started
        }
        return `--- ${this.name(i)} ---\n${text}`;
      })
      .join('\n');
  }

  private logFile(index: number): string {
    return join(this.o.logDir, `${this.name(index)}.log`);
  }
}
