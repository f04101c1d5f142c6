import fc from 'fast-check';
import { credentialsOf, REDACTED, safeUrl, scrub } from '../../../src/http/scrub.js';

/** Secrets as users pick them: letters, digits and the punctuation tokens and passwords carry. */
const secretArb = fc.stringMatching(/^[A-Za-z0-9._~+/=!$%^&*@:-]{8,40}$/);
/** User names and passwords as they appear in a URL's user info (no `:`, `%` or `@`). */
const userInfoArb = fc.stringMatching(/^[A-Za-z0-9._~+!$*-]{8,40}$/);
/** Text around a secret, as a server's error page would put it. */
const noiseArb = fc.string({ maxLength: 60 });

describe('scrub', () => {
  it('removes a secret wherever it appears, also URL-encoded or JSON-escaped', () => {
    fc.assert(
      fc.property(
        secretArb,
        noiseArb,
        noiseArb,
        fc.constantFrom('raw', 'url', 'json'),
        (s, before, after, form) => {
          const shown =
            form === 'raw' ? s : form === 'url' ? encodeURIComponent(s) : JSON.stringify(s).slice(1, -1);
          const out = scrub(`${before}${shown}${after}`, [s]);
          expect(out).not.toContain(s);
          expect(out).toContain(REDACTED);
        },
      ),
    );
  });

  it('removes every credential of a call: headers sent, user info, token parameters', () => {
    fc.assert(
      fc.property(secretArb, userInfoArb, userInfoArb, secretArb, (token, user, password, query) => {
        fc.pre(new Set([token, user, password, query]).size === 4);
        const url = new URL('http://prometheus:9090/');
        url.username = user;
        url.password = password;
        url.searchParams.set('access_token', query);
        const basic = Buffer.from(`${user}:${password}`).toString('base64');
        const secrets = credentialsOf({
          url,
          headers: { Authorization: `Bearer ${token}`, 'X-Basic': `Basic ${basic}` },
        });
        const page = `upstream said: Authorization=Bearer ${token} basic=${basic} url=${url.href} pw=${password} q=${query}`;
        const out = scrub(page, secrets);
        for (const planted of [token, basic, password, query, encodeURIComponent(password)]) {
          expect(out).not.toContain(planted);
        }
      }),
    );
  });

  it('scrubs credential shapes it was not told about', () => {
    expect(scrub('Authorization: Bearer abc.def-123 and basic Basic dXNlcjpwdw==')).toBe(
      `Authorization: Bearer ${REDACTED} and basic Basic ${REDACTED}`,
    );
    expect(scrub('see http://admin:hunter22@prom:9090/api')).toBe(`see http://${REDACTED}@prom:9090/api`);
    expect(scrub('GET /api?query=up&token=s3cr3t&api_key=k1&x=1')).toBe(
      `GET /api?query=up&token=${REDACTED}&api_key=${REDACTED}&x=1`,
    );
  });

  it('leaves text without credentials alone', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[a-z0-9 ,.()]{0,80}$/), (text) => {
        expect(scrub(text, [])).toBe(text);
      }),
    );
  });

  it('ignores secrets too short to scrub without garbling the text', () => {
    expect(scrub('a b c', ['a', ''])).toBe('a b c');
  });
});

describe('credentialsOf', () => {
  it('keeps plain header values readable', () => {
    expect(
      credentialsOf({ headers: { 'Content-Type': 'application/json', Accept: 'application/json' } }),
    ).toEqual([]);
  });

  it('takes every Secret value given', () => {
    expect(credentialsOf({ secrets: ['tok-123', undefined, 'x'] })).toEqual(['tok-123']);
  });
});

describe('safeUrl', () => {
  it('drops user info and the query', () => {
    expect(safeUrl('http://u:p@host:1/path?token=x')).toBe('http://host:1/path?…');
    expect(safeUrl('not a url')).toBe(REDACTED);
  });
});
