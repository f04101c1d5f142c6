/**
 * The soak: a few `fledge controller` replicas (the built CLI, as the e2e replicas scenarios start
 * them) against the local kube-apiserver, many canaries rolling out without pause (each gets its
 * next revision as soon as its rollout ends; some always fail and roll back), and a random replica
 * SIGKILLed at random moments and started again, until `kills` kills. Every VirtualService is
 * watched and every split it was written with is logged; at the end each canary's final state and
 * the weight sequences are judged by `soak-check.ts`.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Canary } from '../src/api/schema/canary.js';
import type { Cluster } from '../src/kube/cluster.js';
import { CanaryHerd, HERD_MAX_WEIGHT, HERD_STEP_WEIGHT } from '../test/support/devtools/canary-herd.js';
import { ControllerFleet } from '../test/support/devtools/controller-fleet.js';
import { startRedis, type RedisInstance } from '../test/support/devtools/redis-server.js';
import { seededRandom } from '../test/support/devtools/seeded-random.js';
import { calculateStepDefects, finalStateProblem, type Outcome, type StepDefect } from './soak-check.js';
import { describePhases, goDuration, waitUntil } from './support.js';

/** The schedulers a soak runs on: BullMQ on a local Redis, or the leader Lease without Redis. */
export const SOAK_SCHEDULERS = ['bullmq', 'lease'] as const;
export type SoakScheduler = (typeof SOAK_SCHEDULERS)[number];

/** One soak run's settings. */
export interface SoakOptions {
  scheduler: SoakScheduler;
  /** SIGKILLs to deliver; the run ends once they are delivered and every rollout has ended. */
  kills: number;
  /** Stop killing after this long even if fewer than `kills` were delivered (the figures say so). */
  maxKillingMs: number;
  replicas: number;
  canaries: number;
  /** Every `failEvery`-th canary (index `failEvery - 1`, ...) has a check that always fails. */
  failEvery: number;
  intervalMs: number;
  /** Mean time between kills; each gap is uniform in [0.25, 1.75] of it. */
  killEveryMs: number;
  seed: number;
  /** Time allowed for the last rollouts to end after the last kill. */
  finishTimeoutMs: number;
  logDir: string;
  logLevel: string;
}

/** What the environment gives a soak run. */
export interface SoakContext {
  kube: Cluster;
  kubeconfigPath: string;
  output: (text: string) => void;
}

/** A soak run's figures. */
export interface SoakFigures {
  scheduler: SoakScheduler;
  replicas: number;
  canaries: number;
  seed: number;
  kills: number;
  /** Kills asked for (more than `kills` when the run stopped killing at `maxKillingMs`). */
  killsAsked: number;
  rollouts: { promoted: number; rolledBack: number };
  wrongFinalStates: string[];
  /** Weight defects by kind, and the first few in full (`canary: detail`). */
  stepDefects: Record<StepDefect['kind'], number>;
  stepDefectSamples: string[];
  weightWrites: number;
  elapsedSeconds: number;
}

/** Where the soak is with one canary's current revision. */
interface Track {
  /** Outcome each revision given so far was made to have. */
  outcomes: Outcome[];
  /** `applied`: the new image is set, the rollout not seen yet; `running`; `ended`. */
  state: 'applied' | 'running' | 'ended';
  /** Length of the weight log when the revision was applied. */
  logMark: number;
}

const TERMINAL = ['Succeeded', 'Failed'];
/** Polls (one a second) that may fail in a row before the run gives up. */
const MAX_FAILED_POLLS = 60;
/** Starts of a killed replica tried before the run gives up on it. */
const MAX_START_ATTEMPTS = 5;
const imageOf = (revision: number): string => `podinfo:${revision + 1}`;

