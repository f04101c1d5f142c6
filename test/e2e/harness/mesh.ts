/**
 * The data plane stand-in: a load generator that routes each request the way the provider would by
 * the objects Fledge's router wrote (a {@link RouteFollower} per provider, following them through
 * `cluster.watch`, so a change applies to the next request), sends it over real HTTP to the version
 * server behind the chosen destination, and reports status and latency as that provider's data plane
 * would (its metrics, with the duration the version server measured) and per class of users (for
 * assertions, with the latency this process saw). Mirrored copies' answers are dropped, as Envoy does.
 */
import { Agent, request as httpRequest, type ClientRequest } from 'node:http';
import type { Cluster } from '../../../src/kube/cluster.js';
import { DestinationResolver, type DestinationMap, type ResolvedTarget } from './destinations.js';
import type { MetricsExporter } from './metrics/endpoint.js';
import type { RouteDecision, RouteFollower, RouteRequest } from './routes/follower.js';
import { IstioFollower } from './routes/istio.js';
import { TrafficRecord, type TrafficSummary } from './traffic-record.js';
import { MeshConfigError, positive, userClasses, type HeaderClass, type UserClass } from './user-classes.js';

export { MeshConfigError, type HeaderClass } from './user-classes.js';

/** Options of {@link Mesh}. */
export interface MeshOptions {
  /** Where the routes are read from (a real cluster in e2e, a MemoryCluster in unit tests). */
  cluster?: Cluster;
  namespace: string;
  /** What routes the requests (see `providers.ts`); default: an Istio follower of `virtualService`. */
  follower?: RouteFollower;
  /** Name of the VirtualService to follow when no `follower` is given. */
  virtualService?: string;
  /** Version servers by destination key (see `destinations.ts`; `apexDestinations` builds the usual ones). */
  destinations: DestinationMap;
  /** Requests sent per second (default 50). */
  requestsPerSecond?: number;
  /** Classes of users; the share left over is sent without headers as class `other`. */
  headerMix?: HeaderClass[];
  /** Where the provider's metrics are reported; none when absent. */
  metrics?: MetricsExporter;
  /** Workload reported as the source (default `loadtester`). */
  sourceWorkload?: string;
  /** Path requested (default `/`). */
  path?: string;
  /** Port of the services, as reported in the metrics (default 9898, podinfo's). */
  servicePort?: number;
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
  /** `resourceVersion` of the routing objects that routed it (see {@link RouteFollower.version}). */
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

type RequestBase = { userClass: string; routedAtMs: number; resourceVersion: string | undefined };

const TICK_MS = 10;

function followerOf(o: MeshOptions): RouteFollower {
  if (o.follower) return o.follower;
  if (!o.cluster) throw new MeshConfigError('cluster: required');
  if (typeof o.virtualService !== 'string' || o.virtualService === '')
    throw new MeshConfigError('virtualService: required (or give a follower)');
  return new IstioFollower(o.cluster, o.namespace, o.virtualService);
}

/** Routes and sends the traffic; see the file comment. */

/** How long a pooled connection to a version server may stay idle (see the agent). */
const IDLE_SOCKET_TIMEOUT_MS = 5_000;
export class Mesh {
  private readonly resolver: DestinationResolver;
  private readonly classes: UserClass[];
  private readonly record: TrafficRecord;
  private readonly random: () => number;
  private readonly requestTimeoutMs: number;
  private readonly maxInFlight: number;
  /**
   * Idle sockets are closed by this side after 5 s, well before the version servers' 30 s
   * keep-alive timeout: left to the server, the close can cross a request the agent sends on the
   * same socket, and on a loaded machine that is a burst of ECONNRESETs, each counted as a 503
   * (UF) of the version that socket reached: the likeliest source of the bursts of primary 5xx
   * beyond its injected 0.3% that made one loaded judge e2e run pass a doubled canary.
   */
  private readonly agent = new Agent({ keepAlive: true, timeout: IDLE_SOCKET_TIMEOUT_MS });
  private readonly inFlight = new Set<ClientRequest>();
  private readonly load: MeshLoadStats = { sent: 0, inFlight: 0, dropped: 0, lagged: 0 };
  private readonly waiters = new Set<() => void>();
  private readonly follower: RouteFollower;
  private requestsPerSecond: number;
  private timer: NodeJS.Timeout | undefined;
  private rateStartMs = 0;
  private scheduled = 0;
  private running = false;

