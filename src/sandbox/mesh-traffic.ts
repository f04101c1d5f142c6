/**
 * Simulated user traffic for the sandbox. Requests are routed by the objects the provider's router
 * wrote (a VirtualService, SMI TrafficSplit, HTTPRoute, canary Ingress or apex Service, read from
 * the in-memory cluster; `route-followers.ts`), and each version answers according to the behaviour
 * the demo gives its image. It implements the analysis's `TrafficSource`, so the builtin metrics the
 * controller reads are measured on traffic that really followed Fledge's routes.
 */
import type {
  CountSample,
  TrafficSample,
  TrafficSource,
  VersionCountSample,
} from '../../analysis/providers/simulated.js';
import { createRandom, slowShare } from '../../analysis/providers/simulated.js';
import type { Cluster, Unsubscribe } from '../kube/cluster.js';
import { API, type Deployment } from '../kube/resources.js';
import { followRoutes, type FollowedRoutes, type SandboxProvider } from './route-followers.js';
import { routeRequest } from './virtual-service-routing.js';

/** How one container image behaves. */
export interface VersionBehaviour {
  errorRatePercent: number;
  p99LatencyMs: number;
}

/** Where the last simulated requests of one kind of user went. */
export interface ClassSplit {
  requests: number;
  toCanary: number;
}

export interface MeshTrafficOptions {
  cluster: Cluster;
  /** Behaviour by container image; an unknown image answers like a healthy one. */
  versions: Record<string, VersionBehaviour>;
  requestsPerSecond: number;
  /** Request rates of namespaces busier than `requestsPerSecond` (the judge's story needs many requests). */
  requestsPerSecondIn?: Readonly<Record<string, number>> | undefined;
  /** Share of requests sent with `user-type: premium`, 0 to 1. */
  premiumShare: number;
  /** Whose objects route the requests (default istio). */
  provider?: SandboxProvider;
  seed?: number;
}

const HEALTHY: VersionBehaviour = { errorRatePercent: 0, p99LatencyMs: 100 };

/** Requests actually simulated per sample; larger intervals are scaled up from these. */
const MAX_SIMULATED_REQUESTS = 40_000;

/**
 * Requests simulated per count sample of the judge: more than for a rate, since the judge's
 * evidence grows with the counts, and scaling counts up would fake evidence it never saw.
 */
const MAX_COUNTED_REQUESTS = 50_000;

/**
 * With the `kubernetes` provider users never reach the version under analysis (blue/green without
 * a split), so, as in Flagger's tutorial, a load tester sends requests straight to the canary
 * Service: this share of the user rate.
 */
const LOAD_TEST_SHARE = 0.25;

export class MeshTraffic implements TrafficSource {
  private readonly services = new Map<string, FollowedRoutes>();
  private readonly images = new Map<string, string>();
  private readonly splits = new Map<string, { premium: ClassSplit; other: ClassSplit }>();
  private readonly totals = new Map<string, { premium: ClassSplit; other: ClassSplit }>();
  private readonly random: () => number;
  private readonly unsubscribes: Unsubscribe[] = [];

  constructor(private readonly o: MeshTrafficOptions) {
    this.random = createRandom(o.seed ?? 7);
  }

  /** Starts following the provider's routing objects and the Deployments. */
  start(): void {
    this.unsubscribes.push(
      followRoutes(
        this.o.cluster,
        this.provider,
        (key, routes) => this.services.set(key, routes),
        (key) => this.services.delete(key),
      ),
      this.o.cluster.watch<Deployment>({ ...API.deployment }, (e) => {
        const key = `${e.object.metadata.namespace}/${e.object.metadata.name}`;
        const image = e.object.spec.template.spec.containers[0]?.image;
        if (e.type === 'DELETED' || !image) this.images.delete(key);
        else this.images.set(key, image);
      }),
    );
  }

  private get provider(): SandboxProvider {
    return this.o.provider ?? 'istio';
  }

  /** What the routing object of `namespace/apex` says now, e.g. `HTTPRoute podinfo: ...`. */
  routesOf(namespace: string, apex: string): string | undefined {
    return this.services.get(`${namespace}/${apex}`)?.description;
  }

  stop(): void {
    for (const u of this.unsubscribes.splice(0)) u();
  }

  /** Where premium and other users' requests went, summed over every sample of `namespace/workload`. */
  totalSplit(namespace: string, workload: string): { premium: ClassSplit; other: ClassSplit } | undefined {
    return this.totals.get(`${namespace}/${workload}`);
  }

  /** Where premium and other users' requests went in the last sample of `namespace/workload`. */
  lastSplit(namespace: string, workload: string): { premium: ClassSplit; other: ClassSplit } | undefined {
    return this.splits.get(`${namespace}/${workload}`);
  }

  private rateIn(namespace: string): number {
    return this.o.requestsPerSecondIn?.[namespace] ?? this.o.requestsPerSecond;
  }

