/**
 * The objects Flagger leaves behind for an Istio canary that has finished a rollout (phase
 * Succeeded), built the way Flagger builds them (`pkg/canary/deployment_controller.go`,
 * `pkg/router/kubernetes_default.go`, `pkg/router/istio.go`): the primary Deployment, the three
 * services, the VirtualService and the two DestinationRules, each with a controller owner reference
 * to Flagger's Canary; the target scaled to zero. Used to test the migration from Flagger.
 */
import type { KubeObject, OwnerReference } from '../../src/kube/cluster.js';
import { API, type Deployment, type Service } from '../../src/kube/resources.js';

/** Flagger's Canary kind. */
export const FLAGGER_CANARY = { apiVersion: 'flagger.app/v1beta1', kind: 'Canary' } as const;

/** Flagger puts this on what it generates so that Flux leaves it alone. */
const FLUX_RECONCILE_DISABLED = { 'kustomize.toolkit.fluxcd.io/reconcile': 'disabled' };

export interface FlaggerLeftoversOptions {
  namespace: string;
  /** Name of the target Deployment and of Flagger's Canary (and so of the apex service). */
  name: string;
  /** Flagger's Canary as stored (its uid is the owner of everything). */
  flaggerUid: string;
  image: string;
  port: number;
  /** Replicas of the primary (the target's replicas before Flagger scaled it to zero). */
  replicas?: number;
  /** The data of ConfigMap `<name>-config` the target reads through envFrom: Flagger's `-primary` copy of it. */
  config?: Record<string, string>;
}

/** The ConfigMap the target reads when `config` is given (the user's: no owner). */
export function userConfigMap(namespace: string, name: string, data: Record<string, string>): KubeObject {
  return { ...API.configMap, metadata: { name: `${name}-config`, namespace }, data } as KubeObject;
}

function envFrom(configMap: string | undefined): Record<string, unknown> {
  return configMap ? { envFrom: [{ configMapRef: { name: configMap } }] } : {};
}

/** Flagger's Canary for a Deployment, as a user applies it. */
export function flaggerCanaryManifest(namespace: string, name: string, port: number): KubeObject {
  return {
    ...FLAGGER_CANARY,
    metadata: { name, namespace },
    spec: {
      provider: 'istio',
      targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name },
      service: { port },
      analysis: { interval: '1m', threshold: 5, maxWeight: 50, stepWeight: 10 },
    },
  } as KubeObject;
}

/** The target Deployment as the user applied it, with the replicas Flagger left it at. */
export function targetDeployment(
  namespace: string,
  name: string,
  image: string,
  replicas: number,
  withConfig = false,
): Deployment {
  const labels = { app: name };
  const container = { name, image, ...envFrom(withConfig ? `${name}-config` : undefined) };
  return {
    ...API.deployment,
    metadata: { name, namespace, labels },
    spec: {
      replicas,
      selector: { matchLabels: labels },
      template: { metadata: { labels }, spec: { containers: [container] } },
    },
  };
}

/** Everything Flagger generated for the target, in the order Flagger creates it. */
export function flaggerLeftovers(o: FlaggerLeftoversOptions): KubeObject[] {
  const owner: OwnerReference = {
    ...FLAGGER_CANARY,
    name: o.name,
    uid: o.flaggerUid,
    controller: true,
    blockOwnerDeletion: true,
  };
  const meta = (name: string, labels?: Record<string, string>) => ({
    name,
    namespace: o.namespace,
    ...(labels ? { labels } : {}),
    annotations: { ...FLUX_RECONCILE_DISABLED },
    ownerReferences: [owner],
  });
  const primaryLabel = { app: `${o.name}-primary` };
  const primary: Deployment = {
    ...API.deployment,
    metadata: meta(`${o.name}-primary`, primaryLabel),
    spec: {
      replicas: o.replicas ?? 1,
      selector: { matchLabels: primaryLabel },
      template: {
        // Flagger marks every primary rollout with a random id; it records no revision.
        metadata: {
          labels: primaryLabel,
          annotations: { 'flagger-id': '2f0c56c4-4c52-4b7e-9f4b-8d1f5c3a7e10' },
        },
        // Flagger points the primary at its `-primary` copies of the configs.
        spec: {
          containers: [
            { name: o.name, image: o.image, ...envFrom(o.config ? `${o.name}-config-primary` : undefined) },
          ],
        },
      },
    },
  };
  const service = (name: string, selector: Record<string, string>): Service => ({
    ...API.service,
    metadata: meta(name, { app: name }),
    spec: {
      type: 'ClusterIP',
      selector,
      ports: [{ name: 'http', protocol: 'TCP', port: o.port, targetPort: o.port }],
    },
  });
  const destinationRule = (name: string): KubeObject =>
    ({ ...API.destinationRule, metadata: meta(name), spec: { host: name } }) as KubeObject;
  const virtualService = {
    ...API.virtualService,
    metadata: meta(o.name),
    spec: {
      hosts: [o.name],
      gateways: ['mesh'],
      http: [
        {
          route: [
            { destination: { host: `${o.name}-primary` }, weight: 100 },
            { destination: { host: `${o.name}-canary` }, weight: 0 },
          ],
        },
      ],
    },
  } as KubeObject;
  const copies = o.config
    ? [{ ...API.configMap, metadata: meta(`${o.name}-config-primary`), data: o.config } as KubeObject]
    : [];
  return [
    ...copies,
    primary,
    service(`${o.name}-canary`, { app: o.name }),
    service(`${o.name}-primary`, primaryLabel),
    service(o.name, primaryLabel),
    destinationRule(`${o.name}-canary`),
    destinationRule(`${o.name}-primary`),
    virtualService,
  ];
}
