import { Duration } from '../../../src/api/schema/common.js';
import { DurationError, formatDuration, isDuration, parseDurationMs } from '../../../src/api/duration.js';

describe('parseDurationMs (Go time.ParseDuration, without negatives)', () => {
  it.each([
    ['0', 0],
    ['0s', 0],
    ['10s', 10_000],
    ['1m', 60_000],
    ['1m30s', 90_000],
    ['1.5h', 5_400_000],
    ['2h45m', 9_900_000],
    ['1h0m0s', 3_600_000],
    ['500ms', 500],
    ['.5s', 500],
    ['1.s', 1_000],
    ['+5s', 5_000],
    ['1500us', 1.5],
    ['1500µs', 1.5],
    ['2000000ns', 2],
    ['90m', 5_400_000],
  ])('%s is %d ms', (text, ms) => {
    expect(parseDurationMs(text)).toBe(ms);
    expect(isDuration(text)).toBe(true);
  });

  it.each([
    ['1 minute', 'invalid duration "1 minute": expected a number and a unit (ns, us, ms, s, m, h)'],
    ['-1s', 'negative duration "-1s"'],
    ['10', 'invalid duration "10": expected a number and a unit (ns, us, ms, s, m, h)'],
    ['', 'empty duration'],
    ['1d', 'invalid duration "1d": expected a number and a unit (ns, us, ms, s, m, h)'],
    ['1m 30s', 'invalid duration "1m 30s": expected a number and a unit (ns, us, ms, s, m, h)'],
    ['s', 'invalid duration "s": expected a number and a unit (ns, us, ms, s, m, h)'],
    ['1.5', 'invalid duration "1.5": expected a number and a unit (ns, us, ms, s, m, h)'],
    ['1S', 'invalid duration "1S": expected a number and a unit (ns, us, ms, s, m, h)'],
  ])('rejects %j', (text, message) => {
    expect(() => parseDurationMs(text)).toThrow(new DurationError(message));
    expect(() => parseDurationMs(text)).toThrow(DurationError);
    expect(isDuration(text)).toBe(false);
  });

  it('agrees with the pattern the schema and the CRDs use', () => {
    const pattern = new RegExp(Duration('x').pattern as string, 'u');
    for (const text of [
      '0',
      '10s',
      '1m30s',
      '1.5h',
      '500ms',
      '.5s',
      '+5s',
      '1µs',
      '1 minute',
      '-1s',
      '10',
      '',
      '1d',
      '1.5',
    ]) {
      expect({ text, pattern: pattern.test(text) }).toEqual({ text, pattern: isDuration(text) });
    }
  });
});

describe('formatDuration', () => {
  it.each([
    [0, '0s'],
    [-5, '0s'],
    [500, '500ms'],
    [10_000, '10s'],
    [60_000, '1m'],
    [90_000, '1m30s'],
    [3_600_000, '1h'],
    [5_400_000, '1h30m'],
    [3_661_000, '1h1m1s'],
  ])('%d ms is %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  it('round-trips through parseDurationMs', () => {
    for (const ms of [1_000, 45_000, 90_000, 600_000, 7_230_000]) {
      expect(parseDurationMs(formatDuration(ms))).toBe(ms);
    }
  });
});
