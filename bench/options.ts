/** The benchmark's command line: flags, their defaults, and `--quick`'s smaller defaults. */
import { Command, InvalidArgumentError, Option } from 'commander';
import { parseDurationMs } from '../src/api/duration.js';
import { EVENT_MODES, type EventMode } from '../src/controller/event-recorder.js';
import { CHART_DIR } from '../test/support/helm.js';
import { allocatorEnvOf, isV8Flag, nodeFlagsOf, readChartNodeFlags } from './chart-node-flags.js';
import { BENCH_CLUSTER_DIR } from './local-cluster.js';
import { SOAK_SCHEDULERS, type SoakOptions, type SoakScheduler } from './soak-bench.js';

/** The parts of the benchmark. */
export const PARTS = ['memory', 'real', 'rollback', 'soak'] as const;
export type Part = (typeof PARTS)[number];
/** The parts run when `--parts` is not given: the soak takes long, and runs only when named. */
export const DEFAULT_PARTS: Part[] = ['memory', 'real', 'rollback'];

/**
 * How ticks are scheduled. The real stack and rollback run one controller: `bullmq` or
 * `in-process`. The soak runs several replicas: `bullmq`, `lease` (no Redis: the leader Lease
 * decides who ticks) or `both`, one after the other.
 */
export const SCHEDULERS = ['bullmq', 'in-process', 'lease', 'both'] as const;
export type SchedulerKind = (typeof SCHEDULERS)[number];

/**
 * The soak's settings, resolved: a run's {@link SoakOptions} for each of `schedulers`, the logs
 * aside (they are the run's, `--log-dir` and `--log-level`).
 */
export type SoakSettings = Omit<SoakOptions, 'scheduler' | 'logDir' | 'logLevel'> & {
  schedulers: SoakScheduler[];
};

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
  soak: SoakSettings;
  quick: boolean;
  /**
   * V8 heap cap of every measured controller (`--max-old-space-size`, MiB): by default the chart's
   * (`heapLimitPercent` of its memory limit), so that RSS is measured as the chart runs the controller.
   */
  heapLimitMb: number | undefined;
  /** V8 flags of every measured controller: by default the chart's `v8Flags`. */
  v8Flags: string[];
  /** glibc's `MALLOC_ARENA_MAX` of every measured controller: by default the chart's `mallocArenaMax`. */
  mallocArenaMax: number | undefined;
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
  kills: 200,
  soakReplicas: 3,
  soakCanaries: 20,
  soakFailEvery: 5,
  soakInterval: '2s',
  killEvery: '3s',
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
  kills: 3,
  soakReplicas: 2,
  soakCanaries: 3,
  soakFailEvery: 3,
  soakInterval: '1s',
  killEvery: '2s',
} as const;

/** A commander parser of a positive integer option, naming the flag when the value is not one. */
export function positiveInt(flag: string) {
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

/** `--v8-flags`: a comma-separated list of `--name[=value]`, or `none`. */
function v8FlagList(value: string): string[] {
  if (value.trim() === 'none') return [];
  const flags = value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  for (const flag of flags)
    if (!isV8Flag(flag))
      throw new InvalidArgumentError(
        `--v8-flags: "${flag}" is not a flag of the form --name or --name=value`,
      );
  return flags;
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
    .option(
      '--parts <list>',
      `parts to run (${PARTS.join(',')}; default ${DEFAULT_PARTS.join(',')})`,
      parts,
      [...DEFAULT_PARTS],
    )
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
        'how ticks are scheduled (bullmq starts a local Redis); real stack and rollback: bullmq or in-process; soak: bullmq, lease or both',
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
      'time allowed without progress (one canary more done) while canaries initialise, then start progressing',
      duration('--warmup-timeout'),
      '10m',
    )
    .option(
      '--heap-limit <MiB>',
      "controllers' V8 heap cap (--max-old-space-size); 0 for none (default: the chart's)",
      nonNegativeInt('--heap-limit'),
    )
    .option(
      '--malloc-arena-max <n>',
      "controllers' MALLOC_ARENA_MAX; 0 for glibc's own (default: the chart's mallocArenaMax)",
      nonNegativeInt('--malloc-arena-max'),
    )
    .option(
      '--v8-flags <list>',
      "controllers' V8 flags, comma-separated (e.g. --v8-flags=--lite-mode); none for none (default: the chart's v8Flags)",
      v8FlagList,
    )
    .option('--kills <n>', 'soak: SIGKILLs of replicas per scheduler', positiveInt('--kills'))
    .option(
      '--soak-max-duration <d>',
      'soak: stop killing after this long, even short of --kills (the table says how many)',
      duration('--soak-max-duration'),
      '3h',
    )
    .option('--soak-replicas <n>', 'soak: controller replicas', positiveInt('--soak-replicas'))
    .option('--soak-canaries <n>', 'soak: canaries rolling out', positiveInt('--soak-canaries'))
    .option(
      '--soak-fail-every <n>',
      'soak: every n-th canary always fails its check and rolls back',
      positiveInt('--soak-fail-every'),
    )
    .option('--soak-interval <d>', 'soak: analysis.interval', duration('--soak-interval'))
    .option('--kill-every <d>', 'soak: mean time between kills', duration('--kill-every'))
    .option('--seed <n>', 'soak: seed of the kill schedule (default: from the clock)', positiveInt('--seed'))
    .option(
      '--soak-finish-timeout <d>',
      'soak: time allowed for the last rollouts after the last kill',
      duration('--soak-finish-timeout'),
      '5m',
    )
    .addOption(new Option('--quick', 'a few canaries for a few seconds (for tests)').default(false))
    .action(async (raw: Record<string, unknown>) => run(resolveSettings(raw)));
  return program;
}

