/**
 * The frame of an e2e file whose scenarios run against `fledge controller` processes: the local
 * control plane and a client for it, and scenarios that each get their own namespace and their own
 * controller (one replica, in-process scheduler) that watches only that namespace and holds its
 * Lease there. Nothing of one scenario is seen by another's controller, so scenarios of a file run
 * concurrently ({@link ControllerSuite.test}) and files run concurrently (the e2e project's runner,
 * `test/support/concurrent-files-runner.ts`). A failed test prints the log tails of its scenarios'
 * controllers. {@link controllerSuite} registers the Jest hooks; call it at the top of the file.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClientNodeCluster } from '../../../src/kube/client/client-node-cluster.js';
import type { LocalCluster } from '../../support/cluster.js';
import { startControllerProcess, type ControllerProcess } from '../../support/devtools/controller-process.js';
import { e2eCluster, ready } from './e2e-cluster.js';
import { Scenario, type ScenarioOptions } from './scenario.js';

export { phaseTimer } from './e2e-cluster.js';

/** A scenario with the controller that serves its namespace, started and stopped with it. */
export class ControlledScenario extends Scenario {
  private current: ControllerProcess | undefined;

  constructor(
    kube: ClientNodeCluster,
    o: ScenarioOptions,
    private readonly startController: (namespace: string) => Promise<ControllerProcess>,
  ) {
    super(kube, o);
  }

  /** The running controller; {@link restartController} replaces it. */
  get controller(): ControllerProcess {
    return ready(this.current, `controller of ${this.namespace}`);
  }

  /** Starts the scenario's objects and, meanwhile, its controller (which waits for the Canary). */
  override async start(image = 'podinfo:1'): Promise<void> {
    await this.createNamespace();
    const [controller] = await Promise.all([this.startController(this.namespace), super.start(image)]);
    this.current = controller;
  }

  /** Starts another controller for the namespace (same log file, same settings). */
  async restartController(): Promise<ControllerProcess> {
    this.current = await this.startController(this.namespace);
    return this.current;
  }

  /** The controller first: it must not tick a namespace being deleted. */
  override async stop(): Promise<void> {
    await this.current?.stop();
    await super.stop();
  }
}

/** What the suite's tests use; set up by the suite's `beforeAll`. */
export interface ControllerSuite {
  readonly local: LocalCluster;
  readonly kube: ClientNodeCluster;
  /** A scenario in its own namespace `e2e-<name>-<run>` with its own controller, stopped after the file. */
  scenario(name: string, o: Omit<ScenarioOptions, 'namespace'>): ControlledScenario;
  /**
   * A test that runs concurrently with the file's other `test`s (`it.concurrent`: no `*Each`
   * hooks); on failure it prints the controller log tails of the scenarios it made.
   */
  test(name: string, body: () => Promise<void>, timeoutMs: number): void;
}

/** Registers the hooks of a controller suite; `logPrefix` names the log directory. */
export function controllerSuite(logPrefix: string): ControllerSuite {
  const logDir = mkdtempSync(join(tmpdir(), `${logPrefix}-`));
  const run = Math.random().toString(36).slice(2, 7);
  const scenarios: ControlledScenario[] = [];
  // The scenarios made by the running test: per test through the async context for concurrent
  // tests, and one list for the sequential `it`s (reset by beforeEach, read by afterEach).
  const madeByTest = new AsyncLocalStorage<ControlledScenario[]>();
  let madeBySequentialTest: ControlledScenario[] = [];
  const cluster = e2eCluster({
    qps: 50,
    burst: 100,
    cleanUp: async () => {
      await Promise.allSettled(scenarios.map((s) => s.stop()));
      process.stdout.write(`e2e: controller logs in ${logDir}\n`);
    },
  });
  // REDIS_URL is emptied: one replica with the in-process scheduler, whatever the environment has.
  const startController = (namespace: string): Promise<ControllerProcess> =>
    startControllerProcess({
      kubeconfig: cluster.local.kubeconfigPath,
      logFile: join(logDir, `${namespace}.log`),
      extraArgs: [`--namespace=${namespace}`, `--leader-election-namespace=${namespace}`],
      env: { REDIS_URL: '' },
    });
  const printTails = (made: ControlledScenario[]): void => {
    for (const s of made) {
      const tail = (() => {
        try {
          return s.controller.logTail(60);
        } catch {
          return '(no controller started)';
        }
      })();
      process.stdout.write(`controller log tail of ${s.namespace}:\n${tail}\n`);
    }
  };

  beforeEach(() => {
    madeBySequentialTest = [];
  });

  afterEach(() => {
    const state = expect.getState();
    if (state.assertionCalls !== state.numPassingAsserts) printTails(madeBySequentialTest);
  });

  return {
    get local() {
      return cluster.local;
    },
    get kube() {
      return cluster.kube;
    },
    scenario(name, o) {
      const s = new ControlledScenario(
        cluster.kube,
        { ...o, namespace: `e2e-${name}-${run}` },
        startController,
      );
      scenarios.push(s);
      (madeByTest.getStore() ?? madeBySequentialTest).push(s);
      return s;
    },
    test(name, body, timeoutMs) {
      it.concurrent(
        name,
        () => {
          const made: ControlledScenario[] = [];
          return madeByTest.run(made, async () => {
            try {
              await body();
            } catch (err) {
              printTails(made);
              throw err;
            }
          });
        },
        timeoutMs,
      );
    },
  };
}
