/**
 * End-to-end: several `fledge controller` processes as replicas against the local control plane.
 * With `--redis-url` they share one BullMQ queue on a real redis-server; without it, a Lease picks
 * the one replica that ticks. Replicas are SIGKILLed, Redis is restarted; the assertions are on what
 * reached the API server (every VirtualService weight, seen through a watch, the Canary status, the
 * Lease) and on each replica's own `/metrics`.
 *
 * The canaries step on time alone (no metrics): what is under test is who ticks which canary and
 * when, not the analysis. Each scenario has its own namespace (the replicas watch only it), its own
 * Redis and its own Lease.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Lease } from '../../src/controller/leader-election.js';
import { API, objectKey } from '../../src/kube/resources.js';
import { startRedis, type RedisInstance } from '../support/devtools/redis-server.js';
import { CanaryHerd } from '../support/devtools/canary-herd.js';
import { ControllerFleet } from '../support/devtools/controller-fleet.js';
import { seededRandom } from '../support/devtools/seeded-random.js';
import { e2eCluster, phaseTimer } from './support/e2e-cluster.js';
import { setTimeout as sleep } from 'node:timers/promises';

/** The Lease duration of `fledge controller` (client-go's default, 15 s). */
const LEASE_DURATION_MS = 15_000;
/** How often candidates look at the Lease: a takeover comes up to one period after the duration. */
const LEASE_RETRY_PERIOD_MS = 2_000;
/** Slack for a loaded machine (API server latency, process scheduling). */
const TAKEOVER_TOLERANCE_MS = 8_000;
/** Replicas SIGKILLed mid-tick leave BullMQ jobs that another replica runs again once their lock expires. */
const FINISH_TIMEOUT_MS = 180_000;

const logDir = mkdtempSync(join(tmpdir(), 'fledge-e2e-replicas-'));
const run = Math.random().toString(36).slice(2, 7);
const cleanups: (() => Promise<unknown>)[] = [];
let fleet: ControllerFleet | undefined;
const cluster = e2eCluster({
  qps: 100,
  burst: 200,
  cleanUp: async () => {
    await cleanUp();
    say(`controller logs in ${logDir}`);
  },
});

function say(text: string): void {
  process.stdout.write(`e2e replicas: ${text}\n`);
}

async function redisServer(): Promise<RedisInstance> {
  const redis = await startRedis();
  cleanups.push(() => redis.dispose());
  return redis;
}

function herd(name: string, o: { count: number; failing?: (index: number) => boolean }): CanaryHerd {
  const h = new CanaryHerd(cluster.kube, { namespace: `replicas-${name}-${run}`, ...o });
  cleanups.push(() => h.stop());
  return h;
}

function controllers(prefix: string, size: number, args: string[]): ControllerFleet {
  const f = new ControllerFleet({ kubeconfig: cluster.local.kubeconfigPath, logDir, prefix, size, args });
  cleanups.push(() => f.stopAll());
  fleet = f;
  return f;
}

/** Starts the canaries' rollouts (new image) once all are initialised; logs how long each part took. */
async function rollOut(h: CanaryHerd): Promise<void> {
  let done = phaseTimer(`${h.namespace}: ${h.names.length} canaries initialised`);
  await h.waitForAll(['Initialized'], 120_000);
  done();
  done = phaseTimer(`${h.namespace}: new image set on ${h.names.length} Deployments`);
  await h.setImage('podinfo:2');
  done();
}

/** Every canary ended as it was made to (promoted, or rolled back), with exactly its planned splits. */
async function expectRightFinalState(h: CanaryHerd, finished: Awaited<ReturnType<CanaryHerd['waitForAll']>>) {
  const phases = Object.fromEntries(h.names.map((n) => [n, finished.get(n)?.status?.phase]));
  const expectedPhases = Object.fromEntries(h.names.map((n) => [n, h.isFailing(n) ? 'Failed' : 'Succeeded']));
  expect(phases).toEqual(expectedPhases);
  expect(h.wrongWeights()).toEqual({});
  for (const name of h.names) {
    const primary = await h.deployment(`${name}-primary`);
    expect([name, primary?.spec.template.spec.containers[0]?.image]).toEqual([
      name,
      h.isFailing(name) ? 'podinfo:1' : 'podinfo:2',
    ]);
    expect([name, (await h.deployment(name))?.spec.replicas]).toEqual([name, 0]);
  }
}

