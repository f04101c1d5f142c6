import { runDemo } from '../../src/cli/demo/demo.js';
import { SCENARIOS, type DemoProvider } from '../../src/cli/demo/scenarios.js';

/** The lines of a demo run through `provider`'s objects, after checking that it exited 0. */
async function playedLines(provider: DemoProvider): Promise<string[]> {
  const lines: string[] = [];
  const code = await runDemo({ timeoutMs: 90_000, live: false, provider, write: (l) => lines.push(l) });
  expect(code).toBe(0);
  return lines;
}

/**
 * The judge's story: shown holding, then rolling back on its evidence, with the success rate
 * passing (the demo itself fails the story on any failed check).
 */
function showsJudgeRollback(lines: string[]): void {
  expect(lines).toContain(
    "ok   judge: a version with 0.5% errors against the primary's 0.25%: its 99% success rate passes at every step, the judge rolls it back",
  );
  expect(
    lines.some((l) =>
      /judge: regression: errors [\d.]+x \[[\d.]+, [\d.]+\] regression [\d.e+]+ >= 200/.test(l),
    ),
  ).toBe(true);
  expect(
    lines.some((l) =>
      l.includes('demo-judge: Rolling back demo-judge/podinfo: the judge found a regression'),
    ),
  ).toBe(true);
}

/** Whether a failing success rate (the faulty version's, below 99) was shown. */
const showsFailingRate = (lines: string[]): boolean =>
  lines.some((l) => /request-success-rate 9[0-8](\.\d)? \(min 99\) FAILED/.test(l));

describe('fledge demo', () => {
  it('plays the four announced outcomes and exits 0', async () => {
    const lines: string[] = [];
    const code = await runDemo({ timeoutMs: 90_000, live: false, write: (l) => lines.push(l) });
    expect(code).toBe(0);
    expect(lines.filter((l) => l.startsWith('ok   '))).toHaveLength(4);
    showsJudgeRollback(lines);
    // The faulty version's failing values are shown.
    expect(lines.some((l) => /request-success-rate 9[0-8](\.\d)? \(min 99\) FAILED/.test(l))).toBe(true);
    expect(lines.some((l) => l.includes('premium users -> canary 100%, other users -> canary 0%'))).toBe(
      true,
    );
  }, 120_000);

  it('plays the healthy, faulty and judge stories through a Linkerd TrafficSplit with --provider linkerd', async () => {
    const lines = await playedLines('linkerd');
    expect(lines.filter((l) => l.startsWith('ok   ')).slice(0, 2)).toEqual([
      'ok   healthy: a healthy version steps 10% -> 50% and is promoted',
      'ok   faulty: a version answering 5% errors is rolled back after 2 failed checks',
    ]);
    showsJudgeRollback(lines);
    // The failing values come from traffic that followed the TrafficSplit to the canary.
    expect(showsFailingRate(lines)).toBe(true);
  }, 120_000);

  it.each([
    [
      'gatewayapi',
      'HTTPRoute podinfo',
      [
        'podinfo-primary 90 / podinfo-canary 10',
        '[user-type=premium] podinfo-primary 0 / podinfo-canary 100',
      ],
    ],
    [
      'nginx',
      'Ingress podinfo-canary',
      ['podinfo 90 / podinfo-canary 10', '[user-type=premium] podinfo-canary'],
    ],
  ] as const)(
    'plays the four stories through the objects of --provider %s, shown changing',
    async (provider, object, splits) => {
      const lines = await playedLines(provider);
      expect(lines.filter((l) => l.startsWith('ok   '))).toHaveLength(4);
      showsJudgeRollback(lines);
      expect(showsFailingRate(lines)).toBe(true);
      expect(lines.some((l) => l.includes('premium users -> canary 100%, other users -> canary 0%'))).toBe(
        true,
      );
      const routes = lines.filter((l) => l.includes(`route: ${object}: `));
      for (const split of splits) expect(routes.some((l) => l.includes(split))).toBe(true);
    },
    120_000,
  );

  it('plays blue/green through the apex Service with --provider kubernetes: users stay on the primary', async () => {
    const lines = await playedLines('kubernetes');
    expect(lines.filter((l) => l.startsWith('ok   '))).toEqual([
      'ok   healthy: blue/green: a healthy version is analysed 5 times on its own Service, then promoted',
      'ok   faulty: blue/green: a version answering 5% errors is rolled back after 2 failed checks',
    ]);
    // The failing values come from the load tester's requests to the canary Service.
    expect(showsFailingRate(lines)).toBe(true);
    const routes = lines.filter((l) => l.includes('route: Service podinfo: '));
    expect(routes.length).toBeGreaterThan(0);
    expect(routes.every((l) => l.endsWith('route: Service podinfo: podinfo-primary'))).toBe(true);
    expect(lines.some((l) => l.includes('iteration 5/5'))).toBe(true);
  }, 120_000);

  it('fails the judge story when a threshold check fails or the judge did not roll back', async () => {
    const judged = SCENARIOS.find((s) => s.key === 'judge')!;
    const lines: string[] = [];
    const code = await runDemo({
      timeoutMs: 60_000,
      live: false,
      write: (l) => lines.push(l),
      // Without the judge, the same canary passes its thresholds and is promoted.
      scenarios: [
        {
          ...judged,
          expected: 'Succeeded',
          canary: {
            ...judged.canary,
            spec: { ...judged.canary.spec, analysis: { ...judged.canary.spec.analysis, judge: undefined } },
          },
        },
      ],
    });
    expect(code).toBe(1);
    expect(lines).toContain("FAIL judge: the judge's last verdict is missing, not regression");
  }, 90_000);

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
