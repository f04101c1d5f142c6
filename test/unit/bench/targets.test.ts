import { TARGETS, describeTarget, evaluate, formatNumber } from '../../../bench/targets.js';

describe('evaluate', () => {
  it('a figure under a strict bound is met, with how far under', () => {
    expect(evaluate(25, TARGETS.latenessP99Ms)).toEqual({ met: true, distance: '-90% vs target' });
  });

  it('a figure over a bound is missed, as a percentage or a multiple', () => {
    expect(evaluate(300, TARGETS.latenessP99Ms)).toEqual({ met: false, distance: '+20% over target' });
    expect(evaluate(1000, TARGETS.latenessP99Ms)).toEqual({ met: false, distance: '4x the target' });
    expect(evaluate(250, TARGETS.latenessP99Ms).met).toBe(false);
  });

  it('an inclusive bound admits the bound itself', () => {
    expect(evaluate(2, TARGETS.writesPerWeightStep).met).toBe(true);
    expect(evaluate(3, TARGETS.writesPerWeightStep)).toEqual({ met: false, distance: '+50% over target' });
  });

  it('a zero target reports the excess', () => {
    expect(evaluate(0, TARGETS.readsPerTick)).toEqual({ met: true, distance: 'on target' });
    expect(evaluate(0.25, TARGETS.readsPerTick)).toEqual({ met: false, distance: '+0.25 over' });
  });

  it('an exact target reports the difference either way', () => {
    expect(evaluate(1, TARGETS.queriesPerMetricPerTick).met).toBe(true);
    expect(evaluate(1.5, TARGETS.queriesPerMetricPerTick)).toEqual({ met: false, distance: '+0.50 off' });
    expect(evaluate(0.5, TARGETS.queriesPerMetricPerTick)).toEqual({ met: false, distance: '-0.50 off' });
  });

  it('a missing figure is not met', () => {
    expect(evaluate(undefined, TARGETS.cores)).toEqual({ met: false, distance: '' });
  });
});

describe('describeTarget and formatNumber', () => {
  it('writes bounds as people read them', () => {
    expect(describeTarget(TARGETS.latenessP99Ms)).toBe('< 250 ms');
    expect(describeTarget(TARGETS.writesPerWeightStep)).toBe('≤ 2');
    expect(describeTarget(TARGETS.readsPerTick)).toBe('= 0');
  });

  it('keeps three significant digits below 100', () => {
    expect(formatNumber(1234.5)).toBe('1235');
    expect(formatNumber(12.345)).toBe('12.3');
    expect(formatNumber(1.2345)).toBe('1.23');
    expect(formatNumber(0.012345)).toBe('0.012');
    expect(formatNumber(7)).toBe('7');
    expect(formatNumber(undefined)).toBe('–');
  });
});
