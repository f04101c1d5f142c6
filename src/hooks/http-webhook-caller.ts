/**
 * The HTTP implementation of {@link WebhookCaller}: one JSON POST per attempt, Flagger's success
 * rule (200, 201 or 202), a per-attempt timeout and retries with doubling backoff.
 *
 * Every failure (bad URL, refused connection, timeout, status above 202) comes back as a
 * {@link WebhookOutcome}; `call` never throws for them, so one broken receiver cannot stop a tick.
 */
import { formatDuration } from '../api/duration.js';
import type { ResolvedWebhook } from '../api/defaults.js';
import type { WebhookCaller, WebhookOutcome, WebhookPayload } from './webhook.js';

/** Delay before the first retry; each later retry waits twice as long as the one before. */
export const DEFAULT_RETRY_BACKOFF_MS = 1_000;
/** How much of a failed answer's body is quoted in the outcome message. */
export const BODY_EXCERPT_CHARS = 200;
/** Flagger counts 200, 201 and 202 as success and anything above 202 as failure. */
export const MAX_SUCCESS_STATUS = 202;

/** Bytes read from a response body at most; the rest is discarded unread. */
const MAX_BODY_BYTES = 16 * 1024;

/** The subset of the Fetch API the caller uses (the global `fetch` fits). */
export type FetchFn = (url: string, init: RequestInit) => Promise<Response>;

/** Options of {@link HttpWebhookCaller}. */
export interface HttpWebhookCallerOptions {
  /** HTTP client; defaults to the global `fetch`. */
  fetch?: FetchFn;
  /** Waits between attempts; defaults to a real timer. Tests pass one that returns at once. */
  sleep?: (ms: number) => Promise<void>;
  /** Wait before the first retry, doubled for each later one (default {@link DEFAULT_RETRY_BACKOFF_MS}). */
  retryBackoffMs?: number;
}

/** Thrown by the constructor for options that cannot work. */
export class WebhookCallerOptionsError extends Error {
  override name = 'WebhookCallerOptionsError';
}

/** How a single attempt ended. */
type Attempt =
  { ok: true; statusCode: number; detail: string } | { ok: false; statusCode?: number; detail: string };

const realSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** POSTs webhook payloads over HTTP(S). */
export class HttpWebhookCaller implements WebhookCaller {
  private readonly fetchFn: FetchFn;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly retryBackoffMs: number;

  constructor(options: HttpWebhookCallerOptions = {}) {
    const backoff = options.retryBackoffMs ?? DEFAULT_RETRY_BACKOFF_MS;
    if (!Number.isFinite(backoff) || backoff < 0) {
      throw new WebhookCallerOptionsError(`retryBackoffMs must be a number >= 0, got ${String(backoff)}`);
    }
    if (options.fetch === undefined && typeof globalThis.fetch !== 'function') {
      throw new WebhookCallerOptionsError('fetch is required: this runtime has no global fetch');
    }
    this.fetchFn = options.fetch ?? ((url, init) => globalThis.fetch(url, init));
    this.sleep = options.sleep ?? realSleep;
    this.retryBackoffMs = backoff;
  }

  /** Calls the webhook up to `1 + hook.retries` times, stopping at the first success. */
  async call(hook: ResolvedWebhook, payload: WebhookPayload): Promise<WebhookOutcome> {
    const target = parseTarget(hook.url);
    if (typeof target === 'string') {
      return { ok: false, message: `${describeHook(hook, hook.url)} failed: ${target}` };
    }
    const what = describeHook(hook, safeUrl(target));
    const headers = requestHeaders(target);
    const body = JSON.stringify(payload);
    const attempts = 1 + Math.max(0, Math.floor(hook.retries));
    let last: Attempt = { ok: false, detail: 'not called' };
    for (let n = 1; n <= attempts; n++) {
      if (n > 1) await this.sleep(this.retryBackoffMs * 2 ** (n - 2));
      last = await this.attempt(target.href, headers, body, hook.timeoutMs);
      if (last.ok) {
        const after = n > 1 ? ` (attempt ${n} of ${attempts})` : '';
        return { ok: true, statusCode: last.statusCode, message: `${what}: ${last.detail}${after}` };
      }
    }
    const tries = attempts > 1 ? ` after ${attempts} attempts` : '';
    const outcome: WebhookOutcome = { ok: false, message: `${what} failed${tries}: ${last.detail}` };
    if (last.statusCode !== undefined) outcome.statusCode = last.statusCode;
    return outcome;
  }

