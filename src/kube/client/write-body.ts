/** The bodies of writes and what their answers must look like. */
import type { KubeObject, MergePatch } from '../cluster.js';

/** Adds the optimistic-concurrency precondition to a merge patch: the server answers 409 if it is stale. */
export function withPrecondition(patch: MergePatch, resourceVersion: string | undefined): MergePatch {
  if (resourceVersion === undefined) return patch;
  const metadata =
    typeof patch['metadata'] === 'object' && patch['metadata'] !== null ? patch['metadata'] : {};
  return { ...patch, metadata: { ...metadata, resourceVersion } };
}

/** Whether an answer is a Kubernetes object (not a Status, not text). */
export function isKubeObject(value: unknown): value is KubeObject {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as KubeObject).kind === 'string' &&
    typeof (value as KubeObject).metadata === 'object'
  );
}
