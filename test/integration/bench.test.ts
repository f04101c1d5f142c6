/**
 * `npm run bench --quick`: every part of the benchmark with a few canaries for a few seconds,
 * against the shared local control plane. Checks that the tables and the JSON come out with
 * measured figures in them; never asserts on how fast anything was.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchResult } from '../../bench/run.js';
import {
  CLUSTER_SETUP_TIMEOUT_MS,
  clusterDir,
  ensureCluster,
  type LocalCluster,
} from '../support/cluster.js';
import { runProcess, type ProcessRun } from '../support/run-process.js';

let local: LocalCluster;

beforeAll(async () => {
  local = await ensureCluster({ output: (t) => process.stdout.write(t) });
}, CLUSTER_SETUP_TIMEOUT_MS);

afterAll(async () => {
  await local?.stop();
});

/** Runs the benchmark's TypeScript entry in a child process, as `npm run bench` runs the built one. */
async function runBench(args: string[]): Promise<ProcessRun> {
  const hooks = new URL('./scheduler/ts-hooks.mjs', import.meta.url).href;
  const register = `data:text/javascript,import{register}from'node:module';register(${JSON.stringify(hooks)});`;
  const main = fileURLToPath(new URL('../../bench/main.ts', import.meta.url));
  return runProcess(process.execPath, ['--no-warnings', '--import', register, main, ...args]);
}

it('runs every part with a few canaries and prints the tables and the JSON', async () => {
  const json = join(mkdtempSync(join(tmpdir(), 'fledge-bench-test-')), 'bench.json');
  const { code, stdout, stderr } = await runBench(['--quick', '--cluster-dir', clusterDir(), '--json', json]);
  if (code !== 0) process.stdout.write(`bench stderr:\n${stderr}\nbench stdout:\n${stdout}\n`);
  expect(code).toBe(0);

  for (const title of ['1. Controller overhead', '2. Real stack', '3. Time to rollback'])
    expect(stdout).toContain(title);
  expect(stdout).toMatch(/tick lateness p99 \(ms\)\s+\d+ [✓✗] \(.+\)\s+< 250 ms/);
  expect(stdout).toMatch(/All \d+ targets met\.|Targets missed \(\d+ of \d+\):/);
  // The real stack and rollback run on BullMQ and a local redis-server, as a replicated controller does.
  expect(stdout).toContain('the real stack and rollback use BullMQ on a local redis-server');
  expect(stdout).toMatch(/ {2}of which Events\s+\d/);

  const result = JSON.parse(readFileSync(json, 'utf8')) as BenchResult;
  expect(result.machine.cpus).toBeGreaterThan(0);
  expect(result.settings.quick).toBe(true);
  expect(result.settings.scheduler).toBe('bullmq');

  const [memory] = result.memory;
  expect(memory?.canaries).toBe(5);
  expect(memory?.window.ticks).toBeGreaterThan(0);
  expect(memory?.window.weightSteps).toBeGreaterThan(0);
  expect(memory?.window.latenessMs.count).toBeGreaterThan(0);
  expect(memory?.window.peakRssMb).toBeGreaterThan(0);

  const [real] = result.real;
  expect(real?.canaries).toBe(3);
  expect(real?.idle.controller.ticks).toBeGreaterThan(0);
  expect(real?.progressing.controller.weightSteps).toBeGreaterThan(0);
  // Read from kube-apiserver's own counters: the weight steps reached it as VirtualService patches.
  expect(real?.progressing.apiserverRequests['PATCH virtualservices.networking.istio.io']).toBeGreaterThan(0);
  expect(real?.progressing.writesPerWeightStep).toBeGreaterThan(0);
  expect(real?.progressing.queriesPerMetricPerAnalysisTick).toBeGreaterThan(0);

  expect(result.rollback?.missing).toEqual([]);
  expect(result.rollback?.samples).toHaveLength(3);
  expect(result.rollback?.rollbackMs.count).toBe(3);

  expect(result.verdicts.length).toBeGreaterThan(0);
  for (const v of result.verdicts) expect(typeof v.met).toBe('boolean');
}, 300_000);
