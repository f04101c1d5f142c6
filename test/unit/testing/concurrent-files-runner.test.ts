/**
 * The e2e project's runner: its files go to a pool of their own size even though the run's
 * `maxWorkers` is 1 (which makes Jest ask every runner for a serial run), and a bad size is a clear
 * error naming where it came from.
 */
import { jest } from '@jest/globals';
import jestRunner, { type Config, type Test, type TestWatcher } from 'jest-runner';
// @ts-expect-error jest.config.js is plain JavaScript, without declarations.
import config from '../../../jest.config.js';
import ConcurrentFilesRunner, {
  concurrentWorkers,
  DEFAULT_E2E_WORKERS,
  E2E_WORKERS_ENV,
} from '../../support/concurrent-files-runner.js';

const TestRunner = ('default' in jestRunner ? jestRunner.default : jestRunner) as typeof jestRunner.default;

const globalConfig = { maxWorkers: 1 } as Config.GlobalConfig;
const files = (n: number) => Array.from({ length: n }, (_, i) => ({ path: `/f${i}.test.ts` }) as Test);
const watcher = {} as TestWatcher;

describe('concurrentWorkers', () => {
  it('takes the default size, or the one the environment sets', () => {
    expect(concurrentWorkers(undefined)).toBe(DEFAULT_E2E_WORKERS);
    expect(concurrentWorkers('')).toBe(DEFAULT_E2E_WORKERS);
    expect(concurrentWorkers('2')).toBe(2);
  });

  it('refuses a size that is not a whole number of at least 1, naming the variable', () => {
    for (const bad of ['0', '-1', '1.5', 'many'])
      expect(() => concurrentWorkers(bad)).toThrow(
        `${E2E_WORKERS_ENV} must be a whole number of workers of at least 1, got ${JSON.stringify(bad)}`,
      );
  });
});

describe('ConcurrentFilesRunner', () => {
  const saved = process.env[E2E_WORKERS_ENV];
  let runTests: ReturnType<typeof jest.spyOn>;

  beforeEach(() => {
    delete process.env[E2E_WORKERS_ENV];
    // The parent's run is not under test: what it is asked for is.
    runTests = jest.spyOn(TestRunner.prototype, 'runTests').mockResolvedValue(undefined);
  });

  afterEach(() => {
    runTests.mockRestore();
    if (saved === undefined) delete process.env[E2E_WORKERS_ENV];
    else process.env[E2E_WORKERS_ENV] = saved;
  });

  it('runs several files on its own pool although the run asks for a serial one', async () => {
    process.env[E2E_WORKERS_ENV] = '3';
    const runner = new ConcurrentFilesRunner(globalConfig, {});
    await runner.runTests(files(5), watcher, { serial: true });
    expect(runTests).toHaveBeenCalledWith(files(5), watcher, { serial: false });
    expect((runner as unknown as { _globalConfig: Config.GlobalConfig })._globalConfig.maxWorkers).toBe(3);
  });

  it('stays serial for one file, or a pool of one', async () => {
    await new ConcurrentFilesRunner(globalConfig, {}).runTests(files(1), watcher, { serial: true });
    process.env[E2E_WORKERS_ENV] = '1';
    await new ConcurrentFilesRunner(globalConfig, {}).runTests(files(4), watcher, { serial: false });
    expect(runTests.mock.calls.map((call: unknown[]) => call[2])).toEqual([
      { serial: true },
      { serial: true },
    ]);
  });

  it('is the runner of the e2e project only', () => {
    const projects = (config as { projects: { displayName: string; runner?: string }[] }).projects;
    const runners = Object.fromEntries(projects.map((p) => [p.displayName, p.runner]));
    expect(runners).toEqual({
      unit: undefined,
      integration: undefined,
      e2e: '<rootDir>/test/support/concurrent-files-runner.ts',
    });
  });
});
