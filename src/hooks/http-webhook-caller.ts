/**
 * The HTTP implementation of {@link WebhookCaller}: one JSON POST per attempt, Flagger's success
 * rule (200, 201 or 202), and retries as Flagger's retryablehttp makes them: only after a network
 * error (a timed-out attempt included), 429 or a 5xx other than 501, with a doubling wait capped
 * at {@link MAX_RETRY_WAIT_MS}, or the answer's `Retry-After` within that cap. A plain refusal (a
 * closed gate's 403, a 409) is the answer and is not asked again.
 *
 * Bounds: each attempt has the hook's `timeout` for the whole answer and reads at most
 * {@link DEFAULT_MAX_RESPONSE_BYTES}; the whole call, waits included, ends by `timeout` times the
 * number of attempts, and sooner when the tick's budget runs out (a wait that would end past
 * either is not started). Every failure (bad URL, refused connection, timeout, status above 202)
 * comes back as a {@link WebhookOutcome} with credentials scrubbed; `call` never throws for them,
 * so one broken receiver cannot stop a tick.
 */
import { formatDuration } from '../api/duration.js';
import type { ResolvedWebhook } from '../api/defaults.js';
import {
  boundedFetch,
  budgetMessage,
  currentCallBudget,
  DEFAULT_MAX_RESPONSE_BYTES,
  OutboundCallError,
  type CallBudget,
  type SendFn,
} from '../http/outbound.js';
import { credentialsOf, safeUrl, scrub } from '../http/scrub.js';
import type { WebhookCaller, WebhookOutcome, WebhookPayload } from './webhook.js';

/** Wait before the first retry; each later retry waits twice as long as the one before. */
export const DEFAULT_RETRY_BACKOFF_MS = 1_000;
/** Longest wait before one retry, `Retry-After` included (retryablehttp's default maximum). */
export const MAX_RETRY_WAIT_MS = 30_000;
/** How much of a failed answer's body is quoted in the outcome message. */
export const BODY_EXCERPT_CHARS = 200;
/** Flagger counts 200, 201 and 202 as success and anything above 202 as failure. */
export const MAX_SUCCESS_STATUS = 202;

/** Options of {@link HttpWebhookCaller}. */
export interface HttpWebhookCallerOptions {
  /** Sends one attempt (default {@link boundedFetch}); tests wrap it. */
  send?: SendFn;
  /**
   * Waits between attempts; defaults to a real timer. Rejects or resolves early when `signal`
   * aborts (the tick's budget ran out). Tests pass one that returns at once.
   */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Wait before the first retry, doubled for each later one (default {@link DEFAULT_RETRY_BACKOFF_MS}). */
  retryBackoffMs?: number;
  /** Clock for the whole call's deadline, in epoch ms (default `Date.now`). */
  now?: () => number;
}

/** Thrown by the constructor for options that cannot work. */
export class WebhookCallerOptionsError extends Error {
  override name = 'WebhookCallerOptionsError';
}

/** How a single attempt ended; `retryAfterMs` when the answer asked for a wait. */
type Attempt =
  | { ok: true; statusCode: number; detail: string }
  | { ok: false; statusCode?: number; detail: string; retryable: boolean; retryAfterMs?: number };

const realSleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
  });

/** POSTs webhook payloads over HTTP(S). */
export class HttpWebhookCaller implements WebhookCaller {
  private readonly send: SendFn;
  private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  private readonly retryBackoffMs: number;
  private readonly now: () => number;

  constructor(options: HttpWebhookCallerOptions = {}) {
    const backoff = options.retryBackoffMs ?? DEFAULT_RETRY_BACKOFF_MS;
    if (!Number.isFinite(backoff) || backoff < 0) {
      throw new WebhookCallerOptionsError(`retryBackoffMs must be a number >= 0, got ${String(backoff)}`);
    }
    this.send = options.send ?? boundedFetch;
    this.sleep = options.sleep ?? realSleep;
    this.retryBackoffMs = backoff;
    this.now = options.now ?? Date.now;
  }

