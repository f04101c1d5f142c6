/**
 * What the harness mesh asks of a router's stand-in: follow the objects Fledge's router writes
 * (through `cluster.watch`, so a change applies to the next request) and say where one request goes,
 * the way that provider's data plane would. One file per provider (`istio.ts`, `linkerd.ts`,
 * `gatewayapi.ts`, `nginx.ts`, `kubernetes.ts`); `../providers.ts` picks one.
 */
import type { Cluster, KubeObject, Unsubscribe } from '../../../../src/kube/cluster.js';

/** One request as a router sees it. Header names are lower case. */
export interface RouteRequest {
  headers: Record<string, string>;
  /** Path without the query, e.g. `/`. */
  path: string;
  query: Record<string, string>;
  method: string;
}

/** Where one request goes. */
export interface RouteDecision {
  /** Destination key: a service (`podinfo-canary`) or a service and subset (`podinfo/canary`). */
  destination: string;
  /** Destination key of a mirrored copy (its answer is dropped), when one is sent. */
  mirror?: string;
  /** NGINX: the Ingress whose location served the request (the `ingress` metric label). */
  ingress?: string;
  /** NGINX: the canary upstream (`<namespace>-<service>-<port>`) when the canary Ingress took it. */
  canaryUpstream?: string;
}

/** A provider's routing, followed from the cluster. */
export interface RouteFollower {
  /** What is followed, for messages, e.g. `TrafficSplit test/podinfo`. */
  readonly description: string;
  /** Starts following; `onChange` is called after every change of the followed objects. */
  start(onChange: () => void): void;
  /** Stops following. Safe to call twice. */
  stop(): void;
  /** The routing objects as last seen (undefined before they exist), for assertions and messages. */
  readonly state: unknown;
  /** The `resourceVersion`s of the followed objects, joined with `,` (undefined before any exists). */
  readonly version: string | undefined;
  /** Where `request` goes, with `random` in [0, 1) for weights; undefined when no route takes it. */
  route(request: RouteRequest, random: () => number): RouteDecision | undefined;
}

/** A provider's routing object that the follower cannot read (a bad weight, no backend). */
export class RouteFollowerError extends Error {
  override name = 'RouteFollowerError';
}

/** Objects of one kind in one namespace, by name, kept current through a watch. */
export class WatchedObjects<T extends KubeObject> {
  private readonly objects = new Map<string, T>();
  private unwatch: Unsubscribe | undefined;

  constructor(
    private readonly cluster: Cluster,
    private readonly kind: { apiVersion: string; kind: string },
    private readonly namespace: string,
    private readonly names: readonly string[],
  ) {}

  /** Starts the watch; `onChange` runs after each event about one of `names`. */
  start(onChange: () => void): void {
    if (this.unwatch) return;
    this.unwatch = this.cluster.watch<T>({ ...this.kind, namespace: this.namespace }, (event) => {
      const name = event.object.metadata.name;
      if (!this.names.includes(name)) return;
      if (event.type === 'DELETED') this.objects.delete(name);
      else this.objects.set(name, event.object);
      onChange();
    });
  }

  stop(): void {
    this.unwatch?.();
    this.unwatch = undefined;
    this.objects.clear();
  }

  get(name: string): T | undefined {
    return this.objects.get(name);
  }

  /** The `resourceVersion`s of the objects seen, in the order of `names`; undefined when none. */
  version(): string | undefined {
    const versions = this.names.flatMap((n) => {
      const object = this.objects.get(n);
      return object ? [`${n}@${object.metadata.resourceVersion ?? ''}`] : [];
    });
    return versions.length > 0 ? versions.join(',') : undefined;
  }
}

/** One of `choices` picked in proportion to its weight; undefined when every weight is 0. */
export function pickWeighted<T>(
  choices: readonly { weight: number; value: T }[],
  random: number,
): T | undefined {
  const total = choices.reduce((sum, c) => sum + c.weight, 0);
  if (!(total > 0)) return undefined;
  let pick = random * total;
  for (const c of choices) {
    if (c.weight <= 0) continue;
    pick -= c.weight;
    if (pick < 0) return c.value;
  }
  return [...choices].reverse().find((c) => c.weight > 0)?.value;
}

/** The value of cookie `name` in a request's `cookie` header. */
export function cookieValue(headers: Record<string, string>, name: string): string | undefined {
  for (const part of (headers['cookie'] ?? '').split(';')) {
    const at = part.indexOf('=');
    if (at > 0 && part.slice(0, at).trim() === name) return part.slice(at + 1).trim();
  }
  return undefined;
}

/** A regular expression that must match the whole value (RE2 as Envoy uses it), compiled once. */
export function fullMatch(pattern: string): RegExp {
  return new RegExp(`^(?:${pattern})$`);
}

/**
 * A follower of one object (VirtualService, TrafficSplit, HTTPRoute, Service): its state is the
 * object's `spec` (`{}` when it has none), or what {@link SingleObjectFollower.stateOf} takes from it.
 */
export abstract class SingleObjectFollower<
  T extends KubeObject & { spec?: unknown },
  S,
> implements RouteFollower {
  readonly description: string;
  private readonly watched: WatchedObjects<T>;

  constructor(
    cluster: Cluster,
    kind: { apiVersion: string; kind: string },
    namespace: string,
    private readonly name: string,
  ) {
    this.description = `${kind.kind} ${namespace}/${name}`;
    this.watched = new WatchedObjects(cluster, kind, namespace, [name]);
  }

  start(onChange: () => void): void {
    this.watched.start(onChange);
  }

  stop(): void {
    this.watched.stop();
  }

  /** The followed object's state, undefined before it exists. */
  get state(): S | undefined {
    const object = this.watched.get(this.name);
    return object ? this.stateOf(object) : undefined;
  }

  get version(): string | undefined {
    return this.watched.get(this.name)?.metadata.resourceVersion;
  }

  /** What routing reads of the object (default: its spec). */
  protected stateOf(object: T): S {
    return (object.spec ?? {}) as S;
  }

  abstract route(request: RouteRequest, random: () => number): RouteDecision | undefined;
}
