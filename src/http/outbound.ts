/**
 * Bounded outbound HTTP: the one way Fledge's metric queries, webhooks and notifiers reach the
 * network. Each call has an overall deadline that covers the whole answer (headers and body: a
 * server that sends a byte a second cannot hold it), a cap on the bytes read (the stream is
 * aborted beyond it, so a huge or endless answer costs at most the cap), and it also ends when the
 * current tick's budget runs out (see {@link withCallBudget}).
 *
 * Failures are {@link OutboundCallError}s whose message says which bound was hit and never holds
 * a credential; callers prefix what they called.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Agent, IncomingHttpHeaders } from 'node:http';
import { request as httpRequest } from './node-http.js';
import { request as httpsRequest } from 'node:https';
import { formatDuration } from '../api/duration.js';

/** Bytes read from an answer at most, unless the caller asks for less: a few MB, far above any sane answer. */
export const DEFAULT_MAX_RESPONSE_BYTES = 4 * 1024 * 1024;

/** Sends one bounded request; {@link boundedFetch}, or a wrapper of it in tests. */
export type SendFn = (request: OutboundRequest) => Promise<OutboundResponse>;

/** Which bound ended a call, or why it failed otherwise. */
export type OutboundFailure = 'deadline' | 'budget' | 'too-large' | 'network';

/** An outbound call that produced no complete answer. */
export class OutboundCallError extends Error {
  override name = 'OutboundCallError';
  constructor(
    message: string,
    /** What ended the call. */
    readonly failure: OutboundFailure,
  ) {
    super(message);
  }
}

/** One request. */
export interface OutboundRequest {
  /** Where to send it; user info in it is ignored (turn it into a header first). */
  url: URL;
  method: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  headers?: Record<string, string>;
  body?: string;
  /** Time for the whole call, from sending to the last byte of the answer. */
  deadlineMs: number;
  /** Bytes of the answer read at most (default {@link DEFAULT_MAX_RESPONSE_BYTES}). */
  maxBytes?: number;
  /** Shown in the tick budget's report of calls still in flight, e.g. `Prometheus query for m`. */
  what: string;
  /** Connection pool and TLS options (e.g. `rejectUnauthorized: false`). */
  agent?: Agent | undefined;
  /**
   * Not stopped by the tick budget (API server writes: a tick past its budget must still record
   * its failed checks). The deadline and the cap still apply.
   */
  outsideBudget?: boolean;
}

/** A complete answer, whatever its status. */
export interface OutboundResponse {
  status: number;
  statusText: string;
  headers: IncomingHttpHeaders;
  /** The whole body, at most `maxBytes` long. */
  body: Buffer;
}

/** The budget of the tick the current async context belongs to. */
export interface CallBudget {
  /** Aborted when the budget runs out. */
  readonly signal: AbortSignal;
  readonly budgetMs: number;
  /** Outbound calls running now, by {@link OutboundRequest.what}. */
  readonly inFlight: Set<string>;
}

const budgets = new AsyncLocalStorage<CallBudget>();

/**
 * Runs `fn` with a budget: every {@link boundedFetch} made inside it (however deep, through any
 * port) is aborted once `signal` aborts. The scheduler's tick wrapper sets one per tick, so the
 * ports between the scheduler and the HTTP callers need no signal parameter.
 */
export function withCallBudget<T>(budget: CallBudget, fn: () => Promise<T>): Promise<T> {
  return budgets.run(budget, fn);
}

/** The budget of the current tick, if any. */
export function currentCallBudget(): CallBudget | undefined {
  return budgets.getStore();
}

/** The message of a call cut short by the tick budget. */
export function budgetMessage(budget: CallBudget): string {
  return `stopped: the tick's budget of ${formatDuration(budget.budgetMs)} ran out`;
}

/**
 * Sends one request and reads its whole answer within the deadline, the cap and the tick budget.
 * Built on `node:http(s)` rather than fetch, so TLS options (an `Agent`) can be set per call.
 * @throws OutboundCallError when a bound is hit or no answer came
 */
export function boundedFetch(request: OutboundRequest): Promise<OutboundResponse> {
  const budget = request.outsideBudget ? undefined : currentCallBudget();
  if (budget?.signal.aborted) {
    return Promise.reject(new OutboundCallError(budgetMessage(budget), 'budget'));
  }
  const maxBytes = request.maxBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  const send = request.url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise<OutboundResponse>((resolve, reject) => {
    let settled = false;
    const finish = (error: OutboundCallError | undefined, response?: OutboundResponse): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      budget?.signal.removeEventListener('abort', onBudget);
      budget?.inFlight.delete(request.what);
      if (error) {
        // Destroying the request stops the stream: nothing more is read or buffered.
        req.destroy();
        reject(error);
      } else if (response) resolve(response);
    };
    const timer = setTimeout(
      () =>
        finish(new OutboundCallError(`timed out after ${formatDuration(request.deadlineMs)}`, 'deadline')),
      request.deadlineMs,
    );
    const onBudget = (): void => {
      if (budget) finish(new OutboundCallError(budgetMessage(budget), 'budget'));
    };
    budget?.signal.addEventListener('abort', onBudget);
    budget?.inFlight.add(request.what);
    const tooLarge = (): OutboundCallError =>
      new OutboundCallError(`answer larger than ${formatBytes(maxBytes)}; stopped reading`, 'too-large');
    const headers: Record<string, string> = { ...request.headers };
    if (request.body !== undefined) headers['Content-Length'] = String(Buffer.byteLength(request.body));
    // Credentials travel in headers only: node would turn user info into a Basic header of its own.
    const target = new URL(request.url.href);
    target.username = '';
    target.password = '';
    const req = send(target, {
      method: request.method,
      headers,
      ...(request.agent ? { agent: request.agent } : {}),
    });
    req.on('error', (err) => finish(new OutboundCallError(describeNetworkError(err), 'network')));
    req.on('response', (res) => {
      // A HEAD answer declares the length of the GET's body but carries none.
      const declared = request.method === 'HEAD' ? NaN : Number(res.headers['content-length']);
      if (Number.isFinite(declared) && declared > maxBytes) return finish(tooLarge());
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.byteLength;
        if (size > maxBytes) return finish(tooLarge());
        chunks.push(chunk);
      });
      res.on('error', (err) => finish(new OutboundCallError(describeNetworkError(err), 'network')));
      res.on('close', () => {
        if (!res.complete) finish(new OutboundCallError('request failed: the answer was cut off', 'network'));
      });
      res.on('end', () =>
        finish(undefined, {
          status: res.statusCode ?? 0,
          statusText: res.statusMessage ?? '',
          headers: res.headers,
          body: Buffer.concat(chunks),
        }),
      );
    });
    req.end(request.body);
  });
}

/** `4 MiB`, `512 KiB`, `100 B`. */
export function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)} MiB`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes} B`;
}

/** `request failed: ECONNREFUSED connect ECONNREFUSED 127.0.0.1:1` style, from a socket error. */
function describeNetworkError(err: unknown): string {
  const message =
    typeof err === 'object' && err !== null ? (err as { message?: unknown }).message : undefined;
  const code = typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
  const text = typeof message === 'string' && message ? message : String(err);
  const prefix = typeof code === 'string' && !text.includes(code) ? `${code} ` : '';
  return `request failed: ${prefix}${text}`;
}
