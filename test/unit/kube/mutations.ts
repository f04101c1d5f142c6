/**
 * Property-test helpers: every path of a JSON object, and an arbitrary that replaces the value at one
 * path with arbitrary JSON, to play objects edited by hand into unexpected shapes.
 */
import fc from 'fast-check';

/** A path into an object: keys and list indices. */
export type JsonPath = (string | number)[];

/** Every path below `value` (not the empty path), depth first. */
export function pathsOf(value: unknown, prefix: JsonPath = []): JsonPath[] {
  if (typeof value !== 'object' || value === null) return [];
  const entries: [string | number, unknown][] = Array.isArray(value)
    ? value.map((v, i) => [i, v])
    : Object.entries(value);
  return entries.flatMap(([k, v]) => [[...prefix, k], ...pathsOf(v, [...prefix, k])]);
}

/** A deep copy of `value` with `replacement` at `path`. */
export function withValueAt<T>(value: T, path: JsonPath, replacement: unknown): T {
  const copy = structuredClone(value);
  let node = copy as Record<string | number, unknown>;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
  node[path.at(-1)!] = replacement;
  return copy;
}

/** Odd values a hand edit leaves: null, scalars of the wrong type, lists and maps of anything. */
export const oddValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constant(null),
  fc.string({ maxLength: 8 }),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 6 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 }),
);

/** `object` with one value below `under` (a top-level field such as `spec`) replaced by an odd one. */
export function mutated<T extends object>(object: T, under: string[]): fc.Arbitrary<T> {
  const paths = pathsOf(object).filter((p) => under.includes(String(p[0])));
  return fc
    .tuple(fc.constantFrom(...paths), oddValue)
    .map(([path, value]) => withValueAt(object, path, value));
}
