/**
 * A V8 CPU profile of one measured window (not of the warm-up around it), written as a
 * `.cpuprofile` file that Chrome DevTools or `speedscope` open.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';

/** Profiles this process from {@link WindowProfiler.start} to {@link WindowProfiler.stop}. */
export class WindowProfiler {
  private session: Session | undefined;

  /** Starts sampling (every `intervalUs` microseconds, default 1000). */
  async start(intervalUs = 1_000): Promise<void> {
    if (this.session) throw new Error('WindowProfiler: already started');
    const session = new Session();
    session.connect();
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: intervalUs });
    await session.post('Profiler.start');
    this.session = session;
  }

  /** Stops sampling and writes the profile to `file`. */
  async stop(file: string): Promise<void> {
    const session = this.session;
    if (!session) throw new Error('WindowProfiler: not started');
    this.session = undefined;
    const { profile } = await session.post('Profiler.stop');
    session.disconnect();
    writeFileSync(file, JSON.stringify(profile));
  }
}
