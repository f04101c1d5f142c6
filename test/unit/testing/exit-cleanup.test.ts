import { onProcessExit } from '../../support/exit-cleanup.js';

it('registers one exit listener however many clean-ups are pending, and forgets the ones stopped', () => {
  const before = process.listenerCount('exit');
  const ran: number[] = [];
  const forgets = Array.from({ length: 20 }, (_, i) => onProcessExit(() => ran.push(i)));
  expect(process.listenerCount('exit')).toBeLessThanOrEqual(before + 1);
  const runAll = process.listeners('exit').at(-1) as (code: number) => void;
  for (const forget of forgets.slice(0, 18)) forget();
  runAll(0);
  expect(ran).toEqual([18, 19]);
  for (const forget of forgets) forget();
});

it('runs every clean-up even when one throws', () => {
  const ran: string[] = [];
  const forgetBad = onProcessExit(() => {
    throw new Error('boom');
  });
  const forgetGood = onProcessExit(() => ran.push('good'));
  const runAll = process.listeners('exit').at(-1) as (code: number) => void;
  expect(() => runAll(0)).not.toThrow();
  expect(ran).toEqual(['good']);
  forgetBad();
  forgetGood();
});
