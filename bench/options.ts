/** The benchmark's command line: flags, their defaults, and `--quick`'s smaller defaults. */
import { Command, InvalidArgumentError, Option } from 'commander';
import { parseDurationMs } from '../src/api/duration.js';
import { EVENT_MODES, type EventMode } from '../src/controller/event-recorder.js';
import { BENCH_CLUSTER_DIR } from './local-cluster.js';

/** The parts of the benchmark. */
export const PARTS = ['memory', 'real', 'rollback'] as const;
export type Part = (typeof PARTS)[number];

/** How the real-stack controller schedules ticks. */
export const SCHEDULERS = ['bullmq', 'in-process'] as const;
export type SchedulerKind = (typeof SCHEDULERS)[number];

/** Everything a run needs, resolved. */
export interface BenchSettings {
  parts: Part[];
  sizes: number[];
  durationMs: number;
  intervalMs: number;
  realSizes: number[];
  realDurationMs: number;
  idleDurationMs: number;
  rollbackCanaries: number;
  rollbackIntervalMs: number;
  errorRatePercent: number;
  queryLatencyMs: number;
  releaseSpreadMs: number;
  kubeQps: number;
  kubeBurst: number;
  scheduler: SchedulerKind;
  schedulerConcurrency: number;
  events: EventMode;
  logLevel: string;
  logDir: string | undefined;
  clusterDir: string;
  keepCluster: boolean;
  json: string | undefined;
  cpuProfDir: string | undefined;
  warmupTimeoutMs: number;
  quick: boolean;
  /**
   * V8 heap cap of every measured controller (`--max-old-space-size`, MiB): by default the chart's,
   * 75% of its 512Mi memory limit, so that RSS is measured as the chart runs the controller.
   */
  heapLimitMb: number | undefined;
}

/** Defaults of a full run, and of `--quick` (seconds, a handful of canaries: for the tests). */
const DEFAULTS = {
  sizes: [100, 1_000, 5_000],
  duration: '60s',
  interval: '10s',
  realSizes: [200, 1_000],
  realDuration: '60s',
  idleDuration: '30s',
  rollbackCanaries: 20,
  rollbackInterval: '5s',
} as const;
const QUICK = {
  sizes: [5],
  duration: '3s',
  interval: '1s',
  realSizes: [3],
  realDuration: '4s',
  idleDuration: '3s',
  rollbackCanaries: 3,
  rollbackInterval: '1s',
} as const;

function positiveInt(flag: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n <= 0)
      throw new InvalidArgumentError(`${flag} must be a positive integer, got "${value}"`);
    return n;
  };
}

function nonNegativeInt(flag: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 0)
      throw new InvalidArgumentError(`${flag} must be a whole number of MiB (0: none), got "${value}"`);
    return n;
  };
}

function sizes(flag: string) {
  return (value: string): number[] => value.split(',').map((s) => positiveInt(flag)(s.trim()));
}

function duration(flag: string) {
  return (value: string): string => {
    try {
      parseDurationMs(value);
    } catch (error) {
      throw new InvalidArgumentError(`${flag}: ${(error as Error).message}`);
    }
    return value;
  };
}

function parts(value: string): Part[] {
  const out = value.split(',').map((s) => s.trim());
  for (const p of out)
    if (!(PARTS as readonly string[]).includes(p))
      throw new InvalidArgumentError(`--parts: unknown part "${p}" (parts: ${PARTS.join(', ')})`);
  return out as Part[];
}

