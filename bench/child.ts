/**
 * Entry of a benchmark child process (started by {@link BenchChild}): runs one in-memory
 * measurement, or one controller against the real API server, as the parent asks.
 */
import { serveCalls } from './child-rpc.js';
import { runMemoryBench, type MemoryBenchOptions } from './memory-bench.js';
import { RealController, type RealControllerOptions, type WindowParams } from './real-controller.js';

let controller: RealController | undefined;

function running(): RealController {
  if (!controller) throw new Error('no controller is running in this child');
  return controller;
}

serveCalls({
  memory: (params) => runMemoryBench(params as MemoryBenchOptions),
  startController: async (params) => {
    if (controller) throw new Error('a controller is already running in this child');
    controller = await RealController.create(params as RealControllerOptions);
    await controller.start();
    return {};
  },
  open: async (params) => {
    await running().open(params as WindowParams);
    return {};
  },
  close: (params) => running().close(params as WindowParams),
  injectErrors: async (params) =>
    running().injectErrors((params as { errorRatePercent: number }).errorRatePercent),
  failedCheckTimes: async () => running().failedCheckTimes(),
  progress: async () => running().progress(),
  stopController: async () => {
    await controller?.stop();
    controller = undefined;
    return {};
  },
});
