/**
 * The mesh stand-in: a load generator that routes each request the way Istio would by the
 * VirtualService Fledge wrote (followed through `cluster.watch`, so a weight change applies to the
 * next request), sends it over real HTTP to the version server behind the chosen destination,
 * and reports status and latency as the destination sidecar would (Istio metrics, with the duration
 * the version server measured) and per class of users (for assertions, with the latency this process
 * saw). Mirrored routes send a copy whose answer is dropped, as Envoy does.
 */
import { Agent, request as httpRequest, type ClientRequest } from 'node:http';
import type { Cluster, Unsubscribe } from '../../../src/kube/cluster.js';
import { API } from '../../../src/kube/resources.js';
import {
  pickDestination,
  pickMirror,
  selectRoute,
  type VirtualServiceSpec,
} from '../../../src/sandbox/virtual-service-routing.js';
import { DestinationResolver, destinationKey, type DestinationMap, type MeshTarget } from './destinations.js';
import type { IstioMetrics } from './istio-metrics.js';
import { OTHER_CLASS, TrafficRecord, type TrafficSummary } from './traffic-record.js';

/** A class of users: the headers its requests carry and its share of all requests (0 to 1). */
export interface HeaderClass {
  /** Name in the traffic record; default `header=value,...`. */
  name?: string;
  headers: Record<string, string>;
  share: number;
}

/** Options of {@link Mesh}. */
export interface MeshOptions {
  /** Where the VirtualService is read from (a real cluster in e2e, a MemoryCluster in unit tests). */
  cluster: Cluster;
  namespace: string;
  /** Name of the VirtualService to follow (Fledge names it after the apex service). */
  virtualService: string;
  /** Version servers by destination key (see `destinations.ts`; `apexDestinations` builds the usual ones). */
  destinations: DestinationMap;
  /** Requests sent per second (default 50). */
  requestsPerSecond?: number;
  /** Classes of users; the share left over is sent without headers as class `other`. */
  headerMix?: HeaderClass[];
  /** Where Istio's metrics are reported; none when absent. */
  metrics?: IstioMetrics;
  /** `source_workload` of the metrics (default `loadtester`). */
  sourceWorkload?: string;
  /** Path requested (default `/`). */
  path?: string;
  /** Time after which a request counts as a 504 upstream timeout (default 10 s). */
  requestTimeoutMs?: number;
  /** Requests in flight above which new ones are dropped rather than queued (default 1000). */
  maxInFlight?: number;
  /** Random numbers in [0, 1) for user classes, weights and mirroring (default `Math.random`). */
  random?: () => number;
  /** Called after each request is settled (answered, unrouted or unmapped). */
  onRequest?: (request: MeshRequest) => void;
}

/** One settled request. */
export interface MeshRequest {
  userClass: string;
  outcome: 'answered' | 'unrouted' | 'unmapped';
  /** Destination key the route chose (`host` or `host/subset`), when one did. */
  destination?: string;
  /** Workload that answered, when the request was sent. */
  workload?: string;
  status?: number;
  latencyMs?: number;
  /** A mirrored copy (its answer never reaches the user). */
  mirrored: boolean;
  /** `resourceVersion` of the VirtualService that routed it. */
  resourceVersion?: string;
  /** Wall-clock time the request was routed, in ms since the epoch. */
  routedAtMs: number;
}

/** Counters of the load generator itself. */
export interface MeshLoadStats {
  /** Requests routed (mirrored copies not included). */
  sent: number;
  inFlight: number;
  /** Requests not sent because `maxInFlight` were pending. */
  dropped: number;
  /** Requests not sent because the event loop stalled (more than a quarter second behind). */
  lagged: number;
}

/** Options the mesh cannot work with. */
export class MeshConfigError extends Error {
  override name = 'MeshConfigError';
}

interface VirtualServiceObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; resourceVersion?: string };
  spec?: VirtualServiceSpec;
}

interface UserClass {
  name: string;
  headers: Record<string, string>;
  upTo: number;
}

const TICK_MS = 10;

