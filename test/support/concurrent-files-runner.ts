/**
 * Jest runner of the e2e project: runs its test files concurrently, on a pool of its own size,
 * while the other projects keep the run's `maxWorkers` (one: their files share cluster-wide state).
 * Jest's `maxWorkers` is a setting of the whole run, so a project cannot set it; a project can name
 * its runner, and the runner decides how its own files are spread over workers.
 *
 * The files are safe to run together because each scenario lives in its own namespace, with a
 * controller that watches only that namespace and holds its Lease there (see
 * `test/e2e/support/controller-suite.ts`); most of their time is spent waiting for analysis
 * intervals, so more files than cores can run at once.
 *
 * The pool has {@link DEFAULT_E2E_WORKERS} workers; `FLEDGE_E2E_WORKERS` overrides it (`1` runs the
 * files one after another, in the main process).
 */
import jestRunner, {
  type Config,
  type Test,
  type TestRunnerContext,
  type TestRunnerOptions,
  type TestWatcher,
} from 'jest-runner';

// jest-runner is CommonJS with its class as `exports.default`: TypeScript (NodeNext, this package
// being ESM) types the default import as the whole `module.exports`, while Jest loads this file
// compiled to CommonJS, where the default import is already the class.
const TestRunner = ('default' in jestRunner ? jestRunner.default : jestRunner) as typeof jestRunner.default;

/** Environment variable that overrides the pool size. */
export const E2E_WORKERS_ENV = 'FLEDGE_E2E_WORKERS';

/** The pool size when the environment does not set one: e2e files mostly wait, 2 cores run 4. */
export const DEFAULT_E2E_WORKERS = 4;

/** The pool size: the environment's override, else the default; a clear error when bad. */
export function concurrentWorkers(env: string | undefined): number {
  if (env === undefined || env === '') return DEFAULT_E2E_WORKERS;
  const value = Number(env);
  if (!Number.isInteger(value) || value < 1) {
    throw new Error(
      `${E2E_WORKERS_ENV} must be a whole number of workers of at least 1, got ${JSON.stringify(env)}`,
    );
  }
  return value;
}

export default class ConcurrentFilesRunner extends TestRunner {
  private readonly workers: number;

  constructor(globalConfig: Config.GlobalConfig, context: TestRunnerContext) {
    const workers = concurrentWorkers(process.env[E2E_WORKERS_ENV]);
    super({ ...globalConfig, maxWorkers: workers }, context);
    this.workers = workers;
  }

  override runTests(tests: Test[], watcher: TestWatcher, options: TestRunnerOptions): Promise<void> {
    // Jest asks for a serial run whenever the run's maxWorkers is 1; the pool decides here instead.
    // `--runInBand` (e.g. for --detectOpenHandles) still runs everything in one process.
    const serial = this.workers === 1 || tests.length <= 1 || runInBandAsked();
    return super.runTests(tests, watcher, { ...options, serial });
  }
}

/** Whether jest was started with `-i` / `--runInBand`, which must keep everything in one process. */
function runInBandAsked(): boolean {
  return process.argv.some((a) => a === '-i' || a === '--runInBand' || a === '--runInBand=true');
}