/** The soak kills one replica while another keeps ticking: it needs two at least. */
function atLeastTwo(replicas: number): number {
  if (replicas < 2)
    throw new InvalidArgumentError(
      `--soak-replicas must be at least 2 (one is killed while another ticks), got ${replicas}`,
    );
  return replicas;
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
  const scheduler = raw['scheduler'] as SchedulerKind;
  if (
    (parts.includes('real') || parts.includes('rollback')) &&
    scheduler !== 'bullmq' &&
    scheduler !== 'in-process'
  )
    throw new InvalidArgumentError(
      `--scheduler ${scheduler}: the real and rollback parts run one controller, on bullmq or in-process`,
    );
  if (parts.includes('soak') && scheduler === 'in-process')
    throw new InvalidArgumentError(
      '--scheduler in-process: the soak runs several replicas; without Redis they take turns by the Lease (--scheduler lease)',
    );
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
    scheduler,
    schedulerConcurrency: raw['schedulerConcurrency'] as number,
    events: raw['events'] as EventMode,
    logLevel: raw['logLevel'] as string,
    logDir: raw['logDir'] as string | undefined,
    clusterDir: raw['clusterDir'] as string,
    keepCluster: raw['keepCluster'] === true,
    json: raw['json'] as string | undefined,
    cpuProfDir: raw['cpuProf'] as string | undefined,
    warmupTimeoutMs: ms('warmupTimeout', '10m'),
    soak: {
      schedulers:
        scheduler === 'both' ? [...SOAK_SCHEDULERS] : scheduler === 'lease' ? ['lease'] : ['bullmq'],
      kills: (raw['kills'] as number | undefined) ?? d.kills,
      maxKillingMs: ms('soakMaxDuration', '3h'),
      replicas: atLeastTwo((raw['soakReplicas'] as number | undefined) ?? d.soakReplicas),
      canaries: (raw['soakCanaries'] as number | undefined) ?? d.soakCanaries,
      failEvery: (raw['soakFailEvery'] as number | undefined) ?? d.soakFailEvery,
      intervalMs: ms('soakInterval', d.soakInterval),
      killEveryMs: ms('killEvery', d.killEvery),
      seed: (raw['seed'] as number | undefined) ?? Date.now() % 2_147_483_647,
      finishTimeoutMs: ms('soakFinishTimeout', '5m'),
    },
    quick,
    ...controllerFlags(
      raw['heapLimit'] as number | undefined,
      raw['v8Flags'] as string[] | undefined,
      raw['mallocArenaMax'] as number | undefined,
    ),
  };
}

/** The chart's heap cap, V8 flags and arena cap (its values.yaml), each replaced by the flag given. */
function controllerFlags(
  heapLimit: number | undefined,
  v8Flags: string[] | undefined,
  mallocArenaMax: number | undefined,
): Pick<BenchSettings, 'heapLimitMb' | 'v8Flags' | 'mallocArenaMax'> {
  const chart =
    heapLimit === undefined || v8Flags === undefined || mallocArenaMax === undefined
      ? readChartNodeFlags(CHART_DIR)
      : undefined;
  const orNone = (n: number | undefined) => (n === 0 ? undefined : n);
  return {
    heapLimitMb: heapLimit === undefined ? chart?.heapLimitMb : orNone(heapLimit),
    v8Flags: v8Flags ?? chart?.v8Flags ?? [],
    mallocArenaMax: mallocArenaMax === undefined ? chart?.mallocArenaMax : orNone(mallocArenaMax),
  };
}

/** The environment every measured controller runs with, as the chart sets it: `MALLOC_ARENA_MAX`. */
export function controllerEnv(s: Pick<BenchSettings, 'mallocArenaMax'>): Record<string, string> {
  return allocatorEnvOf(s);
}

/** The Node flags every measured controller runs with: the heap cap and the V8 flags. */
export function controllerNodeFlags(s: Pick<BenchSettings, 'heapLimitMb' | 'v8Flags'>): string[] {
  return nodeFlagsOf({ heapLimitMb: s.heapLimitMb, v8Flags: s.v8Flags });
}
