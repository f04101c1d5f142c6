/**
 * Runs the benchmark's parts in order (each measured controller in a child process of its own),
 * prints the tables and writes the JSON.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { ClientNodeCluster } from '../src/kube/client/client-node-cluster.js';
import { loadKubeConfig } from '../src/kube/client/config.js';
import { BenchChild } from './child-rpc.js';
import { startRedis } from '../test/support/devtools/redis-server.js';
import { ensureBenchCluster, ensureRoomyNode } from './local-cluster.js';
import type { MemoryBenchFigures, MemoryBenchOptions } from './memory-bench.js';
import type { BenchSettings } from './options.js';
import { runRealBench, type RealBenchContext, type RealBenchFigures } from './real-bench.js';
import { memorySection, missedTargets, realSection, rollbackSection, type TargetVerdict } from './report.js';
import { runRollbackBench, type RollbackBenchFigures } from './rollback-bench.js';

/** Everything a run measured, as `--json` writes it. */
export interface BenchResult {
  machine: { cpus: number; cpuModel: string; memoryMb: number; node: string; platform: string };
  command: string;
  startedAt: string;
  elapsedSeconds: number;
  settings: BenchSettings;
  memory: MemoryBenchFigures[];
  real: RealBenchFigures[];
  rollback: RollbackBenchFigures | undefined;
  verdicts: TargetVerdict[];
  notes: string[];
  logDir: string;
}

/** What a reader of the tables needs to know about how they were measured. */
function notesFor(s: BenchSettings): string[] {
  return [
    s.scheduler === 'bullmq'
      ? `Scheduler: in-memory runs use the in-process scheduler; the real stack and rollback use BullMQ on a local redis-server, as \`fledge controller --redis-url\` does. At most ${s.schedulerConcurrency} ticks at once.`
      : `Scheduler: the in-process scheduler everywhere (--scheduler in-process), as \`fledge controller\` without --redis-url. At most ${s.schedulerConcurrency} ticks at once.`,
    s.events === 'all'
      ? "Events: the controller's default --events all, as Flagger: every weight step also writes an Event (the 'of which Events' rows); --events transitions leaves those out."
      : 'Events: --events transitions: phase changes, warnings and failures write Events; weight steps do not.',
    ...NOTES,
  ];
}

const NOTES = [
  'Metrics: a simulated provider stands in for Prometheus (no Prometheus runs); queries are counted at the provider boundary, each answering after --query-latency.',
  'Real stack: everything shares this machine (etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kwok, the controller, this benchmark). The controller authenticates as the admin user (system:masters), which API Priority and Fairness exempts; a controller with its own ServiceAccount would be queued by it.',
  'In-memory runs: the in-memory cluster stands in for the API server and for the informer caches of a real controller (every read is a call to it, so its reads are not a target there); Events the controller writes are counted but not stored, as a real controller does not hold them.',
  "Lateness is measured by the scheduler: a tick planned for time T (the next slot at the canary's phase of its interval, or at once for a new canary or a trigger) that starts at S is S - T late.",
];

const progress = (text: string): void => void process.stderr.write(text);

async function runMemory(
  s: BenchSettings,
  logDir: string,
  profileDir: string | undefined,
): Promise<MemoryBenchFigures[]> {
  const out: MemoryBenchFigures[] = [];
  for (const canaries of s.sizes) {
    progress(`memory N=${canaries}: warming up, then measuring ${s.durationMs / 1000} s\n`);
    const child = new BenchChild({ output: progress, heapLimitMb: s.heapLimitMb });
    try {
      const options: MemoryBenchOptions = {
        canaries,
        intervalMs: s.intervalMs,
        durationMs: s.durationMs,
        queryLatencyMs: s.queryLatencyMs,
        releaseSpreadMs: s.releaseSpreadMs,
        warmupTimeoutMs: s.warmupTimeoutMs,
        logLevel: s.logLevel,
        events: s.events,
        schedulerConcurrency: s.schedulerConcurrency,
        logFile: join(logDir, `memory-${canaries}.log`),
        profileFile: profileDir ? join(profileDir, `memory-${canaries}.cpuprofile`) : undefined,
      };
      out.push(await child.call<MemoryBenchFigures>('memory', options));
      await child.exit();
    } finally {
      child.kill();
    }
  }
  return out;
}

