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

/** A field of an unexpected shape: its path and what is wrong with it (`must be ...`). */
export interface ShapeProblem {
  path: string;
  problem: string;
}

/**
 * Checks one value at a path; returns a problem (`must be ...`) with its path, or undefined.
 * `holds`, when present, answers the same question without building any path or message: reads
 * check every object they return, so the usual case (a good object) must cost no allocation. The
 * path-building check runs only once `holds` has said no, to name the first bad field.
 */
export type Shape = ((value: unknown, path: string) => ShapeProblem | undefined) & {
  readonly holds?: (value: unknown) => boolean;
};

function shapeOf(
  check: (value: unknown, path: string) => ShapeProblem | undefined,
  holds: (value: unknown) => boolean,
): Shape {
  return Object.assign(check, { holds });
}

/** Whether `value` has the shape, for a shape made here (fast) or elsewhere (through its check). */
function holdsFor(shape: Shape): (value: unknown) => boolean {
  return shape.holds ?? ((value) => shape(value, '') === undefined);
}

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

const isString = (v: unknown): boolean => typeof v === 'string';
const isNumber = (v: unknown): boolean => typeof v === 'number' && Number.isFinite(v);
const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** A string. */
export const aString: Shape = shapeOf(
  (v, path) => (isString(v) ? undefined : fail(path, 'a string', v)),
  isString,
);

/** A finite number. */
export const aNumber: Shape = shapeOf(
  (v, path) => (isNumber(v) ? undefined : fail(path, 'a number', v)),
  isNumber,
);

/** A string or a number (a port that may be named). */
export const aStringOrNumber: Shape = shapeOf(
  (v, path) => (isString(v) || isNumber(v) ? undefined : fail(path, 'a number or a string', v)),
  (v) => isString(v) || isNumber(v),
);

/** A map of strings to strings (labels, annotations, a selector). */
export const aStringMap: Shape = shapeOf(
  (v, path) => {
    if (!isRecord(v)) return fail(path, 'a map of strings', v);
    for (const [k, item] of Object.entries(v)) {
      if (typeof item !== 'string') return fail(`${path}.${k}`, 'a string', item);
    }
    return undefined;
  },
  (v) => {
    if (!isRecord(v)) return false;
    for (const k in v) if (Object.hasOwn(v, k) && typeof v[k] !== 'string') return false;
    return true;
  },
);

/** A list whose items all have `item`'s shape. */
export function listOf(item: Shape): Shape {
  const itemHolds = holdsFor(item);
  return shapeOf(
    (v, path) => {
      if (!Array.isArray(v)) return fail(path, 'a list', v);
      for (const [i, element] of v.entries()) {
        const problem = item(element, `${path}[${i}]`);
        if (problem) return problem;
      }
      return undefined;
    },
    (v) => {
      if (!Array.isArray(v)) return false;
      for (let i = 0; i < v.length; i++) if (!itemHolds(v[i])) return false;
      return true;
    },
  );
}

/**
 * An object whose listed fields, when present (not undefined), have their shapes; fields named in
 * `required` must be present. Other fields are not looked at.
 */
export function objectOf(fields: Record<string, Shape>, required: readonly string[] = []): Shape {
  const listed = Object.entries(fields);
  const holds = listed.map(([name, shape]) => [name, holdsFor(shape)] as const);
  return shapeOf(
    (v, path) => {
      if (!isRecord(v)) return fail(path, 'an object', v);
      for (const name of required) {
        if (v[name] === undefined) return { path: `${path}.${name}`, problem: 'is required' };
      }
      for (const [name, shape] of listed) {
        const value = v[name];
        if (value === undefined) continue;
        const problem = shape(value, `${path}.${name}`);
        if (problem) return problem;
      }
      return undefined;
    },
    (v) => {
      if (!isRecord(v)) return false;
      for (const name of required) if (v[name] === undefined) return false;
      for (const [name, fieldHolds] of holds) {
        const value = v[name];
        if (value !== undefined && !fieldHolds(value)) return false;
      }
      return true;
    },
  );
}

/**
 * Checks the object against `shape` (an {@link objectOf} of its top-level fields) and returns it
 * typed. Build the shape once, at module level: this runs on every read.
 * @throws MalformedObjectError naming the object (`Kind ns/name`) and the first bad field
 */
export function checkObject<T extends KubeObject>(object: KubeObject, shape: Shape): T {
  if (holdsFor(shape)(object)) return object as T;
  const found = shape(object, '');
  if (found) {
    const field = found.path.replace(/^\./, '');
    throw new MalformedObjectError(`${describeKey(keyOf(object))}: ${field} ${found.problem}`, field);
  }
  return object as T;
}
