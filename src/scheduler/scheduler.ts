/**
 * The scheduler port: runs each canary's tick every `analysis.interval`, never two ticks of one
 * canary at once. The in-process implementation is the embedded default; a BullMQ one spreads
 * canaries across replicas.
 */

/** Runs one tick for a canary id (`namespace/name`). Must not throw. */
export type TickHandler = (id: string) => Promise<void>;

export interface Scheduler {
  /** Creates or updates a repeating tick for `id`; an unchanged interval keeps the current timing. */
  schedule(id: string, intervalMs: number): void;
  /** Asks for a tick as soon as possible (deduplicated: several triggers before it runs make one tick). */
  trigger(id: string): void;
  /** Stops ticking `id`. */
  remove(id: string): void;
  /** Starts running ticks through `handler`. */
  start(handler: TickHandler): void;
  /** Stops taking new ticks and waits for those in flight. */
  stop(): Promise<void>;
}