async function runRealParts(
  s: BenchSettings,
  logDir: string,
  profileDir: string | undefined,
): Promise<{ real: RealBenchFigures[]; rollback: RollbackBenchFigures | undefined }> {
  const cluster = await ensureBenchCluster(s.clusterDir, progress);
  const redis = s.scheduler === 'bullmq' ? await startRedis() : undefined;
  const kube = new ClientNodeCluster({
    kubeConfig: loadKubeConfig({ kubeconfigPath: cluster.kubeconfigPath }),
    qps: 200,
    burst: 400,
  });
  try {
    // The control plane's own nodes hold 110 pods each (its Services have a /16, see
    // scripts/cluster/control-plane.sh); an application needs two pods and three Services.
    const apps = Math.max(
      ...(s.parts.includes('real') ? s.realSizes : [0]),
      s.parts.includes('rollback') ? s.rollbackCanaries : 0,
    );
    if (2 * apps > 100) await ensureRoomyNode(kube);
    const ctx: RealBenchContext = {
      kube,
      access: cluster,
      kubeconfigPath: cluster.kubeconfigPath,
      output: progress,
      heapLimitMb: s.heapLimitMb,
    };
    const common = {
      queryLatencyMs: s.queryLatencyMs,
      kubeQps: s.kubeQps,
      kubeBurst: s.kubeBurst,
      logLevel: s.logLevel,
      events: s.events,
      logDir,
      warmupTimeoutMs: s.warmupTimeoutMs,
      profileDir,
      scheduler: redis
        ? {
            kind: 'bullmq' as const,
            redisUrl: redis.url,
            concurrency: s.schedulerConcurrency,
            // Keys of their own: a run never picks up another run's schedules.
            prefix: `fledge-bench-${process.pid}-${Date.now()}`,
          }
        : { kind: 'in-process' as const, concurrency: s.schedulerConcurrency },
    };
    const real: RealBenchFigures[] = [];
    if (s.parts.includes('real')) {
      for (const canaries of s.realSizes) {
        real.push(
          await runRealBench(
            {
              ...common,
              canaries,
              intervalMs: s.intervalMs,
              idleDurationMs: s.idleDurationMs,
              durationMs: s.realDurationMs,
            },
            ctx,
          ),
        );
      }
    }
    const rollback = s.parts.includes('rollback')
      ? await runRollbackBench(
          {
            ...common,
            canaries: s.rollbackCanaries,
            intervalMs: s.rollbackIntervalMs,
            errorRatePercent: s.errorRatePercent,
          },
          ctx,
        )
      : undefined;
    return { real, rollback };
  } finally {
    kube.stop();
    await redis?.dispose();
    await cluster.stop(s.keepCluster);
  }
}

/** Runs the parts `settings` names, prints the tables and writes the JSON. */
export async function runBench(s: BenchSettings): Promise<BenchResult> {
  const started = Date.now();
  const logDir = s.logDir ?? mkdtempSync(join(tmpdir(), 'fledge-bench-'));
  mkdirSync(logDir, { recursive: true });
  if (s.cpuProfDir) mkdirSync(s.cpuProfDir, { recursive: true });
  const memory = s.parts.includes('memory') ? await runMemory(s, logDir, s.cpuProfDir) : [];
  const { real, rollback } =
    s.parts.includes('real') || s.parts.includes('rollback')
      ? await runRealParts(s, logDir, s.cpuProfDir)
      : { real: [], rollback: undefined };

  const sections = [
    ...(memory.length > 0 ? [memorySection(memory)] : []),
    ...(real.length > 0 ? [realSection(real)] : []),
    ...(rollback ? [rollbackSection(rollback)] : []),
  ];
  const verdicts = sections.flatMap((x) => x.verdicts);
  const cpu = cpus();
  const result: BenchResult = {
    machine: {
      cpus: cpu.length,
      cpuModel: cpu[0]?.model ?? 'unknown',
      memoryMb: Math.round(totalmem() / 1024 / 1024),
      node: process.version,
      platform: `${process.platform} ${process.arch}`,
    },
    command: process.argv.slice(2).join(' '),
    startedAt: new Date(started).toISOString(),
    elapsedSeconds: (Date.now() - started) / 1000,
    settings: s,
    memory,
    real,
    rollback,
    verdicts,
    notes: notesFor(s),
    logDir,
  };
  const m = result.machine;
  process.stdout.write(
    [
      ...sections.map((x) => x.text),
      missedTargets(verdicts),
      `Notes:\n${result.notes.map((n) => `  - ${n}`).join('\n')}`,
      `Machine: ${m.cpus} cores (${m.cpuModel}), ${m.memoryMb} MB, Node ${m.node}. Took ${Math.round(result.elapsedSeconds)} s. Controller logs: ${logDir}${s.cpuProfDir ? `; CPU profiles: ${s.cpuProfDir}` : ''}.`,
    ].join('\n\n') + '\n',
  );
  if (s.json) {
    mkdirSync(dirname(s.json), { recursive: true });
    writeFileSync(s.json, `${JSON.stringify(result, null, 2)}\n`);
  }
  return result;
}
