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
import { controllerEnv, controllerNodeFlags, type BenchSettings } from './options.js';
import { prepareServiceAccount } from './service-account.js';
import { runRealBench, type RealBenchContext, type RealBenchFigures } from './real-bench.js';
import { memorySection, missedTargets, realSection, rollbackSection, type TargetVerdict } from './report.js';
import { runRollbackBench, type RollbackBenchFigures } from './rollback-bench.js';
import { runSoak, type SoakFigures } from './soak-bench.js';
import { soakSection } from './soak-report.js';

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
  soak: SoakFigures[];
  verdicts: TargetVerdict[];
  notes: string[];
  logDir: string;
}

/** What a reader of the tables needs to know about how they were measured. */
function notesFor(s: BenchSettings): string[] {
  const measured = s.parts.some((p) => p !== 'soak');
  return [...(measured ? measuredNotes(s) : []), ...(s.parts.includes('soak') ? [soakNote(s)] : [])];
}

function measuredNotes(s: BenchSettings): string[] {
  return [
    s.scheduler === 'bullmq'
      ? `Scheduler: in-memory runs use the in-process scheduler; the real stack and rollback use BullMQ on a local redis-server, as \`fledge controller --redis-url\` does. At most ${s.schedulerConcurrency} ticks at once.`
      : `Scheduler: the in-process scheduler everywhere (--scheduler in-process), as \`fledge controller\` without --redis-url. At most ${s.schedulerConcurrency} ticks at once.`,
    s.events === 'all'
      ? "Events: the controller's default --events all, as Flagger: every weight step also writes an Event (the 'of which Events' rows); --events transitions leaves those out."
      : 'Events: --events transitions: phase changes, warnings and failures write Events; weight steps do not.',
    `Node flags of every measured controller: ${controllerNodeFlags(s).join(' ') || 'none'}; MALLOC_ARENA_MAX=${s.mallocArenaMax ?? "glibc's default"} (the chart's defaults unless --heap-limit, --v8-flags or --malloc-arena-max say otherwise).`,
    ...NOTES,
  ];
}

function soakNote(s: BenchSettings): string {
  const k = s.soak;
  return `Soak: ${k.replicas} \`fledge controller\` processes (the built CLI) per scheduler on the local kube-apiserver, ${k.canaries} canaries (interval ${k.intervalMs / 1000} s, steps of 10 to 50; every ${k.failEvery}th always fails its check and rolls back), each given its next revision as soon as its rollout ends; a random running replica SIGKILLed every ${k.killEveryMs / 1000} s on average (never the last one running), restarted 0-2 s later. A weight defect is a step skipped, a step written again without a rollback, a promotion before maxWeight, or other than one rollout per revision; a final state is wrong unless Succeeded with the last revision on the primary (Failed with the one promoted before, for a failing canary), the route at 100/0 and the target at 0 replicas.`;
}

const NOTES = [
  'Metrics: a simulated provider stands in for Prometheus (no Prometheus runs); queries are counted at the provider boundary, each answering after --query-latency.',
  "Real stack: everything shares this machine (etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kwok, the controller, this benchmark). The controller runs as the chart runs it: the chart's ServiceAccount and RBAC, a TokenRequest token and the CA mounted as in a pod, KUBERNETES_SERVICE_HOST/PORT (no kubeconfig, so client-node is never loaded); API Priority and Fairness queues it like any ServiceAccount.",
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
    const child = new BenchChild({
      output: progress,
      nodeFlags: controllerNodeFlags(s),
      env: controllerEnv(s),
    });
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
      inCluster: await prepareServiceAccount(cluster, join(logDir, 'pod')),
      output: progress,
      nodeFlags: controllerNodeFlags(s),
      env: controllerEnv(s),
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

async function runSoakParts(s: BenchSettings, logDir: string): Promise<SoakFigures[]> {
  const cluster = await ensureBenchCluster(s.clusterDir, progress);
  const kube = new ClientNodeCluster({
    kubeConfig: loadKubeConfig({ kubeconfigPath: cluster.kubeconfigPath }),
    qps: 100,
    burst: 200,
  });
  try {
    const out: SoakFigures[] = [];
    for (const scheduler of s.soak.schedulers) {
      out.push(
        await runSoak(
          { ...s.soak, scheduler, logDir, logLevel: s.logLevel },
          { kube, kubeconfigPath: cluster.kubeconfigPath, output: progress },
        ),
      );
    }
    return out;
  } finally {
    kube.stop();
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
  const soak = s.parts.includes('soak') ? await runSoakParts(s, logDir) : [];

  const sections = [
    ...(memory.length > 0 ? [memorySection(memory)] : []),
    ...(real.length > 0 ? [realSection(real)] : []),
    ...(rollback ? [rollbackSection(rollback)] : []),
    ...(soak.length > 0 ? [soakSection(soak)] : []),
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
    soak,
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
