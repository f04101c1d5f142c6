/**
 * Progress deadlines, as Kubernetes and Flagger judge them: a workload is out of time when its
 * Deployment says so (`Progressing: ProgressDeadlineExceeded`, reported by readiness as not
 * retriable), or when it has been unready for longer than `progressDeadlineSeconds`, timed from the
 * moment it became unready. That moment is kept in status (`primaryUnreadySince`,
 * `canaryUnreadySince`), so it survives restarts and is not confused with the last phase or weight
 * change: a pod that restarts late in a long analysis gets the whole deadline to come back.
 */
import type { Outcome } from './outcome.js';
import { canaryShouldRun } from './weights.js';

/** Which version of the workload. */
export type Version = 'primary' | 'canary';

const FIELD = { primary: 'primaryUnreadySince', canary: 'canaryUnreadySince' } as const;

/**
 * Brings the unready timers up to this tick's observations: started when a version is first seen
 * unready, cleared when it is ready. The canary is timed only while it should run. In Promoting the
 * primary counts as ready only once it runs the promoted revision.
 */
export function trackReadiness(out: Outcome): void {
  const { workload, status } = out.input;
  const primaryReady =
    workload.primary.ready &&
    (status.phase !== 'Promoting' || workload.primaryRevision === status.lastAppliedSpec);
  track(out, 'primary', primaryReady);
  if (canaryShouldRun(status)) track(out, 'canary', workload.canary.ready);
  else out.remove(FIELD.canary);
}

function track(out: Outcome, version: Version, ready: boolean): void {
  if (ready) out.remove(FIELD[version]);
  else if (!out.status[FIELD[version]]) startTimer(out, version);
}

/**
 * Starts a version's timer now: it is about to roll out (the canary scaled up for an analysis, the
 * primary given the promoted template), so it is unready from this moment until seen ready.
 */
export function startTimer(out: Outcome, version: Version): void {
  const now = out.input.now.toISOString();
  out.set(version === 'primary' ? { primaryUnreadySince: now } : { canaryUnreadySince: now });
}

/**
 * Why waiting for a version that is not ready cannot help, or undefined while it can: its rollout
 * can never finish, or it has been unready for longer than the progress deadline.
 * @param detail what is wrong, when not the readiness message (a primary that is ready at another revision)
 */
export function deadlineExceeded(out: Outcome, version: Version, detail?: string): string | undefined {
  const readiness = out.input.workload[version];
  if (!readiness.retriable) return readiness.message;
  const since = out.status[FIELD[version]];
  const sinceMs = since ? Date.parse(since) : NaN;
  const deadlineMs = out.input.canary.progressDeadlineMs;
  if (!Number.isFinite(sinceMs) || out.input.now.getTime() - sinceMs <= deadlineMs) return undefined;
  return `not ready since ${since} (longer than the progress deadline of ${deadlineMs / 1000}s): ${detail ?? readiness.message}`;
}
