/**
 * Test harness for a real Prometheus server: starts `prometheus` on a free loopback port with a
 * temporary config and data directory, scraping a `/metrics` endpoint served by the test itself
 * every second. Also: a feed of Istio-shaped series whose counters grow at known rates, and a
 * stub of the Prometheus query API that records requests (for auth, headers and error answers).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type RequestListener } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { closeServer as close, freePort, listenOnLoopback as listen, which } from './devtools/processes.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { onProcessExit } from './exit-cleanup.js';

/** Produces the exposition text served at `/metrics`, computed at scrape time. */
export type MetricsFeed = () => string | Promise<string>;

/** Options of {@link startPrometheus}. */
export interface StartPrometheusOptions {
  /** What the scraped target exposes; served by this helper. Give this or `target`. */
  feed?: MetricsFeed;
  /** A `host:port` serving `/metrics` to scrape instead of a feed (e.g. the e2e traffic harness). */
  target?: string;
  /** Scrapes that must have landed before `startPrometheus` resolves (default 3, so rate() works). */
  minScrapes?: number;
  /** Time allowed for start-up and the first scrapes (default 30 s). */
  startTimeoutMs?: number;
}

/** A running Prometheus and the target it scrapes. */
export interface PrometheusInstance {
  /** Base address of the Prometheus API, e.g. `http://127.0.0.1:41234`. */
  address: string;
  /** Runs an instant query through the raw HTTP API (for waits, not for the code under test). */
  rawQuery(promql: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]>;
  /** Polls `promql` until `accept` returns true for its result. */
  waitFor(promql: string, accept: (values: number[]) => boolean, timeoutMs?: number): Promise<number[]>;
  /** Kills Prometheus, stops the target and removes the temporary directory. Safe to call twice. */
  stop(): Promise<void>;
}

const JOB = 'fledge-test';

/**
 * Starts Prometheus scraping `options.feed` every second and resolves once it is ready and holds
 * `minScrapes` samples. Rejects (after cleaning up) when the binary is missing or start-up fails.
 */