/** The `bench` command, parsing into {@link BenchSettings} (handed to `run`). */
export function benchCommand(run: (settings: BenchSettings) => Promise<void>): Command {
  const program = new Command('bench')
    .description(
      'Measures the controller: overhead on an in-memory cluster, requests against a real kube-apiserver, time to rollback',
    )
    .option('--parts <list>', `parts to run (${PARTS.join(',')})`, parts, [...PARTS])
    .option('--sizes <list>', 'in-memory: canaries per run', sizes('--sizes'))
    .option('--duration <d>', 'in-memory: measured window per run', duration('--duration'))
    .option('--interval <d>', 'analysis.interval of every canary (memory and real)', duration('--interval'))
    .option('--real-sizes <list>', 'real stack: canaries per run', sizes('--real-sizes'))
    .option('--real-duration <d>', 'real stack: progressing window', duration('--real-duration'))
    .option(
      '--idle-duration <d>',
      'real stack: idle window (every canary Initialized)',
      duration('--idle-duration'),
    )
    .option(
      '--rollback-canaries <n>',
      'rollback: canaries rolled back in parallel',
      positiveInt('--rollback-canaries'),
    )
    .option('--rollback-interval <d>', 'rollback: analysis.interval', duration('--rollback-interval'))
    .option(
      '--error-rate <percent>',
      'rollback: error rate of the bad version',
      positiveInt('--error-rate'),
      50,
    )
    .option('--query-latency <d>', 'simulated Prometheus response time', duration('--query-latency'), '5ms')
    .option(
      '--release-spread <d>',
      'spread the new image over this time (0: all at once)',
      duration('--release-spread'),
      '0s',
    )
    .option(
      '--kube-qps <n>',
      "controller's requests per second to the API server",
      positiveInt('--kube-qps'),
      100,
    )
    .option('--kube-burst <n>', "controller's request burst", positiveInt('--kube-burst'), 250)
    .addOption(
      new Option(
        '--scheduler <kind>',
        'real stack and rollback: how ticks are scheduled (bullmq starts a local Redis)',
      )
        .choices(SCHEDULERS)
        .default('bullmq'),
    )
    .option(
      '--scheduler-concurrency <n>',
      'ticks the controller runs at once (as fledge controller --scheduler-concurrency)',
      positiveInt('--scheduler-concurrency'),
      32,
    )
    .addOption(
      new Option(
        '--events <mode>',
        "controller's --events: all (an Event per weight step too) or transitions",
      )
        .choices(EVENT_MODES)
        .default('all'),
    )
    .option('--log-level <level>', "controller's log level", 'info')
    .option('--log-dir <dir>', "controller logs (default: a new directory under the system's temp)")
    .option('--cluster-dir <dir>', 'run directory of the local control plane', BENCH_CLUSTER_DIR)
    .option('--keep-cluster', 'leave the control plane running if this run started it', false)
    .option('--json <file>', 'also write every figure as JSON')
    .option('--cpu-prof <dir>', 'write a V8 CPU profile of each measured window into <dir>')
    .option(
      '--warmup-timeout <d>',
      'time allowed for canaries to initialise, then to start progressing',
      duration('--warmup-timeout'),
      '10m',
    )
    .option(
      '--heap-limit <MiB>',
      "controllers' V8 heap cap (--max-old-space-size); 0 for none (default: the chart's, 384)",
      nonNegativeInt('--heap-limit'),
    )
    .addOption(new Option('--quick', 'a few canaries for a few seconds (for tests)').default(false))
    .action(async (raw: Record<string, unknown>) => run(resolveSettings(raw)));
  return program;
}

/** Applies the full-run or `--quick` defaults to what the command line left out. */
export function resolveSettings(raw: Record<string, unknown>): BenchSettings {
  const quick = raw['quick'] === true;
  const d = quick ? QUICK : DEFAULTS;
  const ms = (name: string, fallback: string) =>
    parseDurationMs((raw[name] as string | undefined) ?? fallback);
  const kubeQps = raw['kubeQps'] as number;
  const kubeBurst = raw['kubeBurst'] as number;
  const errorRatePercent = raw['errorRate'] as number;
  if (!(errorRatePercent > 0 && errorRatePercent <= 100))
    throw new InvalidArgumentError(`--error-rate must be between 1 and 100, got ${errorRatePercent}`);
  const parts = raw['parts'] as Part[];
  if (parts.length === 0) throw new InvalidArgumentError('--parts: name at least one part');
  return {
    parts,
    sizes: (raw['sizes'] as number[] | undefined) ?? [...d.sizes],
    durationMs: ms('duration', d.duration),
    intervalMs: ms('interval', d.interval),
    realSizes: (raw['realSizes'] as number[] | undefined) ?? [...d.realSizes],
    realDurationMs: ms('realDuration', d.realDuration),
    idleDurationMs: ms('idleDuration', d.idleDuration),
    rollbackCanaries: (raw['rollbackCanaries'] as number | undefined) ?? d.rollbackCanaries,
    rollbackIntervalMs: ms('rollbackInterval', d.rollbackInterval),
    errorRatePercent,
    queryLatencyMs: ms('queryLatency', '5ms'),
    releaseSpreadMs: ms('releaseSpread', '0s'),
    kubeQps,
    kubeBurst,
    scheduler: raw['scheduler'] as SchedulerKind,
    schedulerConcurrency: raw['schedulerConcurrency'] as number,
    events: raw['events'] as EventMode,
    logLevel: raw['logLevel'] as string,
    logDir: raw['logDir'] as string | undefined,
    clusterDir: raw['clusterDir'] as string,
    keepCluster: raw['keepCluster'] === true,
    json: raw['json'] as string | undefined,
    cpuProfDir: raw['cpuProf'] as string | undefined,
    warmupTimeoutMs: ms('warmupTimeout', '10m'),
    quick,
    heapLimitMb: heapLimitOf(raw['heapLimit'] as number | undefined),
  };
}

/** The chart's default heap cap: heapLimitPercent (75) of resources.limits.memory (512Mi). */
export const CHART_HEAP_LIMIT_MB = 384;

function heapLimitOf(flag: number | undefined): number | undefined {
  if (flag === undefined) return CHART_HEAP_LIMIT_MB;
  return flag === 0 ? undefined : flag;
}