function userClasses(mix: HeaderClass[]): UserClass[] {
  const classes: UserClass[] = [];
  let total = 0;
  mix.forEach((c, i) => {
    if (typeof c.share !== 'number' || !(c.share > 0 && c.share <= 1)) {
      throw new MeshConfigError(`headerMix[${i}].share: expected a number in (0, 1], got ${c.share}`);
    }
    const headers = Object.fromEntries(Object.entries(c.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
    if (Object.keys(headers).length === 0)
      throw new MeshConfigError(`headerMix[${i}].headers: expected at least one`);
    const name =
      c.name ??
      Object.entries(headers)
        .map(([k, v]) => `${k}=${v}`)
        .join(',');
    if (name === OTHER_CLASS || classes.some((u) => u.name === name)) {
      throw new MeshConfigError(
        `headerMix[${i}].name: "${name}" is taken (names must be unique, not "${OTHER_CLASS}")`,
      );
    }
    total += c.share;
    classes.push({ name, headers, upTo: total });
  });
  if (total > 1 + 1e-9) throw new MeshConfigError(`headerMix: shares add up to ${total}, more than 1`);
  if (total < 1 - 1e-9) classes.push({ name: OTHER_CLASS, headers: {}, upTo: 1 });
  return classes;
}

function positive(field: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !(value > 0) || !Number.isFinite(value)) {
    throw new MeshConfigError(`${field}: expected a positive number, got ${value}`);
  }
  return value;
}

/** Routes and sends the traffic; see the file comment. */
export class Mesh {
  private readonly resolver: DestinationResolver;
  private readonly classes: UserClass[];
  private readonly record: TrafficRecord;
  private readonly random: () => number;
  private readonly requestTimeoutMs: number;
  private readonly maxInFlight: number;
  private readonly agent = new Agent({ keepAlive: true });
  private readonly inFlight = new Set<ClientRequest>();
  private readonly load: MeshLoadStats = { sent: 0, inFlight: 0, dropped: 0, lagged: 0 };
  private readonly waiters = new Set<() => void>();
  private requestsPerSecond: number;
  private spec: VirtualServiceSpec | undefined;
  private resourceVersion: string | undefined;
  private unwatch: Unsubscribe | undefined;
  private timer: NodeJS.Timeout | undefined;
  private rateStartMs = 0;
  private scheduled = 0;
  private running = false;

  /** Validates the options; throws {@link MeshConfigError} naming the bad field. */
  constructor(private readonly o: MeshOptions) {
    if (!o.cluster) throw new MeshConfigError('cluster: required');
    for (const field of ['namespace', 'virtualService'] as const) {
      if (typeof o[field] !== 'string' || o[field] === '') throw new MeshConfigError(`${field}: required`);
    }
    try {
      this.resolver = new DestinationResolver(o.destinations ?? {}, o.namespace);
    } catch (error) {
      throw new MeshConfigError((error as Error).message, { cause: error });
    }
    this.requestsPerSecond = positive('requestsPerSecond', o.requestsPerSecond, 50);
    this.requestTimeoutMs = positive('requestTimeoutMs', o.requestTimeoutMs, 10_000);
    this.maxInFlight = positive('maxInFlight', o.maxInFlight, 1_000);
    this.classes = userClasses(o.headerMix ?? []);
    this.record = new TrafficRecord(this.classes.map((c) => c.name));
    this.random = o.random ?? Math.random;
  }

  /** Follows the VirtualService and starts sending. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.unwatch = this.o.cluster.watch<VirtualServiceObject>(
      { ...API.virtualService, namespace: this.o.namespace },
      (event) => {
        if (event.object.metadata.name !== this.o.virtualService) return;
        const deleted = event.type === 'DELETED';
        this.spec = deleted ? undefined : (event.object.spec ?? {});
        this.resourceVersion = deleted ? undefined : event.object.metadata.resourceVersion;
        for (const wake of [...this.waiters]) wake();
      },
    );
    this.rateStartMs = performance.now();
    this.scheduled = 0;
    this.timer = setInterval(() => this.tick(), TICK_MS);
    this.timer.unref();
  }

  /** Stops sending and following; requests in flight are aborted and not counted. Safe to call twice. */
  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.unwatch?.();
    this.unwatch = undefined;
    for (const req of this.inFlight) req.destroy();
    this.inFlight.clear();
    this.load.inFlight = 0;
    this.agent.destroy();
    for (const wake of [...this.waiters]) wake();
  }

  /** Changes the request rate from now on. */
  setRequestsPerSecond(requestsPerSecond: number): void {
    this.requestsPerSecond = positive('requestsPerSecond', requestsPerSecond, 50);
    this.rateStartMs = performance.now();
    this.scheduled = 0;
  }

  /** The VirtualService spec the mesh routes by, undefined before it exists. */
  get virtualServiceSpec(): VirtualServiceSpec | undefined {
    return this.spec;
  }

  /** Resolves once the followed spec satisfies `accept` (default: exists); rejects after `timeoutMs`. */
  waitForSpec(
    accept: (spec: VirtualServiceSpec) => boolean = () => true,
    timeoutMs = 10_000,
  ): Promise<VirtualServiceSpec> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (this.spec && accept(this.spec)) {
          done();
          resolve(this.spec);
        } else if (!this.running) {
          done();
          reject(new Error(`mesh stopped while waiting for VirtualService ${this.o.virtualService}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(
          new Error(
            `VirtualService ${this.o.namespace}/${this.o.virtualService} not as expected within ${timeoutMs}ms; last spec: ${JSON.stringify(this.spec)}`,
          ),
        );
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
      check();
    });
  }

  /** What each class of users saw since the start or the last reset. */
  traffic(): TrafficSummary {
    return this.record.summary();
  }

  /** Requests answered per user class and workload. */
  seen(): Record<string, Record<string, number>> {
    return this.record.seen();
  }

  /** Requests of `userClass` answered by `workload`. */
  count(userClass: string, workload: string): number {
    return this.record.count(userClass, workload);
  }

  /**
   * Starts the traffic record afresh; returns the record until now. Requests in flight are counted
   * in the new record when they settle: to tell requests apart by when they were routed, use
   * `onRequest` (`routedAtMs`, `resourceVersion`).
   */
  resetTraffic(): TrafficSummary {
    return this.record.reset();
  }

  /** Counters of the load generator. */
  loadStats(): MeshLoadStats {
    return { ...this.load, inFlight: this.inFlight.size };
  }

  private tick(): void {
    if (!this.running) return;
    const due = Math.floor(((performance.now() - this.rateStartMs) * this.requestsPerSecond) / 1_000);
    let toSend = due - this.scheduled;
    this.scheduled = due;
    const maxBurst = Math.max(1, Math.ceil(this.requestsPerSecond / 4));
    if (toSend > maxBurst) {
      this.load.lagged += toSend - maxBurst;
      toSend = maxBurst;
    }
    for (let i = 0; i < toSend; i++) this.sendOne();
  }

  private pickClass(): UserClass {
    const draw = this.random();
    return this.classes.find((c) => draw < c.upTo) ?? (this.classes[this.classes.length - 1] as UserClass);
  }

  private sendOne(): void {
    const userClass = this.pickClass();
    const routedAtMs = Date.now();
    const base = { userClass: userClass.name, routedAtMs, resourceVersion: this.resourceVersion };
    this.load.sent += 1;
    const route = this.spec ? selectRoute(this.spec, { headers: userClass.headers }) : undefined;
    const destination = pickDestination(route, this.random());
    if (!destination) {
      this.record.unrouted(userClass.name);
      this.o.onRequest?.({ ...base, outcome: 'unrouted', mirrored: false });
      return;
    }
    const key = destinationKey(destination, this.o.namespace);
    const target = this.resolver.resolve(destination);
    if (!target) {
      this.record.unmapped(userClass.name);
      this.o.onRequest?.({ ...base, outcome: 'unmapped', destination: key, mirrored: false });
      return;
    }
    const mirror = pickMirror(route, this.random());
    const mirrorTarget = mirror ? this.resolver.resolve(mirror) : undefined;
    if (this.inFlight.size >= this.maxInFlight) {
      this.load.dropped += 1;
      return;
    }
    this.send(target, key, userClass, false, base);
    if (mirror && mirrorTarget && this.inFlight.size < this.maxInFlight) {
      this.send(mirrorTarget, destinationKey(mirror, this.o.namespace), userClass, true, base);
    }
  }

  private send(
    target: MeshTarget,
    key: string,
    userClass: UserClass,
    mirrored: boolean,
    base: { userClass: string; routedAtMs: number; resourceVersion: string | undefined },
  ): void {
    const startedMs = performance.now();
    let settled = false;
    let timedOut = false;
    const finish = (status: number, flags: string, serverDurationMs?: number): void => {
      if (settled) return;
      settled = true;
      this.inFlight.delete(req);
      if (!this.running) return;
      const latencyMs = performance.now() - startedMs;
      if (mirrored) this.record.mirrored(userClass.name, target.workload);
      else this.record.answered(userClass.name, target.workload, status, latencyMs);
      const [service] = key.split('/') as [string];
      this.o.metrics?.record({
        sourceWorkload: this.o.sourceWorkload ?? 'loadtester',
        sourceNamespace: this.o.namespace,
        destinationWorkload: target.workload,
        destinationNamespace: this.o.namespace,
        destinationServiceName: service,
        responseCode: status,
        responseFlags: flags,
        // As a destination sidecar: the server's own time when it gave one, so that stalls of this
        // (loaded) process do not show up as the app's latency; timeouts and failures have only ours.
        durationMs: serverDurationMs ?? latencyMs,
      });
      this.o.onRequest?.({
        ...base,
        outcome: 'answered',
        destination: key,
        workload: target.workload,
        status,
        latencyMs,
        mirrored,
      });
    };
    const headers = { ...userClass.headers, 'x-fledge-user-class': userClass.name };
    const req = httpRequest(
      `${target.url}${this.o.path ?? '/'}`,
      { agent: this.agent, headers: mirrored ? { ...headers, 'x-fledge-mirrored': 'true' } : headers },
      (res) => {
        res.resume();
        const serverMs = Number(res.headers['x-fledge-duration-ms']);
        const serverDurationMs = Number.isFinite(serverMs) && serverMs >= 0 ? serverMs : undefined;
        res.once('end', () => finish(res.statusCode ?? 0, '-', serverDurationMs));
        res.once('error', () => finish(503, 'UC'));
      },
    );
    req.setTimeout(this.requestTimeoutMs, () => {
      timedOut = true;
      req.destroy();
    });
    // Envoy's answers: 504 with UT for an upstream timeout, 503 with UF for a failed connection.
    req.once('error', () => (timedOut ? finish(504, 'UT') : finish(503, 'UF')));
    this.inFlight.add(req);
    req.end();
  }
}