  /** Validates the options; throws {@link MeshConfigError} naming the bad field. */
  constructor(private readonly o: MeshOptions) {
    if (typeof o.namespace !== 'string' || o.namespace === '')
      throw new MeshConfigError('namespace: required');
    this.follower = followerOf(o);
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

  /** Follows the routes and starts sending. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.follower.start(() => {
      for (const wake of [...this.waiters]) wake();
    });
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
    this.follower.stop();
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

  /** The routing objects the mesh routes by (the follower's `state`), undefined before they exist. */
  get routes(): unknown {
    return this.follower.state;
  }

  /**
   * Resolves once the followed routes satisfy `accept` (default: exist); rejects after `timeoutMs`.
   * `S` is the follower's state type (e.g. `VirtualServiceSpec` for Istio).
   */
  waitForRoutes<S = unknown>(accept: (state: S) => boolean = () => true, timeoutMs = 10_000): Promise<S> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const state = this.follower.state as S | undefined;
        if (state !== undefined && accept(state)) {
          done();
          resolve(state);
        } else if (!this.running) {
          done();
          reject(new Error(`mesh stopped while waiting for ${this.follower.description}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(
          new Error(
            `${this.follower.description} not as expected within ${timeoutMs}ms; last seen: ${JSON.stringify(this.follower.state)}`,
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
    const base: RequestBase = {
      userClass: userClass.name,
      routedAtMs,
      resourceVersion: this.follower.version,
    };
    this.load.sent += 1;
    const request: RouteRequest = {
      headers: userClass.headers,
      path: this.o.path ?? '/',
      query: userClass.query,
      method: 'GET',
    };
    const decision = this.follower.route(request, this.random);
    if (!decision) {
      this.record.unrouted(userClass.name);
      this.o.onRequest?.({ ...base, outcome: 'unrouted', mirrored: false });
      return;
    }
    const key = decision.destination;
    const target = this.resolver.resolve(key);
    if (!target) {
      this.record.unmapped(userClass.name);
      this.o.onRequest?.({ ...base, outcome: 'unmapped', destination: key, mirrored: false });
      return;
    }
    const mirrorTarget = decision.mirror ? this.resolver.resolve(decision.mirror) : undefined;
    if (this.inFlight.size >= this.maxInFlight) {
      this.load.dropped += 1;
      return;
    }
    this.send(target, decision, key, userClass, false, base);
    if (decision.mirror && mirrorTarget && this.inFlight.size < this.maxInFlight) {
      this.send(mirrorTarget, decision, decision.mirror, userClass, true, base);
    }
  }

  private send(
    target: ResolvedTarget,
    decision: RouteDecision,
    key: string,
    userClass: UserClass,
    mirrored: boolean,
    base: RequestBase,
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
        namespace: this.o.namespace,
        destinationWorkload: target.workload,
        destinationPod: target.pod,
        destinationService: service,
        destinationPort: this.o.servicePort ?? 9898,
        method: 'GET',
        path: this.o.path ?? '/',
        ...(decision.ingress !== undefined ? { ingress: decision.ingress } : {}),
        ...(decision.canaryUpstream !== undefined && !mirrored
          ? { canaryUpstream: decision.canaryUpstream }
          : {}),
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
    const query = new URLSearchParams(userClass.query).toString();
    const req = httpRequest(
      `${target.url}${this.o.path ?? '/'}${query ? `?${query}` : ''}`,
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
