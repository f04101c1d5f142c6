/**
 * The one scrubbing helper: removes credentials from text before it reaches a user (status.checks,
 * Events, logs, alerts). Every outbound caller (Prometheus, webhooks, notifiers) collects what its
 * call carried with {@link credentialsOf} and passes each message it builds through {@link scrub}.
 *
 * Two layers: the exact values the call sent (header values, URL user info, token-like query
 * parameters, the Secret values read for it), which catches a server quoting them back in any
 * shape; then patterns (`Bearer x`, `user:pass@`, `?token=x`), which catch credentials the caller
 * did not know about, such as an error page echoing some other header.
 */

/** Replaces every credential in a message. */
export const REDACTED = '[redacted]';

/** Values shorter than this are not scrubbed by value: replacing "a" everywhere would garble the text. */
export const MIN_SCRUBBED_LENGTH = 3;

/** Query parameters and header names that carry credentials (`?token=`, `X-Api-Key`, ...). */
const SECRET_NAME = /token|secret|passw|pwd|key|auth|sig|credential|session|cookie/i;

/** Headers whose values are never secret, so they stay readable in messages. */
const PLAIN_HEADERS = new Set(['content-type', 'accept', 'user-agent', 'content-length', 'accept-encoding']);

/** What one outbound call carried. */
export interface CallCredentials {
  /** The URL called (user info and query parameters are read from it). */
  url?: URL | string | undefined;
  /** Headers sent. */
  headers?: Readonly<Record<string, string>> | undefined;
  /** Other secret values, e.g. every value of the Secret the call's credentials came from. */
  secrets?: Iterable<string | undefined> | undefined;
}

/**
 * The strings that must never appear in a message about this call: the value of every header but
 * the plain ones (and the credential after `Bearer `/`Basic `, and basic auth decoded), the URL's
 * user info, the values of token-like query parameters, and `secrets`.
 */
export function credentialsOf(call: CallCredentials): string[] {
  const found: string[] = [];
  for (const [name, value] of Object.entries(call.headers ?? {})) {
    if (PLAIN_HEADERS.has(name.toLowerCase())) continue;
    found.push(value, ...authorizationParts(value));
  }
  const url = toUrl(call.url);
  if (url) {
    for (const part of [url.username, url.password]) found.push(part, safeDecode(part));
    if (url.username || url.password) found.push(`${url.username}:${url.password}`);
    for (const [name, value] of url.searchParams) if (SECRET_NAME.test(name)) found.push(value);
  }
  for (const secret of call.secrets ?? []) if (secret) found.push(secret, secret.trim());
  return [...new Set(found)].filter((s) => s.length >= MIN_SCRUBBED_LENGTH);
}

/**
 * `text` with every one of `secrets` (also URL-encoded and JSON-escaped, as a server quoting a
 * request would write them) and every credential-shaped substring replaced by {@link REDACTED}.
 */
export function scrub(text: string, secrets: readonly string[] = []): string {
  const forms = new Set<string>();
  for (const secret of secrets) {
    if (secret.length < MIN_SCRUBBED_LENGTH) continue;
    forms.add(secret);
    forms.add(encodeURIComponent(secret));
    forms.add(JSON.stringify(secret).slice(1, -1));
  }
  let out = text;
  // Longest first, so a secret that contains another is replaced whole.
  for (const form of [...forms].sort((a, b) => b.length - a.length)) out = out.split(form).join(REDACTED);
  return out
    .replace(/\b(Bearer|Basic|Token)(\s+)[A-Za-z0-9._~+/=:-]{8,}/gi, `$1$2${REDACTED}`)
    .replace(/([a-z][a-z0-9+.-]*:\/\/)[^\s/?#@]*@/gi, `$1${REDACTED}@`)
    .replace(
      /([?&;]([A-Za-z0-9_.-]*(?:token|secret|passw|pwd|key|auth|sig|credential|session)[A-Za-z0-9_.-]*)=)[^&\s#"'<>]+/gi,
      `$1${REDACTED}`,
    );
}

/**
 * A URL as shown in messages: no user info, and the query replaced by `?…` (any parameter may be
 * a credential; the path is kept because it tells which endpoint was called).
 */
export function safeUrl(url: URL | string): string {
  const parsed = toUrl(url);
  if (!parsed) return REDACTED;
  return `${parsed.protocol}//${parsed.host}${parsed.pathname}${parsed.search ? '?…' : ''}`;
}

/** The credential part of an `Authorization` value, and for Basic the decoded `user:password` and password. */
function authorizationParts(value: string): string[] {
  const match = /^\s*(\S+)\s+(\S+)\s*$/.exec(value);
  if (!match) return [];
  const [, scheme, credential] = match as unknown as [string, string, string];
  const parts = [credential];
  if (scheme.toLowerCase() === 'basic') {
    const decoded = Buffer.from(credential, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon >= 0) parts.push(decoded, decoded.slice(colon + 1));
  }
  return parts;
}

function toUrl(url: URL | string | undefined): URL | undefined {
  if (url === undefined) return undefined;
  if (url instanceof URL) return url;
  try {
    return new URL(url);
  } catch {
    return undefined;
  }
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
