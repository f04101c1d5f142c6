/**
 * Classes of users the mesh sends requests for: the headers (cookies included, as a `cookie`
 * header) and query parameters each class's requests carry, and its share of all requests. The share
 * left over is sent bare, as class `other`.
 */
import { OTHER_CLASS } from './traffic-record.js';

/** A class of users: what its requests carry and its share of all requests (0 to 1). */
export interface HeaderClass {
  /** Name in the traffic record; default `header=value,...` (then `?param=value&...`). */
  name?: string;
  /** Request headers; a cookie goes in `cookie` (e.g. `canary=always`). */
  headers?: Record<string, string>;
  /** Query parameters, for Gateway API query matches. */
  query?: Record<string, string>;
  share: number;
}

/** Options the mesh cannot work with. */
export class MeshConfigError extends Error {
  override name = 'MeshConfigError';
}

/** A validated class, with the upper end of its draw range. */
export interface UserClass {
  name: string;
  headers: Record<string, string>;
  query: Record<string, string>;
  upTo: number;
}

function defaultName(headers: Record<string, string>, query: Record<string, string>): string {
  const h = Object.entries(headers).map(([k, v]) => `${k}=${v}`);
  const q = Object.entries(query).map(([k, v]) => `${k}=${v}`);
  return [h.join(','), q.length > 0 ? `?${q.join('&')}` : ''].join('');
}

/** Checks the mix and adds `other` for the share left over; throws {@link MeshConfigError} naming the field. */
export function userClasses(mix: HeaderClass[]): UserClass[] {
  const classes: UserClass[] = [];
  let total = 0;
  mix.forEach((c, i) => {
    if (typeof c.share !== 'number' || !(c.share > 0 && c.share <= 1)) {
      throw new MeshConfigError(`headerMix[${i}].share: expected a number in (0, 1], got ${c.share}`);
    }
    const headers = Object.fromEntries(Object.entries(c.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
    const query = { ...(c.query ?? {}) };
    if (Object.keys(headers).length === 0 && Object.keys(query).length === 0)
      throw new MeshConfigError(`headerMix[${i}].headers: expected at least one header or query parameter`);
    const name = c.name ?? defaultName(headers, query);
    if (name === OTHER_CLASS || classes.some((u) => u.name === name)) {
      throw new MeshConfigError(
        `headerMix[${i}].name: "${name}" is taken (names must be unique, not "${OTHER_CLASS}")`,
      );
    }
    total += c.share;
    classes.push({ name, headers, query, upTo: total });
  });
  if (total > 1 + 1e-9) throw new MeshConfigError(`headerMix: shares add up to ${total}, more than 1`);
  if (total < 1 - 1e-9) classes.push({ name: OTHER_CLASS, headers: {}, query: {}, upTo: 1 });
  return classes;
}

/** `value`, or `fallback` when undefined; throws {@link MeshConfigError} unless a positive finite number. */
export function positive(field: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !(value > 0) || !Number.isFinite(value)) {
    throw new MeshConfigError(`${field}: expected a positive number, got ${value}`);
  }
  return value;
}
