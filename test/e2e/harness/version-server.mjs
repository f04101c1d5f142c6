/**
 * One version of the app under test, run as its own process by `versions.ts`:
 * `node version-server.mjs <workload>`.
 *
 * Every path answers as the app, `200` with `{"workload": ...}`, unless a fault rule says
 * otherwise. Faults follow Istio's HTTPFaultInjection: a share of requests is delayed by a fixed
 * time, a share is aborted with a status (delay first, then abort, each drawn independently).
 *
 * Control endpoints (not counted as app traffic):
 * - `GET /__fledge/faults`, `PUT /__fledge/faults` with the rule as JSON (`{}` clears it);
 * - `GET /__fledge/stats`: app requests answered, by status, and how many were delayed.
 *
 * Each app answer carries `x-fledge-duration-ms`, the time from the request's arrival to its answer
 * as this server measured it (injected delay included): what a destination sidecar reports as the
 * request's duration. The load generator's own clock would add its event-loop stalls, which a
 * loaded test runner has and the app does not.
 *
 * It listens on a free loopback port and sends `{ port }` to the parent over IPC; it exits when the
 * parent disconnects, so a killed test run leaves no server behind.
 *
 * Plain JavaScript, so it runs on Node without a TypeScript loader; `versions.ts` validates rules
 * before sending them, this file checks them again because the endpoint can be called directly.
 */
import { Buffer } from 'node:buffer';
import { createServer } from 'node:http';
import { performance } from 'node:perf_hooks';
import process from 'node:process';
import { setTimeout } from 'node:timers';
import { URL } from 'node:url';

const workload = process.argv[2];
if (!workload) {
  process.stderr.write('usage: node version-server.mjs <workload>\n');
  process.exit(2);
}

const CONTROL_FAULTS = '/__fledge/faults';
const CONTROL_STATS = '/__fledge/stats';
const MAX_BODY_BYTES = 64 * 1024;

/** @type {{ abort?: { percentage: number; httpStatus: number }; delay?: { percentage: number; fixedDelayMs: number } }} */
let faults = {};
const stats = { workload, requests: 0, delayed: 0, byStatus: /** @type {Record<string, number>} */ ({}) };

/** Why a rule is refused, or undefined when it is valid. */
function ruleProblem(rule) {
  if (typeof rule !== 'object' || rule === null || Array.isArray(rule)) return 'the rule must be an object';
  for (const key of Object.keys(rule)) {
    if (key !== 'abort' && key !== 'delay') return `unknown field "${key}" (expected abort, delay)`;
  }
  const percentage = (field, value) =>
    typeof value === 'number' && value >= 0 && value <= 100
      ? undefined
      : `${field}.percentage must be a number from 0 to 100, got ${JSON.stringify(value)}`;
  if (rule.abort !== undefined) {
    const p = percentage('abort', rule.abort?.percentage);
    if (p) return p;
    const s = rule.abort.httpStatus;
    if (!Number.isInteger(s) || s < 200 || s > 599) {
      return `abort.httpStatus must be an HTTP status from 200 to 599, got ${JSON.stringify(s)}`;
    }
  }
  if (rule.delay !== undefined) {
    const p = percentage('delay', rule.delay?.percentage);
    if (p) return p;
    const d = rule.delay.fixedDelayMs;
    if (typeof d !== 'number' || !(d >= 0) || d > 600_000) {
      return `delay.fixedDelayMs must be a number of milliseconds from 0 to 600000, got ${JSON.stringify(d)}`;
    }
  }
  return undefined;
}

function sendJson(res, status, body, headers = {}) {
  res.writeHead(status, { ...headers, 'content-type': 'application/json', 'x-fledge-workload': workload });
  res.end(JSON.stringify(body));
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks = [];
    req.on('data', (chunk) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new Error(`body larger than ${MAX_BODY_BYTES} bytes`));
        req.destroy();
      } else {
        chunks.push(chunk);
      }
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

async function control(req, res, path) {
  if (path === CONTROL_STATS && req.method === 'GET') return sendJson(res, 200, stats);
  if (path === CONTROL_FAULTS && req.method === 'GET') return sendJson(res, 200, faults);
  if (path === CONTROL_FAULTS && req.method === 'PUT') {
    let rule;
    try {
      rule = JSON.parse(await readBody(req));
    } catch (error) {
      return sendJson(res, 400, { error: `fault rule: ${error instanceof Error ? error.message : error}` });
    }
    const problem = ruleProblem(rule);
    if (problem) return sendJson(res, 400, { error: `fault rule: ${problem}` });
    faults = rule;
    return sendJson(res, 200, faults);
  }
  return sendJson(res, 405, { error: `${req.method} ${path} is not supported` });
}

function serveApp(req, res, path) {
  const arrivedMs = performance.now();
  req.resume();
  const rule = faults;
  const delayed = rule.delay && Math.random() * 100 < rule.delay.percentage;
  const answer = () => {
    const aborted = rule.abort && Math.random() * 100 < rule.abort.percentage;
    const status = aborted ? rule.abort.httpStatus : 200;
    stats.requests += 1;
    if (delayed) stats.delayed += 1;
    stats.byStatus[status] = (stats.byStatus[status] ?? 0) + 1;
    if (res.destroyed) return;
    const durationMs = (performance.now() - arrivedMs).toFixed(3);
    sendJson(res, status, aborted ? { workload, error: 'fault filter abort' } : { workload, path }, {
      'x-fledge-duration-ms': durationMs,
    });
  };
  if (delayed) setTimeout(answer, rule.delay.fixedDelayMs);
  else answer();
}

const server = createServer((req, res) => {
  const path = new URL(req.url ?? '/', 'http://version').pathname;
  if (path.startsWith('/__fledge/')) {
    control(req, res, path).catch((error) => sendJson(res, 500, { error: String(error) }));
  } else {
    serveApp(req, res, path);
  }
});
server.keepAliveTimeout = 30_000;

process.on('disconnect', () => process.exit(0));
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  if (process.send) process.send({ port: typeof address === 'object' && address ? address.port : 0 });
});
