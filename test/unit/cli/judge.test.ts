import { JudgeSession, judgeStream, JUDGE_EXIT_BAD_LINES, JUDGE_EXIT_OK } from '../../../src/cli/judge.js';

const GOOD = JSON.stringify({
  canary: { requests: 12_000, errors: 120 },
  primary: { requests: 108_000, errors: 1080 },
});
const BAD = JSON.stringify({
  canary: { requests: 1200, errors: 240 },
  primary: { requests: 10_800, errors: 108 },
});

async function* linesOf(...lines: string[]): AsyncIterable<string> {
  for (const l of lines) yield l;
}

async function run(...lines: string[]) {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const code = await judgeStream(linesOf(...lines), {
    stdout: (l) => stdout.push(l),
    stderr: (l) => stderr.push(l),
  });
  return { code, verdicts: stdout.map((l) => JSON.parse(l) as Record<string, unknown>), stderr };
}

describe('fledge judge', () => {
  it('writes one verdict per line, steps the weight on pass and promotes at the maximum', async () => {
    const { code, verdicts, stderr } = await run(GOOD, GOOD, GOOD, GOOD, GOOD, GOOD, GOOD);
    expect(code).toBe(JUDGE_EXIT_OK);
    expect(stderr).toEqual([]);
    const path = verdicts.map((v) => [v.weight, v.outcome, v.next]);
    const promoted = path.findIndex(([, , next]) => next === 'promote');
    expect(promoted).toBeGreaterThan(0);
    expect(path[promoted]![0]).toBe(50);
    expect(verdicts[0]).toMatchObject({ line: 1, rollout: 1, interval: 1, weight: 10 });
    expect(typeof verdicts[0]!.explanation).toBe('string');
    // After a promotion the next line starts a new rollout at the first step.
    expect(verdicts[promoted + 1]).toMatchObject({ rollout: 2, interval: 1, weight: 10 });
  });

  it('rolls back a regression and explains it', async () => {
    const { verdicts } = await run(BAD);
    expect(verdicts[0]).toMatchObject({ outcome: 'regression', next: 'rollback' });
    expect(verdicts[0]!.explanation).toMatch(/^regression: roll back; errors \(5xx\): ratio/);
  });

  it('names the line and the field of a bad line, and judges the others', async () => {
    const { code, verdicts, stderr } = await run(
      GOOD,
      '',
      JSON.stringify({ canary: { requests: 10, errors: -2 } }),
      '{not json',
      JSON.stringify({ settings: { alhpa: 0.1 } }),
      JSON.stringify({ weight: 120, canary: { requests: 1, errors: 0 } }),
      GOOD,
    );
    expect(code).toBe(JUDGE_EXIT_BAD_LINES);
    expect(stderr).toEqual([
      'line 3: canary.errors: must be a whole number >= 0, got -2',
      expect.stringMatching(/^line 4: /),
      expect.stringMatching(/^line 5: settings.alhpa: unknown field/),
      'line 6: weight: must be a whole percentage 0..100, got 120',
    ]);
    expect(verdicts.map((v) => [v.line, v.interval])).toEqual([
      [1, 1],
      [7, 2],
    ]);
  });

  it('applies settings from the line that gives them, and honours a given weight', () => {
    const session = new JudgeSession();
    const line = JSON.stringify({
      settings: { maxHolds: 0, stepWeight: 25, maxWeight: 75, latency: { edgeMs: 250 } },
      weight: 25,
      canary: {
        requests: 10,
        errors: 0,
        buckets: [
          { le: 250, count: 10 },
          { le: '+Inf', count: 10 },
        ],
      },
      primary: {
        requests: 30,
        errors: 0,
        buckets: [
          { le: 250, count: 29 },
          { le: '+Inf', count: 30 },
        ],
      },
    });
    const out = session.line(line) as { stdout: string };
    const verdict = JSON.parse(out.stdout) as {
      outcome: string;
      weight: number;
      metrics: { metric: string }[];
    };
    expect(verdict.outcome).toBe('hold-limit');
    expect(verdict.weight).toBe(25);
    expect(verdict.metrics.map((m) => m.metric)).toEqual(['errors', 'latency']);
  });
});
