/**
 * The one HTTP call every notifier makes: POST a JSON body, accept any 2xx, and turn anything else
 * into a {@link NotifierError} whose message holds no secret. Chat webhook addresses are
 * credentials (whoever has a Slack webhook URL can post to the channel), so an address is shown
 * as its origin only, and every secret is scrubbed from the quoted answer too.
 */
import type { AlertProviderType } from '../api/schema/alert-provider.js';
import { NotifierConfigError, NotifierError } from './notifier.js';

/** Flagger gives a notification 5 seconds. */
export const DEFAULT_NOTIFIER_TIMEOUT_MS = 5_000;
/** How much of a refused answer's body is quoted in the error. */
export const NOTIFIER_BODY_EXCERPT_CHARS = 200;
/** Replaces secrets in messages. */
export const REDACTED = '[redacted]';

/** The subset of the Fetch API the notifiers use (the global `fetch` fits). */
export type FetchFn = (url: string, init: RequestInit) => Promise<Response>;

/** Options every HTTP notifier takes. */
export interface HttpNotifierOptions {
  /** Where to POST; a secret. */
  address: string;
  /** HTTP client; defaults to the global `fetch`. */
  fetch?: FetchFn;
  /** Per-send timeout (default {@link DEFAULT_NOTIFIER_TIMEOUT_MS}). */
  timeoutMs?: number;
  /** The AlertProvider as `namespace/name`, for error messages. */
  providerName?: string;
}

/** A validated destination, ready to POST to. */
export interface JsonEndpoint {
  type: AlertProviderType;
  url: URL;
  fetch: FetchFn;
  timeoutMs: number;
  /** Extra headers (e.g. Authorization). */
  headers: Record<string, string>;
  /** Strings that must never appear in an error message. */
  secrets: string[];
  providerName: string | undefined;
}

/** What came back from a 2xx answer. */
export interface JsonAnswer {
  status: number;
  text: string;
}

/** Validates the common options; throws {@link NotifierConfigError} naming the field. */
export function endpointFor(
  type: AlertProviderType,
  options: HttpNotifierOptions,
  extra: { headers?: Record<string, string>; secrets?: string[] } = {},
): JsonEndpoint {
  const url = parseAddress(type, options.address);
  const timeoutMs = options.timeoutMs ?? DEFAULT_NOTIFIER_TIMEOUT_MS;
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    throw new NotifierConfigError(
      `${type} notifier: timeoutMs must be a number > 0, got ${String(timeoutMs)}`,
    );
  }
  const secrets = [options.address, url.href, `${url.pathname}${url.search}`, ...(extra.secrets ?? [])];
  return {
    type,
    url,
    fetch: options.fetch ?? ((u, init) => globalThis.fetch(u, init)),
    timeoutMs,
    headers: extra.headers ?? {},
    secrets: secrets.filter((s) => s.length > 1),
    providerName: options.providerName,
  };
}

/** Parses an address; the error names the problem but never prints the address. */
export function parseAddress(type: AlertProviderType, address: string): URL {
  let url: URL;
  try {
    url = new URL(address);
  } catch {
    throw new NotifierConfigError(`${type} notifier: address is not a valid URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new NotifierConfigError(`${type} notifier: address must be an http or https URL`);
  }
  return url;
}

/** POSTs the body as JSON; resolves on 2xx, throws {@link NotifierError} otherwise. */
export async function postJson(endpoint: JsonEndpoint, body: unknown): Promise<JsonAnswer> {
  const named = endpoint.providerName ? ` "${endpoint.providerName}"` : '';
  const what = `${endpoint.type} notifier${named} POST ${shownAddress(endpoint.url)}`;
  const signal = AbortSignal.timeout(endpoint.timeoutMs);
  let response: Response;
  let text: string;
  try {
    response = await endpoint.fetch(endpoint.url.href, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...endpoint.headers },
      body: JSON.stringify(body),
      signal,
    });
    text = await response.text();
  } catch (err) {
    const reason = signal.aborted ? `timed out after ${endpoint.timeoutMs}ms` : networkReason(err);
    throw new NotifierError(`${what} failed: ${redact(reason, endpoint.secrets)}`, endpoint.type);
  }
  if (response.status < 200 || response.status > 299) {
    const excerpt = excerptOf(redact(text, endpoint.secrets));
    const status = `${response.status}${response.statusText ? ` ${response.statusText}` : ''}`;
    throw new NotifierError(
      `${what} failed: ${status}${excerpt ? `: ${excerpt}` : ''}`,
      endpoint.type,
      response.status,
    );
  }
  return { status: response.status, text };
}

/** Scrubs every secret out of a text. */
export function redact(text: string, secrets: string[]): string {
  let out = text;
  // Longest first, so a secret that contains another is replaced whole.
  for (const secret of [...secrets].sort((a, b) => b.length - a.length)) {
    if (secret) out = out.split(secret).join(REDACTED);
  }
  return out;
}

/** The address as shown in errors: its origin, with the secret path elided. */
export function shownAddress(url: URL): string {
  const hasMore = url.pathname.length > 1 || url.search.length > 0;
  return `${url.protocol}//${url.host}${hasMore ? '/…' : ''}`;
}

/** First {@link NOTIFIER_BODY_EXCERPT_CHARS} characters of a body, whitespace collapsed. */
export function excerptOf(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > NOTIFIER_BODY_EXCERPT_CHARS ? `${flat.slice(0, NOTIFIER_BODY_EXCERPT_CHARS)}…` : flat;
}

/** Duck-typed: errors from the HTTP stack may come from another realm. */
function networkReason(err: unknown): string {
  const message = (value: unknown): string | undefined =>
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { message?: unknown }).message === 'string'
      ? (value as { message: string }).message
      : undefined;
  const cause = typeof err === 'object' && err !== null ? (err as { cause?: unknown }).cause : undefined;
  const code = typeof cause === 'object' && cause !== null ? (cause as { code?: unknown }).code : undefined;
  const inner = message(cause);
  if (inner) return `request failed: ${inner}`;
  if (typeof code === 'string') return `request failed: ${code}`;
  return `request failed: ${message(err) ?? String(err)}`;
}