  private async attempt(
    url: string,
    headers: Record<string, string>,
    body: string,
    timeoutMs: number,
  ): Promise<Attempt> {
    const signal = AbortSignal.timeout(timeoutMs);
    try {
      const response = await this.fetchFn(url, {
        method: 'POST',
        headers,
        body,
        signal,
      });
      const text = await readBodyExcerpt(response);
      const status = `${response.status}${response.statusText ? ` ${response.statusText}` : ''}`;
      if (response.status >= 200 && response.status <= MAX_SUCCESS_STATUS) {
        return { ok: true, statusCode: response.status, detail: status };
      }
      return { ok: false, statusCode: response.status, detail: text ? `${status}: ${text}` : status };
    } catch (err) {
      if (signal.aborted) return { ok: false, detail: `timed out after ${formatDuration(timeoutMs)}` };
      return { ok: false, detail: describeNetworkError(err) };
    }
  }
}

/** `webhook "name" (type) POST url`, the prefix of every outcome message. */
function describeHook(hook: ResolvedWebhook, url: string): string {
  return `webhook "${hook.name}" (${hook.type}) POST ${url}`;
}

/** The URL, or why it cannot be called. */
function parseTarget(raw: string): URL | string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'invalid URL';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return `unsupported URL scheme "${url.protocol.replace(/:$/, '')}" (want http or https)`;
  }
  return url;
}

/**
 * Request headers. User info in the URL becomes Basic authentication, as Go's HTTP client (and so
 * Flagger) does, and is removed from the URL (fetch refuses URLs that carry credentials).
 */
function requestHeaders(url: URL): Record<string, string> {
  const headers: Record<string, string> = { 'Content-Type': 'application/json' };
  if (url.username || url.password) {
    const user = decodeURIComponent(url.username);
    const password = decodeURIComponent(url.password);
    headers.Authorization = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
    url.username = '';
    url.password = '';
  }
  return headers;
}

/**
 * The URL as shown in messages, Events and logs: without user info and with the query elided,
 * since either may carry a credential.
 */
export function safeUrl(url: URL): string {
  return `${url.protocol}//${url.host}${url.pathname}${url.search ? '?…' : ''}`;
}

/** Reads at most {@link MAX_BODY_BYTES} of the body; returns its first {@link BODY_EXCERPT_CHARS} chars. */
async function readBodyExcerpt(response: Response): Promise<string> {
  if (!response.body) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < MAX_BODY_BYTES) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
    }
  } finally {
    // Releases the connection when the body is larger than what is read.
    await reader.cancel().catch(() => undefined);
  }
  const text = new TextDecoder().decode(Buffer.concat(chunks)).replace(/\s+/g, ' ').trim();
  return text.length > BODY_EXCERPT_CHARS ? `${text.slice(0, BODY_EXCERPT_CHARS)}…` : text;
}

/**
 * Turns fetch's "fetch failed" into the reason underneath (ECONNREFUSED, ENOTFOUND, ...). Duck-typed:
 * errors from the HTTP stack may come from another realm, where `instanceof Error` is false.
 */
function describeNetworkError(err: unknown): string {
  const outer = messageOf(err) ?? String(err);
  const cause = typeof err === 'object' && err !== null ? (err as { cause?: unknown }).cause : undefined;
  const inner = messageOf(cause);
  const code = typeof cause === 'object' && cause !== null ? (cause as { code?: unknown }).code : undefined;
  if (inner === undefined && typeof code !== 'string') return `request failed: ${outer}`;
  const reason =
    typeof code === 'string' && !(inner ?? '').includes(code) ? `${code} ${inner ?? ''}` : (inner ?? '');
  return `request failed: ${reason.trim() || outer}`;
}

function messageOf(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const message = (value as { message?: unknown }).message;
  return typeof message === 'string' ? message : undefined;
}
