/**
 * The reads of `fledge doctor`: everything the checks look at, read once through the cluster port
 * (and, for the split, through the canary's own router). Nothing here decides; an object that
 * cannot be read is noted, so a cluster without Istio's CRDs still gets the other checks.
 */
import type { ResolvedCanary } from '../../../api/defaults.js';
import type { AlertProvider } from '../../../api/schema/alert-provider.js';
import { routesFor } from '../../../controller/weights.js';
import type { Cluster, KubeObject } from '../../../kube/cluster.js';
import { API, objectKey, type Deployment, type Secret } from '../../../kube/resources.js';
import { providerSecretFromData } from '../../../notifiers/factory.js';
import { createRouter } from '../../../routers/factory.js';
import type { DestinationRule, VirtualService } from '../../../routers/istio-objects.js';
import type { AlertProviderAddress } from './endpoints.js';
import type { Namespace, Pod } from './finding.js';
import type { PeerAuthentication } from './mtls.js';
import { observeEntryPoints, type Attempt, type EntryPointObservations } from './observe-entry-points.js';
import { gatewayRefs, type RoutingInput } from './routing.js';
import type { WorkloadPods } from './sidecars.js';

/** Kinds only doctor reads. */
export const DOCTOR_API = {
  namespace: { apiVersion: 'v1', kind: 'Namespace' },
  pod: { apiVersion: 'v1', kind: 'Pod' },
  peerAuthentication: { apiVersion: 'security.istio.io/v1', kind: 'PeerAuthentication' },
  gateway: { apiVersion: 'networking.istio.io/v1', kind: 'Gateway' },
} as const;

/** What the checks of one canary look at. */
export interface Observations {
  namespace: Namespace | undefined;
  workloads: WorkloadPods[];
  pods: Pod[];
  peerAuthentications: PeerAuthentication[];
  routing: RoutingInput;
  /** Gateway API and NGINX canaries: what their traffic enters through. */
  entryPoints: EntryPointObservations;
  alertProviders: AlertProviderAddress[];
  /** Reads that failed: what, and why. */
  unreadable: { object: string; reason: string }[];
}

