/**
 * Hashes of JSON values that do not depend on key order, so that the same pod template read twice
 * (or from two API servers that serialise maps differently) always gives the same revision.
 */
import { createHash } from 'node:crypto';

/** Hex characters kept of a sha256 digest: 64 bits, as Flagger keeps for its checksums. */
export const HASH_LENGTH = 16;

/**
 * JSON with object keys sorted at every level; `undefined` members are dropped as JSON does. Built
 * in one pass into one string: it hashes every target's pod template on every tick.
 */
export function stableStringify(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) out += `${i > 0 ? ',' : ''}${stableStringify(value[i] ?? null)}`;
    return `${out}]`;
  }
  const record = value as Record<string, unknown>;
  // The default sort orders by UTF-16 code units, as comparing the strings with `<` does.
  const keys = Object.keys(record).sort();
  let out = '{';
  for (const key of keys) {
    const item = record[key];
    if (item === undefined) continue;
    out += `${out.length > 1 ? ',' : ''}${JSON.stringify(key)}:${stableStringify(item)}`;
  }
  return `${out}}`;
}

/** The first {@link HASH_LENGTH} hex characters of the sha256 of the value's stable JSON. */
export function stableHash(value: unknown): string {
  return createHash('sha256').update(stableStringify(value)).digest('hex').slice(0, HASH_LENGTH);
}
