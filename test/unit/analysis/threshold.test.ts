import { formatMetricValue, judgeThreshold } from '../../../analysis/threshold.js';

describe('judgeThreshold', () => {
  it.each([
    [99, { min: 99 }, true],
    [98.99, { min: 99 }, false],
    [500, { max: 500 }, true],
    [500.01, { max: 500 }, false],
    [5, { min: 1, max: 10 }, true],
    [1, { min: 1, max: 10 }, true],
    [10, { min: 1, max: 10 }, true],
    [0.5, { min: 1, max: 10 }, false],
    [11, { min: 1, max: 10 }, false],
    [-3, {}, true],
    [Infinity, { max: 500 }, false],
    [-Infinity, { min: 0 }, false],
  ])('value %p against %j passes: %p', (value, range, passed) => {
    expect(judgeThreshold('m', value, range).passed).toBe(passed);
  });

  it('explains a value below the minimum', () => {
    expect(judgeThreshold('request-success-rate', 94.117647, { min: 99 })).toEqual({
      passed: false,
      message: 'request-success-rate: 94.1176 is below the minimum 99',
    });
  });

  it('explains a value above the maximum', () => {
    expect(judgeThreshold('request-duration', 612, { max: 500 }).message).toBe(
      'request-duration: 612 is above the maximum 500',
    );
  });

  it('explains a pass with the range', () => {
    expect(judgeThreshold('m', 5, { min: 1, max: 10 }).message).toBe('m: 5 is within [1, 10]');
    expect(judgeThreshold('m', 5, { min: 1 }).message).toBe('m: 5 is within >= 1');
    expect(judgeThreshold('m', 5, {}).message).toBe('m: 5 is within any value (no thresholdRange)');
  });

  it('fails NaN and an empty range', () => {
    expect(judgeThreshold('m', NaN, { min: 1 }).passed).toBe(false);
    const empty = judgeThreshold('m', 5, { min: 10, max: 1 });
    expect(empty.passed).toBe(false);
    expect(empty.message).toContain('thresholdRange is empty (min 10 > max 1)');
  });
});

describe('formatMetricValue', () => {
  it.each([
    [95, '95'],
    [94.11764705882354, '94.1176'],
    [0.000123456789, '0.000123457'],
    [Infinity, '+Inf'],
    [-Infinity, '-Inf'],
    [NaN, 'NaN'],
  ])('%p -> %s', (value, text) => {
    expect(formatMetricValue(value)).toBe(text);
  });
});