export async function startPrometheus(options: StartPrometheusOptions): Promise<PrometheusInstance> {
  const binary = which('prometheus');
  if (!binary) {
    throw new Error(
      'prometheus binary not found on PATH: run `bash scripts/install-prometheus.sh` (installs the Debian package)',
    );
  }
  const minScrapes = options.minScrapes ?? 3;
  const startTimeoutMs = options.startTimeoutMs ?? 30_000;

  const feed = options.feed;
  if (!feed === !options.target) throw new Error('startPrometheus: give exactly one of feed and target');
  const target = createServer((req, res) => {
    if (feed && req.url?.startsWith('/metrics')) {
      Promise.resolve()
        .then(feed)
        .then(
          (text) => {
            res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
            res.end(text);
          },
          (err: unknown) => {
            res.writeHead(500).end(String(err));
          },
        );
    } else {
      res.writeHead(404).end();
    }
  });
  const dir = mkdtempSync(join(tmpdir(), 'fledge-prometheus-'));
  let child: ChildProcess | undefined;
  let log = '';
  let exited = false;

  const cleanupSync = (): void => {
    if (child && !exited) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  // A test runner killed mid-run must not leave a Prometheus or its data behind.
  const forgetExitCleanup = onProcessExit(cleanupSync);

  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    if (child && !exited) {
      const proc = child;
      const gone = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), 5_000);
      await gone;
      clearTimeout(timer);
    }
    if (target.listening) await close(target);
    rmSync(dir, { recursive: true, force: true });
    forgetExitCleanup();
  };

  try {
    const scraped = options.target ?? `127.0.0.1:${await listen(target)}`;
    const port = await freePort();
    const config = join(dir, 'prometheus.yml');
    writeFileSync(
      config,
      [
        'global:',
        '  scrape_interval: 1s',
        '  scrape_timeout: 1s',
        '  evaluation_interval: 1s',
        'scrape_configs:',
        `  - job_name: ${JOB}`,
        '    static_configs:',
        `      - targets: ['${scraped}']`,
        '',
      ].join('\n'),
    );
    child = spawn(
      binary,
      [
        `--config.file=${config}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--storage.tsdb.retention.time=1h',
        '--log.level=warn',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    child.stderr?.on('data', (chunk: Buffer) => {
      log = (log + chunk.toString('utf8')).slice(-4_000);
    });
    child.once('exit', () => {
      exited = true;
    });

    const address = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + startTimeoutMs;
    const failIfDead = (): void => {
      if (exited) throw new Error(`prometheus exited during start-up:\n${log}`);
      if (Date.now() > deadline) throw new Error(`prometheus not ready within ${startTimeoutMs}ms:\n${log}`);
    };
    for (;;) {
      failIfDead();
      const ok = await fetch(`${address}/-/ready`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) break;
      await sleep(100);
    }

    const rawQuery: PrometheusInstance['rawQuery'] = async (promql) => {
      const response = await fetch(`${address}/api/v1/query?query=${encodeURIComponent(promql)}`);
      const body = (await response.json()) as {
        status: string;
        error?: string;
        data?: { resultType: string; result: { metric: Record<string, string>; value: [number, string] }[] };
      };
      if (body.status !== 'success' || !body.data) {
        throw new Error(`query ${promql} failed: ${body.error ?? response.status}`);
      }
      if (body.data.resultType !== 'vector') throw new Error(`query ${promql}: expected a vector`);
      return body.data.result;
    };
    const waitFor: PrometheusInstance['waitFor'] = async (promql, accept, timeoutMs = 20_000) => {
      const until = Date.now() + timeoutMs;
      let last: number[] = [];
      for (;;) {
        if (exited) throw new Error(`prometheus exited:\n${log}`);
        last = (await rawQuery(promql)).map((s) => parseFloat(s.value[1]));
        if (accept(last)) return last;
        if (Date.now() > until) {
          throw new Error(`timed out waiting for ${promql}; last result: [${last.join(', ')}]`);
        }
        await sleep(250);
      }
    };

    const remainingMs = Math.max(1_000, deadline - Date.now());
    await waitFor(`count_over_time(up{job="${JOB}"}[5m])`, (v) => (v[0] ?? 0) >= minScrapes, remainingMs);
    await waitFor(`up{job="${JOB}"}`, (v) => v[0] === 1, remainingMs);
    return { address, rawQuery, waitFor, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Per-second rates of one workload's requests, by response code, and its latency histogram. */
export interface WorkloadRates {
  namespace: string;
  workload: string;
  /** Requests per second by response code. */
  requestsPerSecondByCode: Record<string, number>;
  /** Cumulative observations per second for each bucket upper bound (`+Inf` last, equal to the total). */
  bucketsPerSecond: [le: string, perSecond: number][];
  /** Sum of observed latencies per second, in milliseconds. */
  latencySumPerSecond: number;
}

/**
 * A feed exposing `istio_requests_total` and `istio_request_duration_milliseconds_*` for each
 * workload, as Istio's sidecars report them on the destination side. Counters are the rate times
 * the seconds since `startMs`, computed at scrape time, so every series of one scrape shares its
 * elapsed time and ratios of rates are exact.
 */
export function istioFeed(workloads: WorkloadRates[], now: () => number = Date.now): MetricsFeed {
  const startMs = now();
  return () => {
    const elapsed = (now() - startMs) / 1_000;
    const lines = [
      '# HELP istio_requests_total Requests seen by the destination proxy.',
      '# TYPE istio_requests_total counter',
    ];
    const labels = (w: WorkloadRates): string =>
      `reporter="destination",destination_workload_namespace="${w.namespace}",destination_workload="${w.workload}"`;
    for (const w of workloads) {
      for (const [code, rate] of Object.entries(w.requestsPerSecondByCode)) {
        lines.push(`istio_requests_total{${labels(w)},response_code="${code}"} ${rate * elapsed}`);
      }
    }
    lines.push(
      '# HELP istio_request_duration_milliseconds Request latency seen by the destination proxy.',
      '# TYPE istio_request_duration_milliseconds histogram',
    );
    for (const w of workloads)
      lines.push(...histogramLines('istio_request_duration_milliseconds', labels(w), w, elapsed));
    return `${lines.join('\n')}\n`;
  };
}

/** The `_bucket`, `_sum` and `_count` samples of a workload's latency histogram after `elapsed` s. */
function histogramLines(name: string, labels: string, w: WorkloadRates, elapsed: number): string[] {
  const lines = w.bucketsPerSecond.map(
    ([le, rate]) => `${name}_bucket{${labels},le="${le}"} ${rate * elapsed}`,
  );
  const total = w.bucketsPerSecond[w.bucketsPerSecond.length - 1]?.[1] ?? 0;
  lines.push(`${name}_sum{${labels}} ${w.latencySumPerSecond * elapsed}`);
  lines.push(`${name}_count{${labels}} ${total * elapsed}`);
  return lines;
}

/**
 * A feed exposing Linkerd's proxy metrics for each workload (`workload` is the Deployment):
 * `response_total` on the inbound side, classified `failure` for 5xx as Linkerd does by default,
 * and the `response_latency_ms` histogram. Counters grow as {@link istioFeed}'s do.
 */
export function linkerdFeed(workloads: WorkloadRates[], now: () => number = Date.now): MetricsFeed {
  const startMs = now();
  return () => {
    const elapsed = (now() - startMs) / 1_000;
    const labels = (w: WorkloadRates): string =>
      `namespace="${w.namespace}",deployment="${w.workload}",direction="inbound"`;
    const lines = ['# HELP response_total Responses of the Linkerd proxy.', '# TYPE response_total counter'];
    for (const w of workloads) {
      for (const [code, rate] of Object.entries(w.requestsPerSecondByCode)) {
        const classification = code.startsWith('5') ? 'failure' : 'success';
        lines.push(
          `response_total{${labels(w)},status_code="${code}",classification="${classification}"} ${rate * elapsed}`,
        );
      }
    }
    lines.push(
      '# HELP response_latency_ms Response latency of the Linkerd proxy.',
      '# TYPE response_latency_ms histogram',
    );
    for (const w of workloads) lines.push(...histogramLines('response_latency_ms', labels(w), w, elapsed));
    return `${lines.join('\n')}\n`;
  };
}

/** A request the {@link PrometheusApiStub} received. */
export interface StubRequest {
  path: string;
  /** Parsed query string. */
  params: URLSearchParams;
  headers: IncomingHttpHeaders;
}

/** An answer of the stub: status, body (JSON-encoded unless a string), optional delay. */
export interface StubReply {
  status?: number;
  body: unknown;
  delayMs?: number;
}

/** A stand-in for the Prometheus query API that records requests and answers what it is told. */
export interface PrometheusApiStub {
  address: string;
  readonly requests: StubRequest[];
  /** Sets how the next requests are answered. */
  reply(handler: (request: StubRequest) => StubReply): void;
  stop(): Promise<void>;
}

/** Options of {@link startPrometheusApiStub}. */
export interface PrometheusApiStubOptions {
  /** Serve HTTPS with this PEM key and certificate. */
  tls?: { key: string; cert: string };
}

/** Starts a {@link PrometheusApiStub} on a free loopback port; by default it answers an empty vector. */
export async function startPrometheusApiStub(
  options: PrometheusApiStubOptions = {},
): Promise<PrometheusApiStub> {
  const requests: StubRequest[] = [];
  const timers = new Set<NodeJS.Timeout>();
  let handler = (_request: StubRequest): StubReply => ({
    body: { status: 'success', data: { resultType: 'vector', result: [] } },
  });
  const listener: RequestListener = (req, res) => {
    const url = new URL(req.url ?? '/', 'http://stub');
    const request: StubRequest = { path: url.pathname, params: url.searchParams, headers: req.headers };
    requests.push(request);
    const reply = handler(request);
    const send = (): void => {
      const text = typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body);
      const type = typeof reply.body === 'string' ? 'text/plain' : 'application/json';
      res.writeHead(reply.status ?? 200, { 'content-type': type });
      res.end(text);
    };
    if (reply.delayMs) {
      const timer = setTimeout(() => {
        timers.delete(timer);
        send();
      }, reply.delayMs);
      timers.add(timer);
    } else {
      send();
    }
  };
  const server = options.tls ? createHttpsServer(options.tls, listener) : createServer(listener);
  const port = await listen(server);
  return {
    address: `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    requests,
    reply(next) {
      handler = next;
    },
    stop: async () => {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      await close(server);
    },
  };
}
