/**
 * The cookies of session affinity (`analysis.sessionAffinity`), kept in the status under Flagger's
 * names so that they survive restarts and replicas agree on them:
 *
 * - `sessionAffinityCookie` (`<cookieName>=<10 random letters>`) is created when the canary first
 *   gets traffic and kept while it does; the routes send requests carrying it to the canary;
 * - when the canary loses its traffic (promotion, rollback, a restarted analysis) it becomes
 *   `previousSessionAffinityCookie`, whose holders are told to drop it, and is cleared;
 * - a new revision under analysis gets a new cookie, so holders of the old one are not kept on code
 *   they never reached;
 * - with `primaryCookieName`, `primarySessionAffinityCookie` is created and kept the same way while
 *   the canary gets traffic, and cleared when it stops (its cookie lives one interval anyway).
 *
 * Flagger does this bookkeeping inside its router's SetRoutes; here it is a pure step after
 * `decide`, and the routes follow from the status it returns (`routesFor`).
 */
import { randomInt } from 'node:crypto';
import type { ResolvedCanary } from '../api/defaults.js';
import type { CanaryStatus } from '../api/schema/canary.js';
import { canaryShouldRun } from './weights.js';

const LETTERS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';

/** A cookie value as Flagger makes one: 10 random letters. */
export function randomCookieValue(): string {
  let value = '';
  for (let i = 0; i < 10; i++) value += LETTERS[randomInt(LETTERS.length)];
  return value;
}

/**
 * The status `after` (what `decide` returned from `before`) with its session affinity cookies
 * brought up to date; see the module comment. `newValue` makes a cookie value. Without
 * `analysis.sessionAffinity` the cookie fields are removed.
 */
export function nextSessionCookies(
  canary: ResolvedCanary,
  before: CanaryStatus,
  after: CanaryStatus,
  newValue: () => string,
): CanaryStatus {
  const {
    sessionAffinityCookie: current,
    previousSessionAffinityCookie: previous,
    primarySessionAffinityCookie: primary,
    ...rest
  } = after;
  const affinity = canary.analysis.sessionAffinity;
  if (!affinity) return rest;
  const canaryWeight = canaryShouldRun(after) ? (after.canaryWeight ?? 0) : 0;
  if (canaryWeight === 0) {
    const expiring = current ?? previous;
    return { ...rest, ...(expiring ? { previousSessionAffinityCookie: expiring } : {}) };
  }
  const named = (cookie: string | undefined, name: string): cookie is string =>
    cookie !== undefined && cookie.startsWith(`${name}=`);
  const stale =
    current !== undefined &&
    (before.lastAppliedSpec !== after.lastAppliedSpec || !named(current, affinity.cookieName));
  const canaryCookie = named(current, affinity.cookieName) && !stale ? current : undefined;
  const expiring = stale ? current : previous;
  const primaryName = affinity.primaryCookieName;
  return {
    ...rest,
    sessionAffinityCookie: canaryCookie ?? `${affinity.cookieName}=${newValue()}`,
    ...(expiring ? { previousSessionAffinityCookie: expiring } : {}),
    ...(primaryName
      ? {
          primarySessionAffinityCookie: named(primary, primaryName)
            ? primary
            : `${primaryName}=${newValue()}`,
        }
      : {}),
  };
}