  private behaviourOf(namespace: string, workload: string): VersionBehaviour {
    return this.o.versions[this.images.get(`${namespace}/${workload}`) ?? ''] ?? HEALTHY;
  }

  /**
   * The judge's counts of one interval: requests routed by the provider's objects to the canary
   * `target` or its primary, each answering with the behaviour of the image it runs (5xx by its
   * error rate, slower than `edgeMs` by its p99, see `slowShare`).
   */
  counts(namespace: string, target: string, intervalMs: number, edgeMs: number | undefined): CountSample {
    const spec = this.services.get(`${namespace}/${target}`)?.spec;
    const offered = Math.max(0, Math.round((this.rateIn(namespace) * intervalMs) / 1000));
    const total = Math.min(offered, MAX_COUNTED_REQUESTS);
    const versions = {
      canary: { behaviour: this.behaviourOf(namespace, target), requests: 0, errors: 0, slow: 0 },
      primary: {
        behaviour: this.behaviourOf(namespace, `${target}-primary`),
        requests: 0,
        errors: 0,
        slow: 0,
      },
    };
    const serve = (v: (typeof versions)['canary']) => {
      v.requests += 1;
      if (this.random() * 100 < v.behaviour.errorRatePercent) v.errors += 1;
      if (edgeMs !== undefined && this.random() < slowShare(v.behaviour.p99LatencyMs, edgeMs)) v.slow += 1;
    };
    for (let i = 0; i < total && spec; i++) {
      const headers: Record<string, string> =
        this.random() < this.o.premiumShare ? { 'user-type': 'premium' } : {};
      const destination = routeRequest(spec, { headers }, this.random());
      const toCanary = destination?.host.endsWith('-canary') || destination?.subset === 'canary';
      serve(toCanary ? versions.canary : versions.primary);
    }
    if (this.provider === 'kubernetes' && spec) {
      for (let i = 0; i < Math.round(total * LOAD_TEST_SHARE); i++) serve(versions.canary);
    }
    const scale = total === 0 ? 1 : offered / total;
    const counted = (v: (typeof versions)['canary']): VersionCountSample => ({
      requests: Math.round(v.requests * scale),
      errors: Math.round(v.errors * scale),
      ...(edgeMs !== undefined ? { withinEdge: Math.round((v.requests - v.slow) * scale) } : {}),
    });
    return { canary: counted(versions.canary), primary: counted(versions.primary) };
  }

  /** The canary workload's traffic over the last interval (the apex VirtualService is named after it). */
  sample(namespace: string, workload: string, intervalMs: number): TrafficSample {
    const spec = this.services.get(`${namespace}/${workload}`)?.spec;
    const behaviour = this.behaviourOf(namespace, workload);
    const offered = Math.max(1, Math.round((this.rateIn(namespace) * intervalMs) / 1000));
    const total = Math.min(offered, MAX_SIMULATED_REQUESTS);
    const scale = offered / total;
    const split = { premium: { requests: 0, toCanary: 0 }, other: { requests: 0, toCanary: 0 } };
    let requests = 0;
    let errors = 0;
    for (let i = 0; i < total && spec; i++) {
      const premium = this.random() < this.o.premiumShare;
      const headers: Record<string, string> = premium ? { 'user-type': 'premium' } : {};
      const destination = routeRequest(spec, { headers }, this.random());
      const toCanary = destination?.host.endsWith('-canary') || destination?.subset === 'canary';
      const bucket = premium ? split.premium : split.other;
      bucket.requests += 1;
      if (!toCanary) continue;
      bucket.toCanary += 1;
      requests += 1;
      if (this.random() * 100 < behaviour.errorRatePercent) errors += 1;
    }
    if (this.provider === 'kubernetes') {
      // The load tester's requests, straight to the canary Service (not a class of users).
      const loadTest = Math.round(total * LOAD_TEST_SHARE);
      for (let i = 0; i < loadTest; i++) {
        requests += 1;
        if (this.random() * 100 < behaviour.errorRatePercent) errors += 1;
      }
    }
    const key = `${namespace}/${workload}`;
    this.splits.set(key, split);
    const sum = this.totals.get(key) ?? {
      premium: { requests: 0, toCanary: 0 },
      other: { requests: 0, toCanary: 0 },
    };
    for (const k of ['premium', 'other'] as const) {
      sum[k].requests += split[k].requests;
      sum[k].toCanary += split[k].toCanary;
    }
    this.totals.set(key, sum);
    const jitter = 1 + (this.random() - 0.5) * 0.1;
    return {
      requests: Math.round(requests * scale),
      successRatePercent: requests === 0 ? 0 : (100 * (requests - errors)) / requests,
      p99LatencyMs: Math.round(behaviour.p99LatencyMs * jitter),
    };
  }
}