  /** Calls the webhook up to `1 + hook.retries` times, stopping at the first success or plain refusal. */
  async call(hook: ResolvedWebhook, payload: WebhookPayload): Promise<WebhookOutcome> {
    if (hook.url === undefined) {
      // A built-in approval gate is answered by `run-hooks.ts` and never reaches a caller.
      return { ok: false, message: `webhook "${hook.name}" (${hook.type}) has no url` };
    }
    const target = parseTarget(hook.url);
    if (typeof target === 'string') {
      return { ok: false, message: scrub(`${describeHook(hook, hook.url)} failed: ${target}`) };
    }
    const what = describeHook(hook, safeUrl(target));
    const headers = requestHeaders(target);
    const secrets = credentialsOf({ url: hook.url, headers });
    const body = JSON.stringify(payload);
    const attempts = 1 + Math.max(0, Math.floor(hook.retries));
    const callMs = hook.timeoutMs * attempts;
    const deadlineAt = this.now() + callMs;
    const budget = currentCallBudget();
    const attempt = () =>
      this.attempt(hook, target, headers, body, what, Math.min(hook.timeoutMs, deadlineAt - this.now()));
    let last = await attempt();
    let made = 1;
    let stopped = '';
    while (!last.ok && last.retryable && made < attempts) {
      const waitMs = this.waitBefore(made, last);
      const refused = this.noRetry(waitMs, deadlineAt, callMs, budget);
      if (!refused) await this.sleep(waitMs, budget?.signal);
      const reason = refused ?? (budget?.signal.aborted ? budgetMessage(budget) : undefined);
      if (reason) {
        stopped = `; retry not attempted: ${reason}`;
        break;
      }
      last = await attempt();
      made += 1;
    }
    if (last.ok) {
      const after = made > 1 ? ` (attempt ${made} of ${attempts})` : '';
      return {
        ok: true,
        statusCode: last.statusCode,
        message: scrub(`${what}: ${last.detail}${after}`, secrets),
      };
    }
    const tries = made > 1 ? ` after ${made} attempts` : '';
    const outcome: WebhookOutcome = {
      ok: false,
      message: scrub(`${what} failed${tries}: ${last.detail}${stopped}`, secrets),
    };
    if (last.statusCode !== undefined) outcome.statusCode = last.statusCode;
    return outcome;
  }

  /**
   * The wait before the retry that follows attempt number `made`: doubling from the configured
   * backoff, or the answer's `Retry-After`; capped either way.
   */
  private waitBefore(made: number, last: Attempt): number {
    const asked = last.ok ? undefined : last.retryAfterMs;
    const backoff = this.retryBackoffMs * 2 ** (made - 1);
    return Math.min(asked ?? backoff, MAX_RETRY_WAIT_MS);
  }

  /** Why a retry after a wait of `waitMs` must not be made, if it must not. */
  private noRetry(
    waitMs: number,
    deadlineAt: number,
    callMs: number,
    budget: CallBudget | undefined,
  ): string | undefined {
    if (budget?.signal.aborted) return budgetMessage(budget);
    if (this.now() + waitMs >= deadlineAt) {
      return `a wait of ${formatDuration(waitMs)} would end past the call's deadline of ${formatDuration(callMs)}`;
    }
    return undefined;
  }

  private async attempt(
    hook: ResolvedWebhook,
    url: URL,
    headers: Record<string, string>,
    body: string,
    what: string,
    deadlineMs: number,
  ): Promise<Attempt> {
    try {
      const response = await this.send({
        url,
        method: 'POST',
        headers,
        body,
        deadlineMs,
        maxBytes: DEFAULT_MAX_RESPONSE_BYTES,
        what,
      });
      const status = `${response.status}${response.statusText ? ` ${response.statusText}` : ''}`;
      if (response.status >= 200 && response.status <= MAX_SUCCESS_STATUS) {
        return { ok: true, statusCode: response.status, detail: status };
      }
      const text = excerptOf(response.body.toString('utf8'), credentialsOf({ url: hook.url, headers }));
      const retryAfterMs = parseRetryAfter(response.headers['retry-after'], this.now());
      return {
        ok: false,
        statusCode: response.status,
        detail: text ? `${status}: ${text}` : status,
        retryable: isRetryableStatus(response.status),
        ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
      };
    } catch (err) {
      if (err instanceof OutboundCallError) {
        const detail =
          err.failure === 'deadline' ? `timed out after ${formatDuration(deadlineMs)}` : err.message;
        // A cut-off attempt (no answer in time, the connection failed) is worth another; an answer
        // too large or a spent budget is not.
        return { ok: false, detail, retryable: err.failure === 'network' || err.failure === 'deadline' };
      }
      return { ok: false, detail: `request failed: ${String(err)}`, retryable: true };
    }
  }
}

/** Retried as retryablehttp does: 429 and the 5xx answers except 501 Not Implemented. */
export function isRetryableStatus(status: number): boolean {
  return status === 429 || (status >= 500 && status <= 599 && status !== 501);
}

/** `Retry-After` as seconds or an HTTP date, in ms from `nowMs`; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | string[] | undefined, nowMs: number): number | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  if (text === undefined || text.trim() === '') return undefined;
  if (/^\s*\d+\s*$/.test(text)) return Number(text) * 1_000;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
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

/** The body scrubbed, then its first {@link BODY_EXCERPT_CHARS} characters, whitespace collapsed. */
function excerptOf(body: string, secrets: string[]): string {
  const text = scrub(body, secrets).replace(/\s+/g, ' ').trim();
  return text.length > BODY_EXCERPT_CHARS ? `${text.slice(0, BODY_EXCERPT_CHARS)}…` : text;
}
