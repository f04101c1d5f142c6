/**
 * The operator verbs: `fledge get`, `status`, `pause`, `resume`, and the requests `promote`,
 * `abort`, `retry` (`request-commands.ts`), also `kubectl fledge ...` through the `kubectl-fledge`
 * binary. They read and write Canaries through the cluster port.
 */
import { InvalidArgumentError, type Command } from 'commander';
import { parseDurationMs } from '../../api/duration.js';
import { KubeEventRecorder } from '../../controller/event-recorder.js';
import { EventReasons } from '../../controller/events.js';
import type { Cluster } from '../../kube/cluster.js';
import { API, objectKey } from '../../kube/resources.js';
import { canaryRow, renderGet, renderStatus } from './canary-view.js';
import { printObjects, runVerb, withClusterFlags, type ClusterFlags } from './connection.js';
import { readCanaries, readCanary, readEvents, whoAmI } from './reads.js';
import { CLI_REPORTING_CONTROLLER, registerRequestCommands } from './request-commands.js';
import { watchStatus } from './watch-status.js';

function parseTimeout(value: string): number {
  const ms = parseDurationMs(value);
  if (ms === undefined || !(ms > 0)) throw new InvalidArgumentError(`not a duration such as 30m: ${value}`);
  return ms;
}

/** Sets or clears `spec.suspend` and records it in an Event. */
async function setSuspended(cluster: Cluster, namespace: string, name: string, suspend: boolean) {
  const canary = await readCanary(cluster, namespace, name);
  const already = canary.spec.suspend === true;
  if (already === suspend) return `canary ${namespace}/${name} is already ${suspend ? 'paused' : 'running'}`;
  // Resuming removes the field rather than writing false: a GitOps copy without it stays in sync.
  await cluster.patch(objectKey(API.canary, namespace, name), { spec: { suspend: suspend ? true : null } });
  const who = await whoAmI(cluster);
  await new KubeEventRecorder({
    cluster,
    now: () => new Date(),
    instance: who,
    reportingController: CLI_REPORTING_CONTROLLER,
  }).record(
    { namespace, name, uid: canary.metadata.uid ?? '' },
    {
      type: 'Normal',
      reason: suspend ? EventReasons.Paused : EventReasons.Resumed,
      message: `${suspend ? 'paused' : 'resumed'} by ${who} with fledge ${suspend ? 'pause' : 'resume'}`,
    },
  );
  return `canary ${namespace}/${name} ${suspend ? 'paused' : 'resumed'}`;
}

/** Registers the operator verbs on the `fledge` program. */
export function registerOperatorCommands(program: Command): void {
  withClusterFlags(
    program
      .command('get')
      .description('list canaries: phase, weight, failed checks, iteration, last check values, age')
      .argument('[name]', 'one canary'),
    { listing: true },
  ).action((name: string | undefined, flags: ClusterFlags) =>
    runVerb('get', flags, async ({ cluster, namespace }) => {
      const canaries = await readCanaries(cluster, namespace, name, flags.allNamespaces === true);
      if (flags.output === 'json' || flags.output === 'yaml') {
        process.stdout.write(`${printObjects(canaries, flags.output, name === undefined)}\n`);
        return;
      }
      if (canaries.length === 0) {
        process.stderr.write(
          `No canaries found${flags.allNamespaces ? '' : ` in namespace ${namespace}`}.\n`,
        );
        return;
      }
      const now = new Date();
      process.stdout.write(
        `${renderGet(
          canaries.map((c) => canaryRow(c, now)),
          flags.allNamespaces === true,
        )}\n`,
      );
    }),
  );

  withClusterFlags(
    program
      .command('status')
      .description('show a rollout: steps, weights, each check with value, range and verdict, gates, Events')
      .argument('<name>', 'the canary')
      .option(
        '-w, --watch',
        'redraw until the rollout of the current revision ends; exit 0 if it succeeded, 1 if not',
      )
      .option(
        '--timeout <duration>',
        'with --watch: give up (exit 1) after this long, e.g. 30m',
        parseTimeout,
      ),
  ).action((name: string, flags: ClusterFlags & { watch?: boolean; timeout?: number }) =>
    runVerb('status', flags, async ({ cluster, namespace }) => {
      if (flags.watch) {
        return watchStatus({
          cluster,
          namespace,
          name,
          ...(flags.timeout ? { timeoutMs: flags.timeout } : {}),
        });
      }
      const canary = await readCanary(cluster, namespace, name);
      if (flags.output === 'json' || flags.output === 'yaml') {
        process.stdout.write(`${printObjects([canary.status ?? {}], flags.output, false)}\n`);
        return;
      }
      process.stdout.write(`${renderStatus(canary, await readEvents(cluster, namespace), new Date())}\n`);
    }),
  );

  for (const [verb, suspend] of [
    ['pause', true],
    ['resume', false],
  ] as const) {
    withClusterFlags(
      program
        .command(verb)
        .description(
          suspend
            ? 'suspend a canary (spec.suspend): no ticks, traffic stays as it is'
            : 'resume a suspended canary',
        )
        .argument('<name>', 'the canary'),
    ).action((name: string, flags: ClusterFlags) =>
      runVerb(verb, flags, async ({ cluster, namespace }) => {
        process.stdout.write(`${await setSuspended(cluster, namespace, name, suspend)}\n`);
      }),
    );
  }
  registerRequestCommands(program);
}
