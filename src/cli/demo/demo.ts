/**
 * `fledge demo`: rollouts in the sandbox, shown live with the routing object each provider's router
 * writes, through the routes of `--provider` (istio, gatewayapi, nginx: healthy, faulty, A/B and judge;
 * linkerd: healthy, faulty and judge; kubernetes: healthy and faulty as blue/green). Exits non-zero if any
 * outcome differs from the one announced.
 */
import type { Command } from 'commander';
import { pino } from 'pino';
import type { Canary, CheckResult } from '../../api/schema/canary.js';
import type { ObjectKey } from '../../kube/cluster.js';
import { API, objectKey, type Deployment, type KubeEvent } from '../../kube/resources.js';
import { createLogger } from '../../log.js';
import { judgeSummary } from '../ops/judge-view.js';
import { lineDisplay, terminalDisplay, type Display, type RowState } from './display.js';
import { startSandbox, type Sandbox } from './sandbox.js';
import {
  APP,
  DEMO_PROVIDERS,
  VERSIONS,
  deployment,
  scenariosFor,
  type DemoProvider,
  type Outcome,
  type Scenario,
} from './scenarios.js';
import { setTimeout as sleep } from 'node:timers/promises';

export interface DemoOptions {
  /** Give up after this long. */
  timeoutMs: number;
  /** Where the controller's JSON logs go (a file); discarded when undefined. */
  logFile?: string;
  /** Redraw in place (a terminal) or print lines. */
  live: boolean;
  write: (line: string) => void;
  /** Whose routes the stories go through (default istio). */
  provider?: DemoProvider;
  /** The stories to play (by default every story the provider can tell). */
  scenarios?: Scenario[];
}

interface Progress {
  scenario: Scenario;
  status: Canary['status'];
  /** A/B: requests of non-premium users that reached the canary since the rollout started. */
  othersToCanary: number;
  premiumToCanary: number;
  /** A/B: the last sample's shares, for the display. */
  lastShares?: string;
  /** What the provider's routing object says now. */
  routes?: string;
  /** The judge's story: a threshold check that failed during the rollout, if one did. */
  failedThreshold?: string;
  finished?: Outcome;
}

const POLL_MS = 100;

function share(c: { requests: number; toCanary: number }): string {
  return c.requests === 0 ? '-' : `${Math.round((100 * c.toCanary) / c.requests)}%`;
}

function describeChecks(checks: CheckResult[] | undefined): string {
  return (checks ?? [])
    .filter((c) => c.kind === 'metric')
    .map((c) => {
      const value = c.value === undefined ? 'no data' : String(Math.round(c.value * 10) / 10);
      const range = c.min !== undefined ? `min ${c.min}` : c.max !== undefined ? `max ${c.max}` : '';
      return `${c.name} ${value} (${range})${c.passed ? '' : ' FAILED'}`;
    })
    .join(', ');
}

function rowOf(p: Progress): RowState {
  const s = p.status ?? {};
  const a = p.scenario.canary.spec.analysis;
  const split = p.scenario.premiumOnly ? p.lastShares : undefined;
  return {
    key: p.scenario.key,
    image: p.scenario.toImage,
    phase: s.phase ?? 'Pending',
    weight: s.canaryWeight ?? 0,
    failedChecks: s.failedChecks ?? 0,
    threshold: a.threshold ?? 1,
    ...(a.iterations ? { iterations: `${s.iterations ?? 0}/${a.iterations}` } : {}),
    checks: describeChecks(s.checks),
    ...(split ? { split } : {}),
    ...(p.routes ? { routes: p.routes } : {}),
    ...(s.judge ? { judge: judgeSummary(s.judge) } : {}),
    ...(p.finished
      ? { done: p.finished === p.scenario.expected && p.othersToCanary === 0 ? 'ok' : 'unexpected' }
      : {}),
  };
}

async function canaryStatus(sandbox: Sandbox, key: ObjectKey): Promise<Canary['status']> {
  return (await sandbox.cluster.get<Canary>(key))?.status;
}

/** Installs the app and its Canary, waits for initialisation, then rolls out the new image. */
async function play(sandbox: Sandbox, p: Progress, deadline: number): Promise<void> {
  const { scenario } = p;
  const key = objectKey(API.canary, scenario.namespace, APP);
  await sandbox.cluster.create(deployment(scenario.namespace, scenario.fromImage));
  for (const o of scenario.objects ?? []) await sandbox.cluster.create(o);
  await sandbox.cluster.create(scenario.canary);
  while ((p.status = await canaryStatus(sandbox, key))?.phase !== 'Initialized') {
    p.routes = sandbox.traffic.routesOf(scenario.namespace, APP);
    if (Date.now() > deadline) return;
    await sleep(POLL_MS);
  }
  const target = (await sandbox.cluster.get<Deployment>(objectKey(API.deployment, scenario.namespace, APP)))!;
  target.spec.template.spec.containers[0]!.image = scenario.toImage;
  await sandbox.cluster.replace(target);
  let started = false;
  const before = sandbox.traffic.totalSplit(scenario.namespace, APP);
  while (Date.now() < deadline) {
    p.status = await canaryStatus(sandbox, key);
    p.routes = sandbox.traffic.routesOf(scenario.namespace, APP);
    const phase = p.status?.phase;
    if (phase === 'Progressing') started = true;
    const failedCheck = started ? p.status?.checks?.find((c) => !c.passed) : undefined;
    if (failedCheck && !p.failedThreshold) p.failedThreshold = failedCheck.message;
    const total = sandbox.traffic.totalSplit(scenario.namespace, APP);
    const last = sandbox.traffic.lastSplit(scenario.namespace, APP);
    if (scenario.premiumOnly && total && last) {
      p.othersToCanary = total.other.toCanary - (before?.other.toCanary ?? 0);
      p.premiumToCanary = total.premium.toCanary - (before?.premium.toCanary ?? 0);
      p.lastShares = `premium users -> canary ${share(last.premium)}, other users -> canary ${share(last.other)}`;
    }
    if (started && (phase === 'Succeeded' || phase === 'Failed')) {
      p.finished = phase;
      return;
    }
    await sleep(POLL_MS);
  }
}

