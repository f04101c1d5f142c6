/**
 * `node:http`, loaded with `require`. The product imports it from here, never with an ESM
 * `import`: to build an ES module namespace Node reads every export of a builtin, and in Node 24
 * that runs `node:http`'s lazy `WebSocket`, `CloseEvent` and `MessageEvent` getters, which load
 * Node's bundled undici, with http2, worker_threads and web streams: 13 MB of RSS in a process
 * that uses none of them (the `fledge controller` import took 90 MB before, see README, Sizing).
 * Types still come from `import type ... from 'node:http'`, which leaves no import behind.
 */
import { createRequire } from 'node:module';
import type * as NodeHttp from 'node:http';

const http = createRequire(import.meta.url)('node:http') as typeof NodeHttp;

export const request: typeof NodeHttp.request = http.request;
export const createServer: typeof NodeHttp.createServer = http.createServer;
