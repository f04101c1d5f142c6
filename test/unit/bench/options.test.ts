import { allocatorEnvOf, nodeFlagsOf, readChartNodeFlags } from '../../../bench/chart-node-flags.js';
import {
  benchCommand,
  controllerEnv,
  controllerNodeFlags,
  type BenchSettings,
} from '../../../bench/options.js';
import { CHART_DIR } from '../../support/helm.js';

async function parse(args: string[]): Promise<BenchSettings> {
  let settings: BenchSettings | undefined;
  const command = benchCommand(async (s) => {
    settings = s;
  })
    .exitOverride()
    .configureOutput({ writeErr: () => undefined, writeOut: () => undefined });
  await command.parseAsync(args, { from: 'user' });
  if (!settings) throw new Error('the command did not run');
  return settings;
}

describe('bench options', () => {
  it('defaults to the full run the issue asks for', async () => {
    const s = await parse([]);
    expect(s.parts).toEqual(['memory', 'real', 'rollback']);
    expect(s.sizes).toEqual([100, 1000, 5000]);
    expect(s.durationMs).toBe(60_000);
    expect(s.intervalMs).toBe(10_000);
    expect(s.realSizes).toEqual([200, 1000]);
    expect(s.rollbackCanaries).toBe(20);
    expect(s.kubeQps).toBe(100);
    expect(s.clusterDir).toBe('/tmp/fledge-cluster-bench');
    expect(s.json).toBeUndefined();
  });

  it('--quick shrinks what is not given explicitly', async () => {
    const s = await parse(['--quick', '--duration', '2s', '--json', '/tmp/x.json']);
    expect(s.quick).toBe(true);
    expect(s.sizes).toEqual([5]);
    expect(s.durationMs).toBe(2_000);
    expect(s.intervalMs).toBe(1_000);
    expect(s.json).toBe('/tmp/x.json');
  });

  it('runs the soak only when named, with 200 kills on the scheduler asked for', async () => {
    expect((await parse([])).parts).not.toContain('soak');
    const s = await parse(['--parts', 'soak', '--scheduler', 'both', '--seed', '7']);
    expect(s.parts).toEqual(['soak']);
    expect(s.soak).toEqual({
      schedulers: ['bullmq', 'lease'],
      kills: 200,
      maxKillingMs: 3 * 3_600_000,
      replicas: 3,
      canaries: 20,
      failEvery: 5,
      intervalMs: 2_000,
      killEveryMs: 3_000,
      seed: 7,
      finishTimeoutMs: 300_000,
    });
    const quick = await parse(['--parts', 'soak', '--quick', '--scheduler', 'lease', '--kills', '5']);
    expect(quick.soak).toMatchObject({
      schedulers: ['lease'],
      kills: 5,
      replicas: 2,
      canaries: 3,
      failEvery: 3,
    });
  });

  it('takes lists of sizes and parts', async () => {
    const s = await parse(['--sizes', '10, 20', '--parts', 'memory,rollback', '--query-latency', '0s']);
    expect(s.sizes).toEqual([10, 20]);
    expect(s.parts).toEqual(['memory', 'rollback']);
    expect(s.queryLatencyMs).toBe(0);
  });

  it("runs the controllers with the chart's Node flags unless --heap-limit or --v8-flags replace them", async () => {
    const chart = readChartNodeFlags(CHART_DIR);
    const s = await parse([]);
    expect({ heapLimitMb: s.heapLimitMb, v8Flags: s.v8Flags, mallocArenaMax: s.mallocArenaMax }).toEqual(
      chart,
    );
    expect(controllerNodeFlags(s)).toEqual(nodeFlagsOf(chart));
    const given = await parse(['--heap-limit', '0', '--v8-flags', '--lite-mode, --max-semi-space-size=2']);
    expect(controllerNodeFlags(given)).toEqual(['--lite-mode', '--max-semi-space-size=2']);
    expect((await parse(['--v8-flags', 'none', '--heap-limit', '100'])).v8Flags).toEqual([]);
    expect(controllerNodeFlags(await parse(['--v8-flags', 'none', '--heap-limit', '100']))).toEqual([
      '--max-old-space-size=100',
    ]);
  });

  it("runs the controllers with the chart's MALLOC_ARENA_MAX unless --malloc-arena-max replaces it", async () => {
    expect(controllerEnv(await parse([]))).toEqual(allocatorEnvOf(readChartNodeFlags(CHART_DIR)));
    expect(controllerEnv(await parse(['--malloc-arena-max', '4']))).toEqual({ MALLOC_ARENA_MAX: '4' });
    expect(controllerEnv(await parse(['--malloc-arena-max', '0']))).toEqual({});
  });

  it.each([
    [['--v8-flags', 'lite-mode'], /--v8-flags: "lite-mode" is not a flag/],
    [['--sizes', '10,x'], /--sizes must be a positive integer, got "x"/],
    [['--parts', 'memory,disk'], /--parts: unknown part "disk"/],
    [['--duration', 'soon'], /--duration: /],
    [['--error-rate', '150'], /--error-rate must be between 1 and 100, got 150/],
    [
      ['--parts', 'soak', '--scheduler', 'in-process'],
      /--scheduler in-process: the soak runs several replicas/,
    ],
    [
      ['--parts', 'real,soak', '--scheduler', 'lease'],
      /--scheduler lease: the real and rollback parts run one/,
    ],
    [['--parts', 'soak', '--soak-replicas', '1'], /--soak-replicas must be at least 2/],
    [['--parts', 'soak', '--kills', '0'], /--kills must be a positive integer, got "0"/],
  ])('refuses %j', async (args, message) => {
    await expect(parse(args)).rejects.toThrow(message);
  });
});