/** Resolves once some canary of `h` has had `split` written to its VirtualService. */
async function someCanaryReached(h: CanaryHerd, split: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (![...h.weights.values()].some((w) => w.includes(split))) {
    if (Date.now() > deadline) throw new Error(`${h.namespace}: no canary reached ${split}`);
    await sleep(100);
  }
}

/** Stops what the scenario started (replicas first, so that they do not tick a namespace being deleted). */
async function cleanUp(): Promise<void> {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
  fleet = undefined;
}

/** The scenario's body, with the replicas' log tails printed when it fails (assertion or timeout). */
function logsOnFailure(body: () => Promise<void>): () => Promise<void> {
  return async () => {
    try {
      await body();
    } catch (err) {
      if (fleet) say(`controller log tails:\n${fleet.logTails(40)}`);
      throw err;
    }
  };
}

// Each scenario's replicas, Redis and namespace go away before the next starts: idle replicas would
// keep ticking finished canaries and load the 2 cores the next scenario runs on.
afterEach(cleanUp, 60_000);

it(
  '1. three replicas on one Redis share 30 canaries: all promoted, no step skipped or repeated, every replica ticks',
  logsOnFailure(async () => {
    const done = phaseTimer('replicas scenario 1');
    const redis = await redisServer();
    const h = herd('share', { count: 30 });
    const f = controllers('share', 3, [`--redis-url=${redis.url}`, `--namespace=${h.namespace}`]);
    await f.startAll();
    await h.start();
    await rollOut(h);
    const rollout = phaseTimer('replicas scenario 1: 30 rollouts');
    const finished = await h.waitForAll(['Succeeded', 'Failed'], FINISH_TIMEOUT_MS);
    rollout();
    await expectRightFinalState(h, finished);
    const split = await f.tickSplit();
    say(`scenario 1: ticks per replica ${JSON.stringify(split)}`);
    expect(Object.keys(split)).toHaveLength(3);
    for (const [replica, ticks] of Object.entries(split))
      expect([replica, ticks > 0]).toEqual([replica, true]);
    done();
  }),
  400_000,
);

it(
  '2. replicas SIGKILLed and restarted at random moments: every canary ends right, no step skipped or repeated',
  logsOnFailure(async () => {
    const done = phaseTimer('replicas scenario 2');
    const seed = Number(process.env['FLEDGE_E2E_SEED'] ?? Date.now() % 2_147_483_647);
    say(`scenario 2: seed ${seed} (FLEDGE_E2E_SEED=${seed} replays the kill schedule)`);
    const random = seededRandom(seed);
    const redis = await redisServer();
    const h = herd('chaos', { count: 10, failing: (i) => i % 5 === 4 });
    const f = controllers('chaos', 3, [`--redis-url=${redis.url}`, `--namespace=${h.namespace}`]);
    await f.startAll();
    await h.start();
    await rollOut(h);

    let finished = false;
    const kills: string[] = [];
    const started = Date.now();
    // One replica down at a time, so the others keep ticking while it is away.
    const chaos = (async () => {
      while (!finished) {
        await sleep(500 + random() * 2_500);
        if (finished) break;
        const alive = f.running();
        const victim = alive[Math.floor(random() * alive.length)]!;
        await f.kill(victim);
        kills.push(`${((Date.now() - started) / 1000).toFixed(1)}s ${f.name(victim)}`);
        await sleep(random() * 2_000);
        await f.start(victim);
      }
    })();
    const rollout = phaseTimer('replicas scenario 2: 10 rollouts under SIGKILLs');
    try {
      const states = await h.waitForAll(['Succeeded', 'Failed'], FINISH_TIMEOUT_MS);
      rollout();
      finished = true;
      await chaos;
      say(`scenario 2: ${kills.length} kills: ${kills.join(', ')}`);
      expect(kills.length).toBeGreaterThan(0);
      await expectRightFinalState(h, states);
    } finally {
      finished = true;
      await chaos.catch(() => undefined);
    }
    done();
  }),
  400_000,
);

