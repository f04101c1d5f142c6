/**
 * The Kubernetes router (`provider: kubernetes`): blue/green without a mesh, as Flagger's
 * `kubernetes_default.go`. There is no traffic split: the apex and `<apex>-primary` Services select
 * the primary's pods and `<apex>-canary` selects the target's (all three are written by the workloads,
 * `workloads/deployment-controller.ts`), the analysis (webhooks, load tests, metrics) runs against
 * the canary Service, and promotion copies the target's spec to the primary. So this router owns no
 * object: it reports all traffic on the primary and writes nothing.
 *
 * Only blue/green (`analysis.iterations` without `analysis.match`) makes sense here. Validation
 * refuses the other strategies for `spec.provider: kubernetes`; {@link KubernetesRouter.checkOwnership}
 * refuses them too, before anything is written, for a Canary that gets the provider from the
 * controller's `--mesh-provider` flag.
 */
import type { ResolvedCanary } from '../api/defaults.js';
import type { Cluster } from '../kube/cluster.js';
import { RouterError, type RouteTargets, type Router, type Routes } from './router.js';

export interface KubernetesRouterOptions {
  /** Unused (the Services are the workloads'), taken for the same shape as every router. */
  cluster: Cluster;
}

/** All traffic on the primary: the only split Services without a mesh carry. */
export const KUBERNETES_ROUTES: Readonly<Routes> = Object.freeze({
  primary: 100,
  canary: 0,
  mirrored: false,
});

/** The strategy is one this provider cannot run. */
export class UnsupportedStrategyError extends RouterError {
  override name = 'UnsupportedStrategyError';
}

/** {@link Router} for `provider: kubernetes`: Services only, no traffic split. */
export class KubernetesRouter implements Router {
  constructor(options: KubernetesRouterOptions) {
    if (!options?.cluster) throw new RouterError('KubernetesRouter: options.cluster is required');
  }

  /** Nothing to write; refuses a strategy that needs a split (see {@link checkStrategy}). */
  async reconcile(canary: ResolvedCanary, _targets: RouteTargets): Promise<void> {
    checkStrategy(canary);
  }

  /** No object is owned, so none can conflict; the strategy is checked before anything is written. */
  async checkOwnership(canary: ResolvedCanary): Promise<void> {
    checkStrategy(canary);
  }

  /** All traffic is on the primary: the apex Service selects it. */
  async getRoutes(_canary: ResolvedCanary): Promise<Routes> {
    return { ...KUBERNETES_ROUTES };
  }

  /**
   * Writes nothing. A split other than all-primary cannot be carried: it is refused rather than
   * silently dropped (the state machine never asks for one with this provider).
   */
  async setRoutes(canary: ResolvedCanary, routes: Routes): Promise<void> {
    if (routes.canary !== 0 || routes.mirrored) {
      throw new RouterError(
        `Canary ${canary.namespace}/${canary.name}: provider kubernetes cannot route ${routes.canary}% of traffic to the canary${routes.mirrored ? ' or mirror it' : ''}; only blue/green (analysis.iterations) runs with it`,
      );
    }
  }

  /** Nothing to restore: the workloads put the apex selector back. */
  async finalize(_canary: ResolvedCanary): Promise<void> {}
}

/**
 * Refuses the canary (stepWeight/stepWeights) and A/B (analysis.match) strategies: with no split,
 * weights would advance while no request moves, and matches would route nothing. Flagger warns and
 * runs blue/green instead (with 10 iterations when none are set); Fledge refuses, as `fledge
 * validate` does, so the Canary's meaning is not changed behind the user's back.
 */
function checkStrategy(canary: ResolvedCanary): void {
  const ref = `Canary ${canary.namespace}/${canary.name}`;
  if (canary.analysis.strategy === 'ab-testing') {
    throw new UnsupportedStrategyError(
      `${ref}: spec.analysis.match (A/B testing) is not supported with provider kubernetes, which cannot route by header or cookie; remove it to run blue/green`,
    );
  }
  if (canary.analysis.strategy === 'canary') {
    throw new UnsupportedStrategyError(
      `${ref}: spec.analysis.iterations is required with provider kubernetes: it has no traffic split, so stepWeight/stepWeights (progressive traffic) cannot run; use blue/green`,
    );
  }
}
