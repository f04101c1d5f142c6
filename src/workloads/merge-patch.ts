/**
 * JSON merge patches computed by value. `json-merge-patch`'s `generate` compares array items with a
 * constructor check, so objects from another realm (structuredClone under jest's VM) always differ
 * from local ones and a no-op would become a write; this one compares JSON values by content.
 */
import type { MergePatch } from '../kube/cluster.js';
import { jsonEqual } from '../kube/json-equal.js';

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The RFC 7386 merge patch that turns `before` into `after`: changed keys, `null` for removed keys,
 * arrays and scalars replaced whole. Undefined when they are equal. Keys holding `undefined` count
 * as absent.
 */
export function calculateMergePatch(before: unknown, after: unknown): unknown {
  if (!isObject(before) || !isObject(after)) {
    return jsonEqual(before, after) ? undefined : after;
  }
  const patch: MergePatch = {};
  for (const [key, value] of Object.entries(before)) {
    if (value !== undefined && after[key] === undefined) patch[key] = null;
  }
  for (const [key, value] of Object.entries(after)) {
    if (value === undefined) continue;
    const sub = before[key] === undefined ? value : calculateMergePatch(before[key], value);
    if (sub !== undefined) patch[key] = sub;
  }
  return Object.keys(patch).length > 0 ? patch : undefined;
}