export interface ObserveOptions {
  /** Istio's root namespace (mesh-wide PeerAuthentication), `istio-system` by default. */
  istioRootNamespace: string;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Reads everything the checks of `canary` look at. */
export async function observe(
  cluster: Cluster,
  canary: ResolvedCanary,
  options: ObserveOptions,
): Promise<Observations> {
  const unreadable: Observations['unreadable'] = [];
  const attempt: Attempt = async <T>(what: string, read: () => Promise<T>, fallback: T): Promise<T> => {
    try {
      return await read();
    } catch (error) {
      unreadable.push({ object: what, reason: messageOf(error) });
      return fallback;
    }
  };
  const ns = canary.namespace;
  const istio = canary.provider === 'istio';
  const namespace = await attempt(
    `Namespace ${ns}`,
    () => cluster.getFull<Namespace>({ ...DOCTOR_API.namespace, namespace: '', name: ns }),
    undefined,
  );
  const pods = await attempt(
    `Pods in ${ns}`,
    () => cluster.list<Pod>({ ...DOCTOR_API.pod, namespace: ns }),
    [],
  );
  const workloads: WorkloadPods[] = [];
  for (const [role, name] of [
    ['primary', canary.names.primaryWorkload],
    ['canary', canary.names.target],
  ] as const) {
    const deployment = await attempt(
      `Deployment ${ns}/${name}`,
      () => cluster.get<Deployment>(objectKey(API.deployment, ns, name)),
      undefined,
    );
    const selector = deployment?.spec.selector.matchLabels;
    const own = selector
      ? pods.filter((p) => Object.entries(selector).every(([k, v]) => p.metadata.labels?.[k] === v))
      : [];
    workloads.push({ role, deployment, pods: own });
  }

  const peerAuthentications = istio
    ? (
        await Promise.all(
          [...new Set([options.istioRootNamespace, ns])].map((n) =>
            attempt(
              `PeerAuthentications in ${n}`,
              () => cluster.list<PeerAuthentication>({ ...DOCTOR_API.peerAuthentication, namespace: n }),
              [],
            ),
          ),
        )
      ).flat()
    : [];

  const virtualService = istio
    ? await attempt(
        `VirtualService ${ns}/${canary.names.apex}`,
        () => cluster.get<VirtualService>(objectKey(API.virtualService, ns, canary.names.apex)),
        undefined,
      )
    : undefined;
  let virtualServices: VirtualService[] = [];
  if (istio) {
    try {
      virtualServices = await cluster.list<VirtualService>({ ...API.virtualService });
    } catch {
      // Without the right to list every namespace, the canary's own namespace still tells a lot.
      virtualServices = await attempt(
        `VirtualServices in ${ns}`,
        () => cluster.list<VirtualService>({ ...API.virtualService, namespace: ns }),
        [],
      );
    }
  }
  const ruleNames = [canary.names.apex, canary.names.primaryService, canary.names.canaryService];
  const destinationRules = istio
    ? (
        await Promise.all(
          ruleNames.map((name) =>
            attempt(
              `DestinationRule ${ns}/${name}`,
              () => cluster.get<DestinationRule>(objectKey(API.destinationRule, ns, name)),
              undefined,
            ),
          ),
        )
      ).filter((dr): dr is DestinationRule => dr !== undefined)
    : [];
  const existingGateways = new Set<string>();
  for (const ref of virtualService ? gatewayRefs(virtualService) : []) {
    if (ref === 'mesh') continue;
    const [gwNs, gwName] = ref.split('/') as [string, string];
    const gateway = await attempt(
      `Gateway ${ref}`,
      () => cluster.get<KubeObject>(objectKey(DOCTOR_API.gateway, gwNs, gwName)),
      undefined,
    );
    if (gateway) existingGateways.add(ref);
  }

  const entryPoints = await observeEntryPoints(cluster, canary, attempt);

  const status = canary.object.status ?? {};
  const router = createRouter(canary.provider, { cluster });
  let current: RoutingInput['current'];
  try {
    current = { routes: await router.getRoutes(canary) };
  } catch (error) {
    current = { error: messageOf(error) };
  }

  const alertProviders: AlertProviderAddress[] = [];
  for (const ref of canary.analysis.alerts) {
    const pNs = ref.providerRef.namespace ?? ns;
    const name = `${pNs}/${ref.providerRef.name}`;
    if (alertProviders.some((p) => p.name === name)) continue;
    const provider = await attempt(
      `AlertProvider ${name}`,
      () => cluster.get<AlertProvider>(objectKey(API.alertProvider, pNs, ref.providerRef.name)),
      undefined,
    );
    const secretName = provider?.spec.secretRef?.name;
    const secret = secretName
      ? await attempt(
          `Secret ${pNs}/${secretName}`,
          () => cluster.getFull<Secret>(objectKey(API.secret, pNs, secretName)),
          undefined,
        )
      : undefined;
    const secretAddress = secret ? providerSecretFromData(secret.data, secret.stringData).address : undefined;
    alertProviders.push({ name, provider, secretAddress });
  }

  return {
    namespace,
    workloads,
    pods,
    peerAuthentications,
    routing: {
      canary,
      status,
      intended: routesFor(canary, status),
      current,
      routerObject: routerObjectOf(canary),
      virtualService,
      virtualServices,
      destinationRules,
      pods,
      existingGateways,
    },
    entryPoints,
    alertProviders,
    unreadable,
  };
}

/** The object the router keeps the split in, for findings. */
function routerObjectOf(canary: ResolvedCanary): string {
  const ns = canary.namespace;
  switch (canary.provider) {
    case 'istio':
      return `VirtualService ${ns}/${canary.names.apex}`;
    case 'nginx':
      return `Ingress ${ns}/${canary.spec.ingressRef?.name ?? canary.names.target}-canary`;
    case 'kubernetes':
      return `Service ${ns}/${canary.names.apex}`;
    default:
      return canary.provider.startsWith('gatewayapi')
        ? `HTTPRoute ${ns}/${canary.names.apex}`
        : `TrafficSplit ${ns}/${canary.names.apex}`;
  }
}
