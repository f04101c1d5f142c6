/**
 * The one HTTP call every notifier makes: POST a JSON body, accept any 2xx, and turn anything else
 * into a {@link NotifierError} whose message holds no secret. Chat webhook addresses are
 * credentials (whoever has a Slack webhook URL can post to the channel), so an address is shown
 * as its origin only, and every secret is scrubbed from the quoted answer too. The send is
 * bounded ({@link boundedFetch}): its timeout covers the whole answer, of which at most
 * {@link MAX_NOTIFIER_RESPONSE_BYTES} are read.
 */
import type { AlertProviderType } from '../api/schema/alert-provider.js';
import { boundedFetch, type OutboundResponse, type SendFn } from '../http/outbound.js';
import { credentialsOf, scrub } from '../http/scrub.js';
import { NotifierConfigError, NotifierError } from './notifier.js';

/** Flagger gives a notification 5 seconds. */
export const DEFAULT_NOTIFIER_TIMEOUT_MS = 5_000;
/** How much of a refused answer's body is quoted in the error. */
export const NOTIFIER_BODY_EXCERPT_CHARS = 200;
/** Bytes of a receiver's answer read at most (chat APIs answer a few hundred bytes). */
export const MAX_NOTIFIER_RESPONSE_BYTES = 1024 * 1024;

/** Options every HTTP notifier takes. */
export interface HttpNotifierOptions {
  /** Where to POST; a secret. */
  address: string;
  /** Sends the request (default {@link boundedFetch}); tests wrap it. */
  send?: SendFn | undefined;
  /** Per-send timeout (default {@link DEFAULT_NOTIFIER_TIMEOUT_MS}). */
  timeoutMs?: number;
  /** The AlertProvider as `namespace/name`, for error messages. */
  providerName?: string;
}

/** A validated destination, ready to POST to. */
export interface JsonEndpoint {
  type: AlertProviderType;
  url: URL;
  send: SendFn;
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
  const headers: Record<string, string> = { ...extra.headers };
  // User info in the address is basic auth (as Go's client reads it), and never sent in the URL.
  if ((url.username || url.password) && headers['Authorization'] === undefined) {
    const user = decodeURIComponent(url.username);
    const password = decodeURIComponent(url.password);
    headers['Authorization'] = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
  }
  // The path is the credential of a chat webhook address, so it is scrubbed with the rest.
  const secrets = credentialsOf({
    url,
    headers,
    secrets: [options.address, url.href, `${url.pathname}${url.search}`, ...(extra.secrets ?? [])].filter(
      (s) => s.length > 1 && s !== '/',
    ),
  });
  return {
    type,
    url,
    send: options.send ?? boundedFetch,
    timeoutMs,
    headers,
    secrets,
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
  let response: OutboundResponse;
  try {
    response = await endpoint.send({
      url: endpoint.url,
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...endpoint.headers },
      body: JSON.stringify(body),
      deadlineMs: endpoint.timeoutMs,
      maxBytes: MAX_NOTIFIER_RESPONSE_BYTES,
      what,
    });
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new NotifierError(scrub(`${what} failed: ${reason}`, endpoint.secrets), endpoint.type);
  }
  const text = response.body.toString('utf8');
  if (response.status < 200 || response.status > 299) {
    const excerpt = excerptOf(scrub(text, endpoint.secrets));
    const status = `${response.status}${response.statusText ? ` ${response.statusText}` : ''}`;
    throw new NotifierError(
      scrub(`${what} failed: ${status}${excerpt ? `: ${excerpt}` : ''}`, endpoint.secrets),
      endpoint.type,
      response.status,
    );
  }
  return { status: response.status, text };
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
