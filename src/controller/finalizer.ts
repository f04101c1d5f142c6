/**
 * `revertOnDeletion`: the finalizer, and what deleting a Canary restores (the target's scale and
 * the apex selector through the workload controller, the routes from their saved copy through the
 * router).
 *
 * Deletion must never be blocked by the spec: a Canary whose spec fails today's rules (edited by
 * hand, written for another version) is finalized with whatever can still be resolved from it,
 * and when even that fails the finalizer goes anyway, with a Warning Event naming what could not
 * be restored. A valid spec whose restore fails (an API error) is retried on the next tick instead.
 */
import { resolveCanary, type ResolveOptions, type ResolvedCanary } from '../api/defaults.js';
import type { Canary } from '../api/schema/canary.js';
import type { Cluster, ObjectKey } from '../kube/cluster.js';
import type { Router } from '../routers/router.js';
import type { WorkloadController } from '../workloads/workload.js';
import { EventReasons } from './events.js';
import type { EventEffect } from './types.js';

/** Finalizer Fledge puts on Canaries with `revertOnDeletion`. */
export const FINALIZER = 'fledge.dev/finalizer';

/** What restoring needs. */
export interface RestoreDeps {
  workloads: WorkloadController;
  routerFor: (provider: string) => Router;
  resolve: ResolveOptions;
}

/** What a restore did: the canary as resolved (undefined: not even that), and what could not be restored. */
export interface RestoreOutcome {
  canary: ResolvedCanary | undefined;
  /** One line per thing left as it was, with why; empty when everything was restored. */
  lost: string[];
}

/** Adds or removes the finalizer so that it matches `revertOnDeletion`. */
export async function ensureFinalizer(
  cluster: Cluster,
  key: ObjectKey,
  canary: ResolvedCanary,
  object: Canary,
): Promise<void> {
  const finalizers = object.metadata.finalizers ?? [];
  const has = finalizers.includes(FINALIZER);
  if (canary.revertOnDeletion === has) return;
  const next = has ? finalizers.filter((f) => f !== FINALIZER) : [...finalizers, FINALIZER];
  const written = await cluster.patch<Canary>(
    key,
    { metadata: { finalizers: next } },
    object.metadata.resourceVersion ? { resourceVersion: object.metadata.resourceVersion } : {},
  );
  object.metadata.resourceVersion = written.metadata.resourceVersion;
  object.metadata.finalizers = next;
}

/**
 * Restores what Fledge changed for the Canary being deleted.
 * @param invalid why the spec fails validation (undefined: it passes); then nothing here throws
 */
export async function restoreForDeletion(
  deps: RestoreDeps,
  object: Canary,
  invalid: string | undefined,
): Promise<RestoreOutcome> {
  if (invalid === undefined) {
    const canary = resolveCanary(object, deps.resolve);
    await deps.workloads.finalize(canary);
    await deps.routerFor(canary.provider).finalize(canary);
    return { canary, lost: [] };
  }
  const canary = resolveLeniently(object, deps.resolve);
  if (canary instanceof Error) {
    return {
      canary: undefined,
      lost: [`the target and the routes: the spec cannot be read (${canary.message})`],
    };
  }
  const lost: string[] = [];
  try {
    await deps.workloads.finalize(canary);
  } catch (err) {
    lost.push(
      `the scale of ${canary.namespace}/${canary.names.target} and its apex service: ${messageOf(err)}`,
    );
  }
  try {
    await deps.routerFor(canary.provider).finalize(canary);
  } catch (err) {
    lost.push(`the routes (provider ${canary.provider}): ${messageOf(err)}`);
  }
  return { canary, lost };
}

/**
 * Resolves what restoring needs (names, namespace, provider, service) from a spec that failed
 * validation. The analysis matters for none of it, so when it is what breaks resolution it is
 * replaced by an empty one.
 */
function resolveLeniently(object: Canary, options: ResolveOptions): ResolvedCanary | Error {
  try {
    return resolveCanary(object, options);
  } catch {
    try {
      return resolveCanary({ ...object, spec: { ...object.spec, analysis: {} } }, options);
    } catch (err) {
      return err instanceof Error ? err : new Error(String(err));
    }
  }
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** The Event of a deletion let go: everything restored, or what was left and why (`invalid`: the spec's problems). */
export function finalizedEvent(
  ref: string,
  outcome: RestoreOutcome,
  invalid: string | undefined,
): EventEffect {
  if (outcome.lost.length === 0)
    return {
      type: 'Normal',
      reason: EventReasons.Finalized,
      message: `Restored ${outcome.canary?.names.target ?? 'the target'} and routes of ${ref}`,
    };
  return {
    type: 'Warning',
    reason: EventReasons.FinalizedIncompletely,
    message: `Let ${ref} be deleted although its spec is invalid (${invalid}); not restored: ${outcome.lost.join('; ')}`,
  };
}
