/**
 * Hashes of JSON values that do not depend on key order, so that the same pod template read twice
 * (or from two API servers that serialise maps differently) always gives the same revision.
 */
import { createHash } from 'node:crypto';

/** Hex characters kept of a sha256 digest: 64 bits, as Flagger keeps for its checksums. */
export const HASH_LENGTH = 16;

/** JSON with object keys sorted at every level; `undefined` members are dropped as JSON does. */
export function stableStringify(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map((item) => stableStringify(item ?? null)).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableStringify(v)}`).join(',')}}`;
}

/** The first {@link HASH_LENGTH} hex characters of the sha256 of the value's stable JSON. */
export function stableHash(value: unknown): string {
  return createHash('sha256').update(stableStringify(value)).digest('hex').slice(0, HASH_LENGTH);
}
