/** The benchmark's waits: a slow fleet that keeps progressing is waited for, a stuck one is not. */
import { BenchTimeoutError, waitUntil } from '../../../bench/support.js';

describe('waitUntil', () => {
  it('counts the timeout from the last progress when told how far it got', async () => {
    // One more done at every look, each look 60 ms apart: far past the 50 ms allowed without progress.
    let done = 0;
    const started = Date.now();
    await waitUntil('eight things', () => done === 8, {
      timeoutMs: 50,
      pollMs: 60,
      progress: () => (done = Math.min(done + 1, 8)),
    });
    expect(Date.now() - started).toBeGreaterThanOrEqual(6 * 60);
  });

  it('fails once progress stops, saying so', async () => {
    let done = 0;
    await expect(
      waitUntil('eight things', () => done === 8, {
        timeoutMs: 50,
        pollMs: 60,
        progress: () => (done = Math.min(done + 1, 3)),
        describe: () => `${done} of 8`,
      }),
    ).rejects.toThrow(
      new BenchTimeoutError('timed out after 0.05 s without progress waiting for eight things: 3 of 8'),
    );
  });

  it('without progress, times out from the start', async () => {
    await expect(waitUntil('nothing', () => false, { timeoutMs: 50, pollMs: 5 })).rejects.toThrow(
      /timed out after 0.05 s waiting for nothing/,
    );
  });
});
