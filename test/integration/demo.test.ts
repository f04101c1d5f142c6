import { runDemo } from '../../src/cli/demo/demo.js';
import { SCENARIOS } from '../../src/cli/demo/scenarios.js';

describe('fledge demo', () => {
  it('plays the three announced outcomes and exits 0', async () => {
    const lines: string[] = [];
    const code = await runDemo({ timeoutMs: 90_000, live: false, write: (l) => lines.push(l) });
    expect(code).toBe(0);
    expect(lines.filter((l) => l.startsWith('ok   '))).toHaveLength(3);
    // The faulty version's failing values are shown.
    expect(lines.some((l) => /request-success-rate 9[0-8](\.\d)? \(min 99\) FAILED/.test(l))).toBe(true);
    expect(lines.some((l) => l.includes('premium users -> canary 100%, other users -> canary 0%'))).toBe(
      true,
    );
  }, 120_000);

  it('plays the healthy and faulty stories through a Linkerd TrafficSplit with --provider linkerd', async () => {
    const lines: string[] = [];
    const code = await runDemo({
      timeoutMs: 90_000,
      live: false,
      provider: 'linkerd',
      write: (l) => lines.push(l),
    });
    expect(code).toBe(0);
    expect(lines.filter((l) => l.startsWith('ok   '))).toEqual([
      'ok   healthy: a healthy version steps 10% -> 50% and is promoted',
      'ok   faulty: a version answering 5% errors is rolled back after 2 failed checks',
    ]);
    // The failing values come from traffic that followed the TrafficSplit to the canary.
    expect(lines.some((l) => /request-success-rate 9[0-8](\.\d)? \(min 99\) FAILED/.test(l))).toBe(true);
  }, 120_000);

  it('exits non-zero when an outcome differs from the one announced', async () => {
    const faulty = SCENARIOS.find((s) => s.key === 'faulty')!;
    const lines: string[] = [];
    const code = await runDemo({
      timeoutMs: 60_000,
      live: false,
      write: (l) => lines.push(l),
      scenarios: [{ ...faulty, expected: 'Succeeded' }],
    });
    expect(code).toBe(1);
    expect(lines).toContain('FAIL faulty: expected Succeeded, got Failed');
  }, 90_000);
});