/** Runs one soak to `kills` kills and judges what reached the API server. */
export async function runSoak(o: SoakOptions, ctx: SoakContext): Promise<SoakFigures> {
  const started = Date.now();
  const say = (text: string) => ctx.output(`soak ${o.scheduler}: ${text}\n`);
  const random = seededRandom(o.seed);
  const tag = Math.random().toString(36).slice(2, 7);
  const herd = new CanaryHerd(ctx.kube, {
    namespace: `soak-${o.scheduler}-${tag}`,
    count: o.canaries,
    failing: (i) => i % o.failEvery === o.failEvery - 1,
    interval: goDuration(o.intervalMs),
  });
  let redis: RedisInstance | undefined;
  let fleet: ControllerFleet | undefined;
  const restarts = new Set<Promise<void>>();
  try {
    redis = o.scheduler === 'bullmq' ? await startRedis() : undefined;
    const schedulerArgs = redis
      ? [`--redis-url=${redis.url}`]
      : [`--leader-election-namespace=${herd.namespace}`];
    fleet = new ControllerFleet({
      kubeconfig: ctx.kubeconfigPath,
      logDir: o.logDir,
      prefix: `soak-${o.scheduler}-${tag}`,
      size: o.replicas,
      args: [...schedulerArgs, `--namespace=${herd.namespace}`],
      logLevel: o.logLevel,
    });
    say(`seed ${o.seed}; ${o.replicas} replicas, ${o.canaries} canaries in ${herd.namespace}`);
    await herd.start(imageOf(0));
    await fleet.startAll();
    await herd.waitForAll(['Initialized'], 300_000);

    const tracks = new Map<string, Track>(
      herd.names.map((n) => [n, { outcomes: [], state: 'ended', logMark: 0 }]),
    );
    let stopping = false;
    const driver = driveRollouts(herd, tracks, () => stopping);

    const f = fleet;
    let kills = 0;
    const killingUntil = Date.now() + o.maxKillingMs;
    while (kills < o.kills && Date.now() < killingUntil) {
      await sleep(o.killEveryMs * (0.25 + 1.5 * random()));
      driver.check();
      // One replica at least stays up, so that something ticks while the victim is away.
      const alive = f.running();
      if (alive.length < 2) continue;
      const victim = alive[Math.floor(random() * alive.length)]!;
      await f.kill(victim);
      kills++;
      if (kills % 20 === 0) say(`${kills} kills; ${driver.describe()}`);
      const restart = restartUntilUp(f, victim, sleep(random() * 2_000), say).finally(() =>
        restarts.delete(restart),
      );
      restarts.add(restart);
    }
    stopping = true;
    say(
      `${kills} kills delivered in ${Math.round((Date.now() - started) / 1000)} s; waiting for the last rollouts`,
    );
    await Promise.all([...restarts]);
    await waitUntil('every rollout to end', () => driver.check() && driver.allEnded(), {
      timeoutMs: o.finishTimeoutMs,
      pollMs: 1_000,
      describe: () => driver.describe(),
    });
    await driver.stop();
    return await judge(o, herd, tracks, kills, started);
  } finally {
    await Promise.allSettled([...restarts]);
    await fleet?.stopAll();
    await herd.stop();
    await redis?.dispose();
  }
}

/**
 * Starts replica `index` again after `delay`, and again after a failed start (a start that ran out
 * of time on a loaded machine): a replica left down would stop the kills, which need two running.
 */
async function restartUntilUp(
  fleet: ControllerFleet,
  index: number,
  delay: Promise<unknown>,
  say: (text: string) => void,
): Promise<void> {
  await delay;
  for (let attempt = 1; ; attempt++) {
    try {
      await fleet.start(index);
      return;
    } catch (error) {
      say(`start ${attempt} of ${fleet.name(index)} failed, trying again: ${String(error).split('\n')[0]}`);
      if (attempt >= MAX_START_ATTEMPTS) throw error;
    }
  }
}

/**
 * Polls the canaries once a second and gives each the next revision as soon as its rollout has
 * ended: phase Succeeded or Failed and the route back at `100/0` (a tick writes the status before
 * the route, so the phase alone may be seen a moment too early). A revision's rollout counts as
 * begun once the phase left Succeeded/Failed or a step reached the VirtualService.
 */
