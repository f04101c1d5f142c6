/**
 * `fledge promote [--full]`, `abort` and `retry`. They do not drive the rollout: each writes a
 * request (annotations on the Canary, `controller/request-annotations.ts`) that the controller
 * carries out on its next tick, for the revision named, and records in the Canary's status.
 */
import type { Command } from 'commander';
import type { Canary } from '../../api/schema/canary.js';
import type { RequestAction } from '../../api/schema/operator-request.js';
import { KubeEventRecorder } from '../../controller/event-recorder.js';
import { EventReasons } from '../../controller/events.js';
import { readRequest, requestAnnotations } from '../../controller/request-annotations.js';
import { ConflictError, type Cluster } from '../../kube/cluster.js';
import { API, objectKey } from '../../kube/resources.js';
import { OperatorError, runVerb, withClusterFlags, type ClusterFlags } from './connection.js';
import { readCanary, whoAmI } from './reads.js';

/** `reportingController` of the Events the operator verbs write. */
export const CLI_REPORTING_CONTROLLER = 'fledge.dev/cli';

const UNDER_WAY = ['Waiting', 'Progressing', 'WaitingPromotion'];

/**
 * The revision a request is for, or why the canary cannot take it now. Pure: the controller checks
 * again on its tick (the canary may move on meanwhile); this is for a clear message at once.
 */
export function requestRevision(
  canary: Canary,
  action: RequestAction,
): { revision: string } | { problem: string } {
  const ref = `canary ${canary.metadata.namespace}/${canary.metadata.name}`;
  const status = canary.status ?? {};
  const phase = status.phase ?? 'Initializing';
  if (canary.spec.suspend)
    return { problem: `${ref} is paused; fledge resume ${canary.metadata.name} first` };
  const pending = readRequest(canary.metadata.annotations);
  if (pending) {
    return {
      problem: `${ref} has a ${pending.action} request by ${pending.by} the controller has not handled yet; wait for its next tick`,
    };
  }
  switch (action) {
    case 'promote':
      if (!status.gate) return { problem: `${ref} waits at no gate (phase ${phase}); nothing to promote` };
      return { revision: status.gate.revision };
    case 'promote-full':
    case 'abort': {
      if (!UNDER_WAY.includes(phase)) return { problem: `${ref} has no rollout under way (phase ${phase})` };
      const revision = status.gate?.revision ?? (phase === 'Waiting' ? undefined : status.lastAppliedSpec);
      if (!revision)
        return { problem: `${ref} has not recorded the revision it waits with; try again shortly` };
      return { revision };
    }
    case 'retry':
      if (phase !== 'Failed' || (status.canaryWeight ?? 0) > 0 || !status.lastAppliedSpec) {
        return { problem: `${ref} is ${phase}, not Failed after an analysis: nothing to retry` };
      }
      return { revision: status.lastAppliedSpec };
  }
}

/**
 * Times the request is written again after a conflict. The controller writes the Canary's status on
 * every tick, which changes its resourceVersion, so a conflict is usual and says nothing wrong.
 */
const REQUEST_WRITE_ATTEMPTS = 5;

/**
 * Writes the request on the Canary as read, with its resourceVersion as precondition, so that a
 * canary that moved on meanwhile is checked again rather than guessed at; on a conflict it reads
 * the Canary again and repeats the checks.
 */
async function writeRequest(
  cluster: Cluster,
  namespace: string,
  name: string,
  action: RequestAction,
  by: string,
): Promise<{ canary: Canary; revision: string }> {
  for (let attempt = 1; ; attempt++) {
    const canary = await readCanary(cluster, namespace, name);
    const found = requestRevision(canary, action);
    if ('problem' in found) throw new OperatorError(found.problem);
    const at = new Date().toISOString();
    try {
      await cluster.patch(
        objectKey(API.canary, namespace, name),
        { metadata: { annotations: requestAnnotations({ action, revision: found.revision, by, at }) } },
        canary.metadata.resourceVersion ? { resourceVersion: canary.metadata.resourceVersion } : {},
      );
      return { canary, revision: found.revision };
    } catch (err) {
      if (!(err instanceof ConflictError) || attempt >= REQUEST_WRITE_ATTEMPTS) throw err;
    }
  }
}

/** Writes the request for `action` and records it in an Event; returns the line to print. */
export async function requestAction(
  cluster: Cluster,
  namespace: string,
  name: string,
  action: RequestAction,
): Promise<string> {
  const by = await whoAmI(cluster);
  const { canary, revision } = await writeRequest(cluster, namespace, name, action, by);
  const verb = action === 'promote-full' ? 'promote --full' : action;
  await new KubeEventRecorder({
    cluster,
    now: () => new Date(),
    instance: by,
    reportingController: CLI_REPORTING_CONTROLLER,
  }).record(
    { namespace, name, uid: canary.metadata.uid ?? '' },
    {
      type: 'Normal',
      reason: EventReasons.Requested,
      message: `${verb} of revision ${revision} requested by ${by} with fledge ${verb}`,
    },
  );
  return `${verb} of canary ${namespace}/${name} requested for revision ${revision}; the controller carries it out on its next tick`;
}

const VERBS: { verb: string; description: string; action: (full: boolean) => RequestAction }[] = [
  {
    verb: 'promote',
    description:
      'open the gate the canary waits at (confirm-rollout, confirm-traffic-increase, confirm-promotion); --full promotes now',
    action: (full) => (full ? 'promote-full' : 'promote'),
  },
  {
    verb: 'abort',
    description: 'roll back now, as a failed analysis would (alerts, post-rollout hooks, phase Failed)',
    action: () => 'abort',
  },
  { verb: 'retry', description: 'analyse the revision of a Failed canary again', action: () => 'retry' },
];

/** Registers `promote`, `abort` and `retry` on the `fledge` program. */
export function registerRequestCommands(program: Command): void {
  for (const { verb, description, action } of VERBS) {
    const command = program.command(verb).description(description).argument('<name>', 'the canary');
    if (verb === 'promote') command.option('--full', 'skip the rest of the analysis and promote');
    withClusterFlags(command).action((name: string, flags: ClusterFlags & { full?: boolean }) =>
      runVerb(verb, flags, async ({ cluster, namespace }) => {
        process.stdout.write(
          `${await requestAction(cluster, namespace, name, action(flags.full === true))}\n`,
        );
      }),
    );
  }
}
