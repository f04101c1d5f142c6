/**
 * Kubernetes (blue/green, no traffic split): the apex Service's `spec.selector` decides whose pods
 * answer. Each destination stands for a version's pods with their labels (Flagger's primary pods
 * carry `app: <target>-primary`, the target's `app: <target>`); the Service load-balances over every
 * version whose labels its selector matches, evenly, as kube-proxy does over the endpoints of
 * equally sized versions. A Service without a selector, or one matching no version, routes nothing.
 */
import type { Cluster } from '../../../../src/kube/cluster.js';
import { API, type Service } from '../../../../src/kube/resources.js';
import { RouteFollowerError, SingleObjectFollower, type RouteDecision } from './follower.js';

/** Pod labels by destination key, e.g. `{ 'podinfo-primary': { app: 'podinfo-primary' } }`. */
export type PodLabels = Record<string, Record<string, string>>;

/** Follows one Service; its state is the Service's selector (`{}` for none). */
export class KubernetesFollower extends SingleObjectFollower<Service, Record<string, string>> {
  constructor(
    cluster: Cluster,
    namespace: string,
    service: string,
    private readonly podLabels: PodLabels,
  ) {
    if (Object.keys(podLabels).length === 0)
      throw new RouteFollowerError('podLabels: at least one version is needed');
    for (const [key, labels] of Object.entries(podLabels)) {
      if (Object.keys(labels).length === 0)
        throw new RouteFollowerError(`podLabels["${key}"]: expected labels`);
    }
    super(cluster, API.service, namespace, service);
  }

  protected override stateOf(service: Service): Record<string, string> {
    return service.spec?.selector ?? {};
  }

  /** The destinations whose pods the selector matches. */
  selected(): string[] {
    const selector = Object.entries(this.state ?? {});
    if (selector.length === 0) return [];
    return Object.entries(this.podLabels)
      .filter(([, labels]) => selector.every(([k, v]) => labels[k] === v))
      .map(([key]) => key);
  }

  route(_request: unknown, random: () => number): RouteDecision | undefined {
    const selected = this.selected();
    const destination = selected[Math.min(selected.length - 1, Math.floor(random() * selected.length))];
    return destination ? { destination } : undefined;
  }
}