function driveRollouts(herd: CanaryHerd, tracks: Map<string, Track>, stopping: () => boolean) {
  let phases = new Map<string, string | undefined>();
  let failure: unknown;
  let failedPolls = 0;
  let running = true;
  const tick = async () => {
    const canaries = await herd.canaries();
    phases = new Map(canaries.map((c: Canary) => [c.metadata.name, c.status?.phase]));
    for (const [name, track] of tracks) {
      const log = herd.weights.get(name) ?? [];
      const phase = phases.get(name) ?? '';
      if (track.state === 'applied' && (!TERMINAL.includes(phase) || log.length > track.logMark))
        track.state = 'running';
      if (track.state === 'running' && TERMINAL.includes(phase) && log.at(-1) === '100/0')
        track.state = 'ended';
      if (track.state === 'ended' && !stopping()) {
        const revision = track.outcomes.length + 1;
        await herd.setImageOf(name, imageOf(revision));
        track.outcomes.push(herd.isFailing(name) ? 'rolled-back' : 'promoted');
        track.state = 'applied';
        track.logMark = log.length;
      }
    }
  };
  const loop = (async () => {
    while (running) {
      try {
        await tick();
        failedPolls = 0;
      } catch (error) {
        // The API server on a loaded machine can time out a request: try again next second, but
        // let the run see an error that persists.
        failure = error;
        failedPolls++;
      }
      await sleep(1_000);
    }
  })();
  return {
    /** True; throws the last error once polls have failed for a minute on end. */
    check: () => {
      if (failedPolls >= MAX_FAILED_POLLS)
        throw new Error(`soak: ${failedPolls} polls of ${herd.namespace} failed in a row`, {
          cause: failure,
        });
      return true;
    },
    allEnded: () => [...tracks.values()].every((t) => t.state === 'ended'),
    describe: () =>
      `${describePhases(phases.values())}; rollouts given ${[...tracks.values()].reduce((n, t) => n + t.outcomes.length, 0)}`,
    stop: async () => {
      running = false;
      await loop;
    },
  };
}

/** The splits around index `at` of a log (the whole log's tail for -1), for defect messages. */
function around(log: readonly string[], at: number): string {
  const from = at < 0 ? Math.max(0, log.length - 12) : Math.max(0, at - 8);
  const to = at < 0 ? log.length : at + 4;
  return `${from > 0 ? '... ' : ''}${log.slice(from, to).join(' ')}${to < log.length ? ' ...' : ''}`;
}

async function judge(
  o: SoakOptions,
  herd: CanaryHerd,
  tracks: Map<string, Track>,
  kills: number,
  started: number,
): Promise<SoakFigures> {
  const ladder = { stepWeight: HERD_STEP_WEIGHT, maxWeight: HERD_MAX_WEIGHT };
  const byName = new Map((await herd.canaries()).map((c) => [c.metadata.name, c]));
  const wrongFinalStates: string[] = [];
  const stepDefects: Record<StepDefect['kind'], number> = {
    malformed: 0,
    skipped: 0,
    repeated: 0,
    beyond: 0,
    'cut-short': 0,
    rollouts: 0,
  };
  const stepDefectSamples: string[] = [];
  let promoted = 0;
  let rolledBack = 0;
  let weightWrites = 0;
  for (const name of herd.names) {
    const track = tracks.get(name)!;
    const log = herd.weights.get(name) ?? [];
    weightWrites += log.length;
    promoted += track.outcomes.filter((x) => x === 'promoted').length;
    rolledBack += track.outcomes.filter((x) => x === 'rolled-back').length;
    const lastPromoted = track.outcomes.lastIndexOf('promoted');
    const problem = finalStateProblem({
      name,
      expected: track.outcomes.at(-1) ?? 'promoted',
      lastImage: imageOf(track.outcomes.length),
      lastPromotedImage: imageOf(lastPromoted + 1),
      phase: byName.get(name)?.status?.phase,
      primaryImage: (await herd.deployment(`${name}-primary`))?.spec.template.spec.containers[0]?.image,
      lastSplit: log.at(-1),
      targetReplicas: (await herd.deployment(name))?.spec.replicas,
    });
    if (problem) wrongFinalStates.push(problem);
    for (const d of calculateStepDefects(log, track.outcomes, ladder)) {
      stepDefects[d.kind]++;
      if (stepDefectSamples.length < 20)
        stepDefectSamples.push(`${name}: ${d.kind} ${d.detail} (${around(log, d.at)})`);
    }
  }
  return {
    scheduler: o.scheduler,
    replicas: o.replicas,
    canaries: o.canaries,
    seed: o.seed,
    kills,
    killsAsked: o.kills,
    rollouts: { promoted, rolledBack },
    wrongFinalStates,
    stepDefects,
    stepDefectSamples,
    weightWrites,
    elapsedSeconds: (Date.now() - started) / 1000,
  };
}
