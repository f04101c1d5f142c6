/**
 * What an e2e scenario needs to know of each router provider: which object Fledge's router writes
 * for the canary `podinfo`, how to read the split it says (`primary/canary` in percent, the form
 * the scenarios record), the harness settings that follow it, and the Canary fields the provider
 * requires. The split is read from what reached the API server, as the data plane would read it.
 */
import type { Canary } from '../../../src/api/schema/canary.js';
import type { KubeObject } from '../../../src/kube/cluster.js';
import { API } from '../../../src/kube/resources.js';
import type { HarnessProvider } from '../harness/providers.js';
import type { TrafficHarnessOptions } from '../harness/traffic-harness.js';
import { ingressTo } from '../../unit/routers/fixtures.js';

/** Providers the e2e scenarios run with (the `spec.provider` written in the Canary). */
export type ScenarioProvider = 'istio' | 'linkerd' | 'gatewayapi:v1' | 'nginx' | 'kubernetes';

/** The apex service, target Deployment and (for NGINX) user's Ingress of every scenario. */
export const APP = 'podinfo';
const PRIMARY_SERVICE = `${APP}-primary`;
const CANARY_SERVICE = `${APP}-canary`;
const NGINX_PREFIX = 'nginx.ingress.kubernetes.io';

/** The object carrying a provider's split and how to read it. */
export interface ProviderRoutes {
  kind: { apiVersion: string; kind: string };
  name: string;
  /** The split as `primary/canary`, e.g. `90/10`. */
  split(object: KubeObject & { spec?: unknown }): string;
}

interface Weighted {
  weight?: number | string;
}

const percent = (w: number | string | undefined): number => Number(w ?? 0);

/** `primary/canary` of the weighted entries named by `nameOf`, in Fledge's writing order. */
function splitOf<T extends Weighted>(entries: readonly T[], nameOf: (e: T) => string | undefined): string {
  const weightOf = (name: string) => percent(entries.find((e) => nameOf(e) === name)?.weight);
  return `${weightOf(PRIMARY_SERVICE)}/${weightOf(CANARY_SERVICE)}`;
}

const ROUTES: Record<ScenarioProvider, ProviderRoutes> = {
  istio: {
    kind: API.virtualService,
    name: APP,
    split: (o) => {
      const spec = o.spec as { http?: { route?: Weighted[] }[] } | undefined;
      return (spec?.http?.[0]?.route ?? []).map((r) => percent(r.weight)).join('/');
    },
  },
  // The `linkerd` provider writes SMI v1alpha1, with weights as quantity strings (`"90"`).
  linkerd: {
    kind: { apiVersion: 'split.smi-spec.io/v1alpha1', kind: 'TrafficSplit' },
    name: APP,
    split: (o) => {
      const spec = o.spec as { backends?: (Weighted & { service?: string })[] } | undefined;
      return splitOf(spec?.backends ?? [], (b) => b.service);
    },
  },
  // The weighted rule is the first one (A/B keeps the primary's rule second).
  'gatewayapi:v1': {
    kind: API.httpRoute,
    name: APP,
    split: (o) => {
      const spec = o.spec as { rules?: { backendRefs?: (Weighted & { name?: string })[] }[] } | undefined;
      return splitOf(spec?.rules?.[0]?.backendRefs ?? [], (b) => b.name);
    },
  },
  // An off canary Ingress (`canary: "false"`) sends nothing to the canary, whatever its weight says;
  // an on one with a header or cookie annotation (A/B) sends the matched requests there, written
  // `0/100` as the router reads it back.
  nginx: {
    kind: API.ingress,
    name: `${APP}-canary`,
    split: (o) => {
      const annotations = o.metadata.annotations ?? {};
      if (annotations[`${NGINX_PREFIX}/canary`] !== 'true') return '100/0';
      const matches = ['canary-by-header', 'canary-by-cookie'].some(
        (a) => annotations[`${NGINX_PREFIX}/${a}`] !== undefined,
      );
      if (matches) return '0/100';
      const weight = percent(annotations[`${NGINX_PREFIX}/canary-weight`]);
      return `${100 - weight}/${weight}`;
    },
  },
  // No split: the apex Service selects one version's pods, all traffic goes there.
  kubernetes: {
    kind: API.service,
    name: APP,
    split: (o) => {
      const app = (o.spec as { selector?: Record<string, string> } | undefined)?.selector?.['app'];
      if (app === PRIMARY_SERVICE) return '100/0';
      if (app === APP) return '0/100';
      return `selector app=${app ?? '<none>'}`;
    },
  },
};

/** The routing object of `provider` and how to read its split. */
export function providerRoutes(provider: ScenarioProvider): ProviderRoutes {
  return ROUTES[provider];
}

/** The harness settings that play `provider`'s data plane. */
export function harnessRouting(
  provider: ScenarioProvider,
): Pick<TrafficHarnessOptions, 'provider' | 'routing'> {
  const harness: HarnessProvider = provider === 'gatewayapi:v1' ? 'gatewayapi' : provider;
  if (provider === 'linkerd')
    return { provider: harness, routing: { trafficSplitApiVersion: 'split.smi-spec.io/v1alpha1' } };
  if (provider === 'nginx') return { provider: harness, routing: { ingress: APP } };
  return { provider: harness };
}

/** The Canary spec fields `provider` requires beyond the common ones. */
export function providerSpec(provider: ScenarioProvider): Partial<Canary['spec']> {
  if (provider === 'nginx') {
    return { ingressRef: { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', name: APP } };
  }
  if (provider === 'gatewayapi:v1') {
    return { service: { port: 9898, gatewayRefs: [{ name: 'gateway', namespace: 'istio-ingress' }] } };
  }
  return {};
}

/** Objects the user owns before the Canary exists: NGINX's Ingress, which Fledge reads and copies. */
export function userRoutingObjects(provider: ScenarioProvider, namespace: string): KubeObject[] {
  if (provider !== 'nginx') return [];
  const ingress = ingressTo(namespace, APP, APP, 9898);
  const withClass: KubeObject & { spec?: unknown } = {
    ...ingress,
    spec: { ...ingress.spec, ingressClassName: 'nginx' },
  };
  return [withClass];
}
