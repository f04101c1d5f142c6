/**
 * Shape checks for objects Fledge reads but does not define (Deployments, Services, mesh objects):
 * a field of an unexpected type (a `null` route, a string where a list belongs) becomes a
 * {@link MalformedObjectError} naming the object and the field path, never a JavaScript TypeError
 * deep inside a tick. Only the fields Fledge reads are described; everything else is carried through.
 */
import { describeKey, keyOf, type KubeObject } from './cluster.js';

/** An object Fledge reads has a field of an unexpected shape; the message names object and field. */
export class MalformedObjectError extends Error {
  override name = 'MalformedObjectError';
  constructor(
    message: string,
    /** The field path, e.g. `spec.http[0].route`. */
    readonly field: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** Checks one value at a path; returns a problem (`must be ...`) with its path, or undefined. */
export type Shape = (value: unknown, path: string) => { path: string; problem: string } | undefined;

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return `the string ${JSON.stringify(value.slice(0, 40))}`;
  return `${typeof value} ${String(value)}`;
}

const fail = (path: string, expected: string, value: unknown) => ({
  path,
  problem: `must be ${expected}, got ${typeName(value)}`,
});

/** A string. */
export const aString: Shape = (v, path) => (typeof v === 'string' ? undefined : fail(path, 'a string', v));

/** A finite number. */
export const aNumber: Shape = (v, path) =>
  typeof v === 'number' && Number.isFinite(v) ? undefined : fail(path, 'a number', v);

/** A string or a number (a port that may be named). */
export const aStringOrNumber: Shape = (v, path) =>
  typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v))
    ? undefined
    : fail(path, 'a number or a string', v);

/** A map of strings to strings (labels, annotations, a selector). */
export const aStringMap: Shape = (v, path) => {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return fail(path, 'a map of strings', v);
  for (const [k, item] of Object.entries(v)) {
    if (typeof item !== 'string') return fail(`${path}.${k}`, 'a string', item);
  }
  return undefined;
};

/** A list whose items all have `item`'s shape. */
export function listOf(item: Shape): Shape {
  return (v, path) => {
    if (!Array.isArray(v)) return fail(path, 'a list', v);
    for (const [i, element] of v.entries()) {
      const problem = item(element, `${path}[${i}]`);
      if (problem) return problem;
    }
    return undefined;
  };
}

/**
 * An object whose listed fields, when present (not undefined), have their shapes; fields named in
 * `required` must be present. Other fields are not looked at.
 */
export function objectOf(fields: Record<string, Shape>, required: readonly string[] = []): Shape {
  return (v, path) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return fail(path, 'an object', v);
    const record = v as Record<string, unknown>;
    for (const name of required) {
      if (record[name] === undefined) return { path: `${path}.${name}`, problem: 'is required' };
    }
    for (const [name, shape] of Object.entries(fields)) {
      const value = record[name];
      if (value === undefined) continue;
      const problem = shape(value, `${path}.${name}`);
      if (problem) return problem;
    }
    return undefined;
  };
}

/**
 * Checks the object's fields (below the top level) against `fields` and returns it typed.
 * @throws MalformedObjectError naming the object (`Kind ns/name`) and the first bad field
 */
export function checkShape<T extends KubeObject>(
  object: KubeObject,
  fields: Record<string, Shape>,
  required: readonly string[] = [],
): T {
  const found = objectOf(fields, required)(object, '');
  if (found) {
    const field = found.path.replace(/^\./, '');
    throw new MalformedObjectError(`${describeKey(keyOf(object))}: ${field} ${found.problem}`, field);
  }
  return object as T;
}
