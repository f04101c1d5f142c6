/**
 * Equality of JSON values by content: key order does not matter (the API server stores maps with
 * sorted keys, so two objects differing only in key order are the same object), a key holding
 * `undefined` counts as absent and an `undefined` list item as `null` (as JSON writes them). Walks
 * both values without allocating, which matters where every write of thousands of canaries is
 * compared with what is stored.
 */

/** Whether `a` and `b` are the same JSON value. */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  const aList = Array.isArray(a);
  if (aList !== Array.isArray(b)) return false;
  if (aList) {
    const la = a as unknown[];
    const lb = b as unknown[];
    if (la.length !== lb.length) return false;
    for (let i = 0; i < la.length; i++) if (!jsonEqual(la[i] ?? null, lb[i] ?? null)) return false;
    return true;
  }
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  let defined = 0;
  for (const key in ra) {
    if (!Object.hasOwn(ra, key) || ra[key] === undefined) continue;
    defined++;
    if (!Object.hasOwn(rb, key) || !jsonEqual(ra[key], rb[key])) return false;
  }
  for (const key in rb) if (Object.hasOwn(rb, key) && rb[key] !== undefined) defined--;
  return defined === 0;
}