it(
  '3. redis-server restarted mid-rollout (empty): every canary finishes, no step skipped or repeated',
  logsOnFailure(async () => {
    const done = phaseTimer('replicas scenario 3');
    const redis = await redisServer();
    const h = herd('redis', { count: 10 });
    const f = controllers('redis', 3, [`--redis-url=${redis.url}`, `--namespace=${h.namespace}`]);
    await f.startAll();
    await h.start();
    await rollOut(h);
    await someCanaryReached(h, '80/20');
    const progressing = (await h.canaries()).filter((c) => c.status?.phase === 'Progressing').length;
    say(`scenario 3: restarting Redis with ${progressing} canaries progressing`);
    expect(progressing).toBeGreaterThan(0);
    const outage = phaseTimer('replicas scenario 3: Redis down (2 s) and back');
    await redis.stop();
    await sleep(2_000);
    await redis.start();
    outage();
    const rollout = phaseTimer('replicas scenario 3: rollouts after the restart');
    const finished = await h.waitForAll(['Succeeded', 'Failed'], FINISH_TIMEOUT_MS);
    rollout();
    await expectRightFinalState(h, finished);
    // The schedules came back: the queue in the new Redis holds them again.
    expect(await redis.command(['EXISTS', 'fledge:canary-ticks:repeat'])).toBe(1);
    done();
  }),
  400_000,
);

it(
  '4. without Redis, two replicas and a Lease: the holder is SIGKILLed, the other takes over within a lease duration, no canary stepped by both',
  logsOnFailure(async () => {
    const done = phaseTimer('replicas scenario 4');
    const h = herd('lease', { count: 10 });
    const f = controllers('lease', 2, [
      `--namespace=${h.namespace}`,
      `--leader-election-namespace=${h.namespace}`,
    ]);
    await h.start();
    const holders: { holder: string; atMs: number }[] = [];
    const unwatch = cluster.kube.watch<Lease>({ ...API.lease, namespace: h.namespace }, (e) => {
      const holder = e.object.spec.holderIdentity ?? '';
      if (e.object.metadata.name === 'fledge-controller' && holders.at(-1)?.holder !== holder)
        holders.push({ holder, atMs: Date.now() });
    });
    cleanups.push(async () => unwatch());
    await f.startAll();
    await rollOut(h);
    await someCanaryReached(h, '80/20');

    const lease = await cluster.kube.get<Lease>(objectKey(API.lease, h.namespace, 'fledge-controller'));
    const leader = [0, 1].find((i) => f.name(i) === lease?.spec.holderIdentity);
    expect(leader).toBeDefined();
    const follower = 1 - leader!;
    // Only the holder ticks: the other has run none so far.
    expect(await f.ticks(follower)).toBe(0);
    expect(await f.ticks(leader!)).toBeGreaterThan(0);

    const midRollout = (await h.canaries()).filter((c) => c.status?.phase === 'Progressing').length;
    say(`scenario 4: killing the Lease holder ${f.name(leader!)} with ${midRollout} canaries progressing`);
    expect(midRollout).toBeGreaterThan(0);
    const killedAt = Date.now();
    await f.kill(leader!);
    const deadline = killedAt + LEASE_DURATION_MS + LEASE_RETRY_PERIOD_MS + TAKEOVER_TOLERANCE_MS;
    while (holders.at(-1)?.holder !== f.name(follower) && Date.now() < deadline) await sleep(100);
    const takeoverMs = (holders.at(-1)?.atMs ?? Date.now()) - killedAt;
    say(
      `scenario 4: ${f.name(follower)} took the Lease over ${(takeoverMs / 1000).toFixed(1)}s after the kill`,
    );
    expect(holders.at(-1)?.holder).toBe(f.name(follower));
    expect(takeoverMs).toBeLessThanOrEqual(LEASE_DURATION_MS + LEASE_RETRY_PERIOD_MS + TAKEOVER_TOLERANCE_MS);

    const rollout = phaseTimer('replicas scenario 4: rollouts after the takeover');
    const finished = await h.waitForAll(['Succeeded', 'Failed'], FINISH_TIMEOUT_MS);
    rollout();
    await expectRightFinalState(h, finished);
    // The Lease changed hands once, from the killed replica to the other; nobody else held it.
    expect(holders.map((x) => x.holder)).toEqual([f.name(leader!), f.name(follower)]);
    expect(await f.ticks(follower)).toBeGreaterThan(0);
    done();
  }),
  400_000,
);
