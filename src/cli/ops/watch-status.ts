/**
 * `fledge status NAME --watch`: redraws the rollout until the target's current revision has been
 * promoted (exit 0) or rolled back (exit 1), so that a pipeline can wait on it:
 * `kubectl apply ... && fledge status app --watch --timeout 30m`.
 *
 * "Current revision" matters: right after a `kubectl apply`, the Canary still says Succeeded for
 * the previous revision until the controller's next tick sees the new one. The watch compares the
 * target's revision (computed as the controller computes it) with `status.lastAppliedSpec` and only
 * ends on a phase that is about the revision the target is at now.
 */
import logUpdate from 'log-update';
import type { Canary } from '../../api/schema/canary.js';
import type { Cluster } from '../../kube/cluster.js';
import { API, objectKey, type Deployment } from '../../kube/resources.js';
import { readTargetRevision } from '../../workloads/target-revision.js';
import { renderStatus } from './canary-view.js';
import { OperatorError } from './connection.js';
import { readCanary, readEvents } from './reads.js';

export interface WatchStatusOptions {
  cluster: Cluster;
  namespace: string;
  name: string;
  /** Give up after this long (exit 1). */
  timeoutMs?: number;
  /** How often the view is read again (default 1 s; reads are served from the informer caches). */
  pollMs?: number;
  /** Receives each changed frame; defaults to redrawing in place on a terminal, else printing it. */
  output?: (frame: string) => void;
  /** Receives the last line (how it ended); defaults to stderr. */
  report?: (line: string) => void;
  now?: () => Date;
}

/** How a watched rollout ended: exit status and a last line. */
export interface WatchOutcome {
  code: 0 | 1;
  message: string;
}

/** The outcome when the Canary's phase is final for the revision the target is at; else undefined. */
export function settledOutcome(canary: Canary, targetRevision: string): WatchOutcome | undefined {
  const status = canary.status ?? {};
  const id = `${canary.metadata.namespace}/${canary.metadata.name}`;
  if (status.lastAppliedSpec !== targetRevision) return undefined;
  if (status.phase === 'Succeeded' || status.phase === 'Initialized')
    return { code: 0, message: `canary ${id}: ${status.phase}, the primary runs the target's revision` };
  if (status.phase === 'Failed')
    return { code: 1, message: `canary ${id}: Failed, rolled back; the primary keeps the previous revision` };
  return undefined;
}

function defaultOutput(): (frame: string) => void {
  if (process.stdout.isTTY) return (frame) => logUpdate(frame);
  return (frame) => process.stdout.write(`${frame}\n\n`);
}

/** Watches until the rollout ends or the timeout passes; returns the exit status. */
export async function watchStatus(o: WatchStatusOptions): Promise<number> {
  const now = o.now ?? (() => new Date());
  const output = o.output ?? defaultOutput();
  const report = o.report ?? ((line: string) => void process.stderr.write(`${line}\n`));
  const deadline = o.timeoutMs === undefined ? Infinity : Date.now() + o.timeoutMs;
  let last = '';
  for (;;) {
    const canary = await readCanary(o.cluster, o.namespace, o.name);
    const target = await o.cluster.get<Deployment>(
      objectKey(API.deployment, o.namespace, canary.spec.targetRef.name),
    );
    if (!target)
      throw new OperatorError(
        `canary ${o.namespace}/${o.name}: target deployment ${canary.spec.targetRef.name} not found`,
      );
    const revision = await readTargetRevision(o.cluster, o.namespace, target);
    const outcome = settledOutcome(canary, revision);
    const pending =
      canary.status?.lastAppliedSpec !== revision
        ? "\n  (the controller has not picked up the target's revision yet)"
        : '';
    const frame = renderStatus(canary, await readEvents(o.cluster, o.namespace), now()) + pending;
    if (frame !== last) output(frame);
    last = frame;
    if (outcome) {
      report(outcome.message);
      return outcome.code;
    }
    if (Date.now() >= deadline) {
      report(
        `canary ${o.namespace}/${o.name}: still ${canary.status?.phase ?? 'Pending'} after ${Math.round((o.timeoutMs ?? 0) / 1000)} s; giving up`,
      );
      return 1;
    }
    await new Promise((resolve) =>
      setTimeout(resolve, Math.min(o.pollMs ?? 1_000, Math.max(0, deadline - Date.now()))),
    );
  }
}
