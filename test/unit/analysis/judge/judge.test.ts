import { judge, JudgeStateError, type JudgeState } from '../../../../analysis/judge/judge.js';
import {
  JudgeInputError,
  type IntervalObservation,
  type VersionCounts,
} from '../../../../analysis/judge/observation.js';
import { resolveJudgeSettings } from '../../../../analysis/judge/settings.js';

const SETTINGS = resolveJudgeSettings(undefined);
const WITH_LATENCY = resolveJudgeSettings({ latency: { edgeMs: 250 } });

function version(requests: number, errors: number, slow?: number): VersionCounts {
  if (slow === undefined) return { requests, errors };
  return {
    requests,
    errors,
    buckets: [
      { le: 100, count: Math.floor((requests - slow) / 2) },
      { le: 250, count: requests - slow },
      { le: Infinity, count: requests },
    ],
  };
}

function run(observations: IntervalObservation[], settings = SETTINGS) {
  let state: JudgeState | undefined;
  const verdicts = [];
  for (const o of observations) {
    const step = judge(state, o, settings);
    state = step.state;
    verdicts.push(step.verdict);
  }
  return { state: state!, verdicts };
}

describe('judge', () => {
  it('rolls back a canary with twice the error rate, in the same interval the evidence is enough', () => {
    const { verdicts } = run(
      Array.from({ length: 3 }, () => ({ canary: version(1200, 24), primary: version(10_800, 108) })),
    );
    const first = verdicts.findIndex((v) => v.outcome === 'regression');
    expect(first).toBeGreaterThanOrEqual(0);
    expect(verdicts.slice(0, first).every((v) => v.outcome === 'hold')).toBe(true);
    const errors = verdicts[first]!.metrics[0]!;
    expect(errors.status).toBe('regression');
    expect(errors.regressionEvidence).toBeGreaterThanOrEqual(errors.regressionThreshold);
    expect(errors.regressionThreshold).toBe(200);
    expect(verdicts[first]!.explanation).toMatch(/^regression: roll back; errors \(5xx\): ratio 2/);
  });

  it('passes identical versions once there is enough traffic, and says so', () => {
    const { verdicts } = run(
      Array.from({ length: 4 }, () => ({ canary: version(12_000, 120), primary: version(108_000, 1080) })),
    );
    expect(verdicts.at(-1)!.outcome).toBe('pass');
    expect(verdicts.at(-1)!.explanation).toMatch(/^pass: no regression; errors \(5xx\): ratio 1x/);
  });

  it('zero requests: holds, and cannot say how much traffic is needed', () => {
    const { verdicts } = run([{ canary: version(0, 0), primary: version(0, 0) }]);
    expect(verdicts[0]!.outcome).toBe('hold');
    expect(verdicts[0]!.metrics[0]!.requestsNeeded).toBeUndefined();
    expect(verdicts[0]!.explanation).toMatch(
      /not enough data: hold the weight \(1 of 60 holds\).*more traffic needed/,
    );
  });

  it('zero errors on both sides: passes on the canary rate being negligible, after enough requests', () => {
    const { verdicts } = run([
      { canary: version(1000, 0), primary: version(9000, 0) },
      { canary: version(10_000, 0), primary: version(90_000, 0) },
    ]);
    expect(verdicts[0]!.outcome).toBe('hold');
    expect(verdicts[0]!.metrics[0]!.requestsNeeded).toBeGreaterThan(0);
    expect(verdicts[1]!.outcome).toBe('pass');
  });

  it('all canary requests failing: regression at once', () => {
    const { verdicts } = run([{ canary: version(100, 100), primary: version(900, 0) }]);
    expect(verdicts[0]!.outcome).toBe('regression');
  });

  it('one version missing: no comparison, the judge holds', () => {
    const { verdicts } = run([{ canary: version(1000, 50) }, { primary: version(9000, 10) }]);
    expect(verdicts.map((v) => v.outcome)).toEqual(['hold', 'hold']);
    expect(verdicts[1]!.metrics[0]!.ratio).toBeUndefined();
  });

  it('a shared incident does not roll back identical versions', () => {
    const normal = { canary: version(1200, 12), primary: version(10_800, 108) };
    const incident = { canary: version(1200, 60), primary: version(10_800, 540) };
    const { verdicts } = run([normal, incident, incident, normal]);
    expect(verdicts.some((v) => v.outcome === 'regression')).toBe(false);
  });

  it('rolls back a canary slower at the latency edge, with the errors alike', () => {
    const { verdicts } = run(
      [1, 2].map(() => ({ canary: version(1200, 12, 31), primary: version(10_800, 108, 108) })),
      WITH_LATENCY,
    );
    const v = verdicts.find((x) => x.outcome === 'regression')!;
    expect(v.metrics.map((m) => [m.metric, m.status])).toEqual([
      ['errors', expect.stringMatching(/undecided|safe/)],
      ['latency', 'regression'],
    ]);
    expect(v.explanation).toContain('latency (> 250 ms)');
  });

  it('answers hold-limit once maxHolds is used up', () => {
    const settings = resolveJudgeSettings({ maxHolds: 2 });
    const { verdicts } = run(
      [1, 2, 3].map(() => ({ canary: version(10, 0), primary: version(90, 1) })),
      settings,
    );
    expect(verdicts.map((v) => v.outcome)).toEqual(['hold', 'hold', 'hold-limit']);
  });

  it('carries on the same after its state goes through JSON (a controller restart)', () => {
    const obs = { canary: version(1200, 20), primary: version(10_800, 100) };
    const { state } = run([obs, obs]);
    const restored = JSON.parse(JSON.stringify(state)) as JudgeState;
    expect(judge(restored, obs, SETTINGS)).toEqual(judge(state, obs, SETTINGS));
  });

  it('refuses a state gathered for other thresholds', () => {
    const { state } = run([{ canary: version(10, 0), primary: version(90, 1) }]);
    const other = resolveJudgeSettings({ errors: { allowedRatio: 1.2 } });
    expect(() => judge(state, { canary: version(1, 0), primary: version(1, 0) }, other)).toThrow(
      JudgeStateError,
    );
  });

  it.each([
    ['NaN requests', { canary: { requests: NaN, errors: 0 } }, 'canary.requests', /got NaN/],
    [
      'negative errors',
      { primary: { requests: 10, errors: -1 } },
      'primary.errors',
      /whole number >= 0, got -1/,
    ],
    ['non-integer errors', { canary: { requests: 10, errors: 1.5 } }, 'canary.errors', /got 1.5/],
    [
      'more errors than requests',
      { canary: { requests: 3, errors: 4 } },
      'canary.errors',
      /4 is more than canary.requests \(3\)/,
    ],
  ])('rejects %s, naming the field', (_name, obs, field, reason) => {
    let error: unknown;
    try {
      judge(undefined, obs as IntervalObservation, SETTINGS);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(JudgeInputError);
    expect((error as JudgeInputError).field).toBe(field);
    expect((error as Error).message).toMatch(reason);
  });

  it('rejects buckets that are not cumulative, out of order, or without the latency edge', () => {
    const bad = (buckets: unknown) => () =>
      judge(undefined, { canary: { requests: 10, errors: 0, buckets } as VersionCounts }, WITH_LATENCY);
    expect(
      bad([
        { le: 100, count: 5 },
        { le: 250, count: 4 },
      ]),
    ).toThrow(/canary.buckets\[1\].count: buckets are cumulative/);
    expect(
      bad([
        { le: 250, count: 5 },
        { le: 100, count: 6 },
      ]),
    ).toThrow(/canary.buckets\[1\].le: must be greater/);
    expect(
      bad([
        { le: 100, count: 5 },
        { le: '+Inf', count: 10 },
      ]),
    ).toThrow(/canary.buckets: no bucket with le 250/);
  });
});

describe('resolveJudgeSettings', () => {
  it('fills in the defaults', () => {
    expect(SETTINGS).toEqual({
      alpha: 0.005,
      beta: 0.01,
      maxHolds: 60,
      errors: { allowedRatio: 1, regressionRatio: 2, negligibleRate: 0.001 },
      latency: undefined,
    });
  });

  it.each([
    [{ alpha: 1 }, 'settings.alpha: must be a probability in (0, 1), got 1'],
    [{ maxHolds: 2.5 }, 'settings.maxHolds: must be a whole number of intervals >= 0, got 2.5'],
    [
      { errors: { allowedRatio: 2, regressionRatio: 1.5 } },
      'settings.errors.regressionRatio: must be a ratio greater than settings.errors.allowedRatio (2), got 1.5',
    ],
    [{ latency: {} }, 'settings.latency.edgeMs: must be a histogram bucket bound in ms > 0, got nothing'],
  ])('rejects %j', (raw, message) => {
    expect(() => resolveJudgeSettings(raw)).toThrow(message);
  });
});