/** The judge's story must be the judge's doing: thresholds passing throughout, a regression verdict. */
function judgedProblems(p: Progress): string[] {
  if (!p.scenario.judged) return [];
  const problems: string[] = [];
  if (p.failedThreshold) problems.push(`a threshold check failed (${p.failedThreshold})`);
  const judge = p.status?.judge;
  if (judge?.outcome !== 'regression')
    problems.push(`the judge's last verdict is ${judge?.outcome ?? 'missing'}, not regression`);
  return problems;
}

/** Runs the demo; resolves to the exit code. */
export async function runDemo(options: DemoOptions): Promise<number> {
  const logger = options.logFile
    ? createLogger({ level: 'debug', destination: pino.destination({ dest: options.logFile, sync: false }) })
    : createLogger({ level: 'silent' });
  options.write('Fledge sandbox: the real controller on an in-memory cluster with simulated traffic.');
  const provider = options.provider ?? 'istio';
  const scenarios = options.scenarios ?? scenariosFor(provider);
  for (const s of scenarios) options.write(`  ${s.key.padEnd(8)} ${s.story}`);
  options.write('');

  const sandbox = startSandbox({
    logger,
    minIntervalMs: 1_000,
    readyDelayMs: 300,
    versions: VERSIONS,
    requestsPerSecond: 200,
    requestsPerSecondIn: Object.fromEntries(
      scenarios.flatMap((s) => (s.requestsPerSecond ? [[s.namespace, s.requestsPerSecond]] : [])),
    ),
    premiumShare: 0.3,
    provider,
  });
  const events: string[] = [];
  const stopEvents = sandbox.cluster.watch<KubeEvent>({ ...API.event }, (e) => {
    if (e.type !== 'ADDED') return;
    events.push(`${e.object.metadata.namespace}: ${e.object.note}`);
    if (events.length > 8) events.shift();
  });
  const display: Display = options.live ? terminalDisplay() : lineDisplay(options.write);
  const progress: Progress[] = scenarios.map((scenario) => ({
    scenario,
    status: undefined,
    othersToCanary: 0,
    premiumToCanary: 0,
  }));
  const deadline = Date.now() + options.timeoutMs;
  const timer = setInterval(() => display.update(progress.map(rowOf), [...events]), 200);
  try {
    await Promise.all(progress.map((p) => play(sandbox, p, deadline)));
  } finally {
    clearInterval(timer);
    display.update(progress.map(rowOf), [...events]);
    display.done();
    stopEvents();
    await sandbox.stop();
  }

  options.write('');
  let failures = 0;
  for (const p of progress) {
    const problems: string[] = [];
    if (p.finished !== p.scenario.expected) {
      problems.push(
        `expected ${p.scenario.expected}, got ${p.finished ?? `${p.status?.phase ?? 'no status'} (timed out)`}`,
      );
    }
    if (p.scenario.premiumOnly && p.othersToCanary > 0) {
      problems.push(`${p.othersToCanary} requests of non-premium users reached the canary`);
    }
    if (p.scenario.premiumOnly && p.premiumToCanary === 0)
      problems.push('no premium request reached the canary');
    problems.push(...judgedProblems(p));
    failures += problems.length > 0 ? 1 : 0;
    options.write(
      problems.length === 0
        ? `ok   ${p.scenario.key}: ${p.scenario.story}`
        : `FAIL ${p.scenario.key}: ${problems.join('; ')}`,
    );
  }
  if (options.logFile) options.write(`Controller logs: ${options.logFile}`);
  return failures === 0 ? 0 : 1;
}

export function registerDemoCommand(program: Command): Command {
  return program
    .command('demo')
    .description('run rollouts (healthy, faulty, A/B, judge) in a sandbox: no cluster, no Redis needed')
    .option('--timeout <seconds>', 'give up after this many seconds', '100')
    .option(
      '--provider <provider>',
      `whose routes the traffic follows: ${DEMO_PROVIDERS.join(', ')} (linkerd has no A/B story: an SMI TrafficSplit has no header matching; kubernetes plays blue/green: Services have no split)`,
      'istio',
    )
    .option('--log-file <path>', "write the controller's JSON logs to this file")
    .option(
      '--no-live',
      'print one line per change instead of redrawing (the default when not on a terminal)',
    )
    .action(async (o: { timeout: string; logFile?: string; live: boolean; provider: string }) => {
      const timeoutSeconds = Number(o.timeout);
      if (!Number.isFinite(timeoutSeconds) || timeoutSeconds <= 0) {
        program.error(`--timeout: must be a positive number of seconds (got "${o.timeout}")`);
      }
      if (!(DEMO_PROVIDERS as readonly string[]).includes(o.provider)) {
        program.error(`--provider: must be one of ${DEMO_PROVIDERS.join(', ')} (got "${o.provider}")`);
      }
      process.exitCode = await runDemo({
        timeoutMs: timeoutSeconds * 1000,
        provider: o.provider as DemoProvider,
        ...(o.logFile ? { logFile: o.logFile } : {}),
        live: o.live && Boolean(process.stdout.isTTY),
        write: (line) => process.stdout.write(`${line}\n`),
      });
    });
}
