/**
 * The frame of an e2e file that runs scenarios against one `fledge controller` process: the local
 * control plane, a client for it, the controller (one replica, in-process scheduler) with its log
 * in a temporary directory, the log's tail printed when a test fails, and every scenario stopped
 * at the end. {@link controllerSuite} registers the Jest hooks; call it at the top of the file.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClientNodeCluster } from '../../../src/kube/client/client-node-cluster.js';
import { loadKubeConfig } from '../../../src/kube/client/config.js';
import { ensureCluster, type LocalCluster } from '../../support/cluster.js';
import { startControllerProcess, type ControllerProcess } from '../../support/devtools/controller-process.js';
import { Scenario, type ScenarioOptions } from './scenario.js';

/** What the suite's tests use; set up by the suite's `beforeAll`. */
export interface ControllerSuite {
  readonly local: LocalCluster;
  readonly kube: ClientNodeCluster;
  /** The running controller; a test that kills it assigns the one {@link restart} returns. */
  controller: ControllerProcess;
  /** Starts another controller process (same log file, same settings). */
  restart(): Promise<ControllerProcess>;
  /** A scenario in its own namespace `e2e-<name>-<run>`, stopped after the file. */
  scenario(name: string, o: Omit<ScenarioOptions, 'namespace'>): Scenario;
}

/** Writes how long a phase took once the returned function is called. */
export function phaseTimer(label: string): () => void {
  const started = Date.now();
  return () => process.stdout.write(`e2e: ${label} took ${((Date.now() - started) / 1000).toFixed(1)}s\n`);
}

/** Registers the hooks of a controller suite; `logPrefix` names the log directory. */
export function controllerSuite(logPrefix: string): ControllerSuite {
  const logDir = mkdtempSync(join(tmpdir(), `${logPrefix}-`));
  const run = Math.random().toString(36).slice(2, 7);
  const scenarios: Scenario[] = [];
  let local: LocalCluster | undefined;
  let kube: ClientNodeCluster | undefined;
  let controller: ControllerProcess | undefined;
  const ready = <T>(value: T | undefined, what: string): T => {
    if (value === undefined)
      throw new Error(`the controller suite's ${what} is not set up (beforeAll failed?)`);
    return value;
  };
  // REDIS_URL is emptied: one replica with the in-process scheduler, whatever the environment has.
  const start = (): Promise<ControllerProcess> =>
    startControllerProcess({
      kubeconfig: ready(local, 'cluster').kubeconfigPath,
      logFile: join(logDir, 'controller.log'),
      env: { REDIS_URL: '' },
    });

  beforeAll(async () => {
    const done = phaseTimer('control plane');
    local = await ensureCluster({ output: (t) => process.stdout.write(t) });
    done();
    kube = new ClientNodeCluster({
      kubeConfig: loadKubeConfig({ kubeconfigPath: local.kubeconfigPath }),
      qps: 50,
      burst: 100,
    });
    controller = await start();
  }, 45 * 60_000);

  afterAll(async () => {
    await controller?.stop();
    await Promise.allSettled(scenarios.map((s) => s.stop()));
    kube?.stop();
    process.stdout.write(`e2e: controller logs in ${logDir}\n`);
  });

  afterEach(() => {
    const state = expect.getState();
    if (state.assertionCalls !== state.numPassingAsserts && controller) {
      process.stdout.write(`controller log tail:\n${controller.logTail(60)}\n`);
    }
  });

  return {
    get local() {
      return ready(local, 'cluster');
    },
    get kube() {
      return ready(kube, 'client');
    },
    get controller() {
      return ready(controller, 'controller');
    },
    set controller(c: ControllerProcess) {
      controller = c;
    },
    restart: start,
    scenario(name, o) {
      const s = new Scenario(ready(kube, 'client'), { ...o, namespace: `e2e-${name}-${run}` });
      scenarios.push(s);
      return s;
    },
  };
}
