/** The status bookkeeping of session affinity cookies, as a pure function. */
import { resolveCanary } from '../../../src/api/defaults.js';
import type { CanaryStatus } from '../../../src/api/schema/canary.js';
import { nextSessionCookies, randomCookieValue } from '../../../src/controller/session-affinity.js';
import { canaryObject } from './harness.js';

const canary = (sessionAffinity?: { cookieName: string; primaryCookieName?: string }) =>
  resolveCanary(canaryObject('podinfo', sessionAffinity ? { sessionAffinity } : {}), {
    defaultProvider: 'istio',
  });
const value = () => 'NEWNEWNEWN';
const running: CanaryStatus = { phase: 'Progressing', canaryWeight: 20, lastAppliedSpec: 'rev-1' };

describe('nextSessionCookies', () => {
  it('keeps the cookie of the revision under analysis', () => {
    const before = { ...running, sessionAffinityCookie: 'c=OLDOLDOLDO' };
    expect(nextSessionCookies(canary({ cookieName: 'c' }), before, before, value)).toEqual(before);
  });

  it('gives a new revision that gets traffic at once a new cookie, expiring the old one', () => {
    const before = { ...running, sessionAffinityCookie: 'c=OLDOLDOLDO' };
    const after = { ...before, lastAppliedSpec: 'rev-2' };
    expect(nextSessionCookies(canary({ cookieName: 'c' }), before, after, value)).toEqual({
      ...after,
      sessionAffinityCookie: 'c=NEWNEWNEWN',
      previousSessionAffinityCookie: 'c=OLDOLDOLDO',
    });
  });

  it('replaces a cookie of another name when cookieName changes', () => {
    const before = { ...running, sessionAffinityCookie: 'old=OLDOLDOLDO' };
    expect(nextSessionCookies(canary({ cookieName: 'c' }), before, before, value)).toMatchObject({
      sessionAffinityCookie: 'c=NEWNEWNEWN',
      previousSessionAffinityCookie: 'old=OLDOLDOLDO',
    });
  });

  it('moves the cookie to previous and drops the primary one when the canary has no traffic', () => {
    const before = {
      ...running,
      sessionAffinityCookie: 'c=OLDOLDOLDO',
      primarySessionAffinityCookie: 'p=PRIPRIPRIP',
    };
    const after = { ...before, phase: 'Failed' as const, canaryWeight: 0 };
    const { sessionAffinityCookie: _c, primarySessionAffinityCookie: _p, ...rest } = after;
    expect(
      nextSessionCookies(canary({ cookieName: 'c', primaryCookieName: 'p' }), before, after, value),
    ).toEqual({
      ...rest,
      previousSessionAffinityCookie: 'c=OLDOLDOLDO',
    });
  });

  it('removes every cookie field without sessionAffinity', () => {
    const before = { ...running, sessionAffinityCookie: 'c=X', previousSessionAffinityCookie: 'c=Y' };
    expect(nextSessionCookies(canary(), before, before, value)).toEqual(running);
  });

  it('makes values of 10 letters, as Flagger', () => {
    expect(randomCookieValue()).toMatch(/^[A-Za-z]{10}$/);
    expect(randomCookieValue()).not.toBe(randomCookieValue());
  });
});
