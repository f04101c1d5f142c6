/**
 * Typed views of the Kubernetes objects Fledge reads and writes. Only the fields Fledge uses are
 * typed; everything else is carried through untouched.
 */
import type { KubeObject, ObjectKey } from './cluster.js';

/** A reference to one key of a ConfigMap or Secret (`env[].valueFrom`). */
export interface KeySelector {
  name: string;
  key: string;
  optional?: boolean;
}

export interface Container {
  name: string;
  image?: string;
  env?: {
    name: string;
    value?: string;
    valueFrom?: { configMapKeyRef?: KeySelector; secretKeyRef?: KeySelector; [key: string]: unknown };
  }[];
  envFrom?: {
    prefix?: string;
    configMapRef?: { name: string; optional?: boolean };
    secretRef?: { name: string; optional?: boolean };
  }[];
  ports?: { name?: string; containerPort: number; protocol?: string }[];
  [key: string]: unknown;
}

export interface PodSpec {
  containers: Container[];
  initContainers?: Container[];
  volumes?: {
    name: string;
    configMap?: { name: string; optional?: boolean; [key: string]: unknown };
    secret?: { secretName: string; optional?: boolean; [key: string]: unknown };
    projected?: {
      sources?: {
        configMap?: { name: string; optional?: boolean; [key: string]: unknown };
        secret?: { name: string; optional?: boolean; [key: string]: unknown };
        [key: string]: unknown;
      }[];
      [key: string]: unknown;
    };
    [key: string]: unknown;
  }[];
  [key: string]: unknown;
}

export interface PodTemplateSpec {
  metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
  spec: PodSpec;
}

export interface DeploymentCondition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastUpdateTime?: string;
  lastTransitionTime?: string;
}

export interface Deployment extends KubeObject {
  spec: {
    replicas?: number;
    selector: { matchLabels?: Record<string, string> };
    template: PodTemplateSpec;
    [key: string]: unknown;
  };
  status?: {
    observedGeneration?: number;
    replicas?: number;
    updatedReplicas?: number;
    readyReplicas?: number;
    availableReplicas?: number;
    unavailableReplicas?: number;
    conditions?: DeploymentCondition[];
  };
}

export interface ServicePort {
  name?: string;
  port: number;
  targetPort?: number | string;
  protocol?: string;
  appProtocol?: string;
  nodePort?: number;
}

export interface Service extends KubeObject {
  spec: {
    type?: string;
    selector?: Record<string, string>;
    ports: ServicePort[];
    [key: string]: unknown;
  };
}

export interface ConfigMap extends KubeObject {
  data?: Record<string, string>;
  binaryData?: Record<string, string>;
  immutable?: boolean;
}

export interface Secret extends KubeObject {
  type?: string;
  data?: Record<string, string>;
  stringData?: Record<string, string>;
  immutable?: boolean;
}

/** The object an autoscaler scales (`autoscaling/v2` CrossVersionObjectReference, KEDA ScaleTarget). */
export interface ScaleTargetRef {
  apiVersion?: string;
  kind?: string;
  name: string;
  [key: string]: unknown;
}

/** An `autoscaling/v2` HorizontalPodAutoscaler. Metrics and behavior are carried through as they are. */
export interface HorizontalPodAutoscaler extends KubeObject {
  spec: {
    scaleTargetRef: ScaleTargetRef;
    minReplicas?: number;
    maxReplicas: number;
    metrics?: unknown[];
    behavior?: unknown;
    [key: string]: unknown;
  };
}

/** One trigger of a KEDA ScaledObject; `metadata.query` is what `primaryScalerQueries` replaces. */
export interface ScaleTrigger {
  type: string;
  name?: string;
  metadata: Record<string, string>;
  [key: string]: unknown;
}

/** A KEDA `keda.sh/v1alpha1` ScaledObject. */
export interface ScaledObject extends KubeObject {
  spec: {
    scaleTargetRef: ScaleTargetRef;
    minReplicaCount?: number;
    maxReplicaCount?: number;
    advanced?: {
      horizontalPodAutoscalerConfig?: { name?: string; [key: string]: unknown };
      [key: string]: unknown;
    };
    triggers: ScaleTrigger[];
    [key: string]: unknown;
  };
}

/** An `events.k8s.io/v1` Event. */
export interface KubeEvent extends KubeObject {
  eventTime: string;
  reportingController: string;
  reportingInstance: string;
  action: string;
  reason: string;
  note: string;
  type: 'Normal' | 'Warning';
  regarding: { apiVersion: string; kind: string; namespace: string; name: string; uid?: string };
  /** Set once the Event repeats: how often, and when last (MicroTime). `count` is at least 2. */
  series?: { count: number; lastObservedTime: string };
}

export const API = {
  deployment: { apiVersion: 'apps/v1', kind: 'Deployment' },
  service: { apiVersion: 'v1', kind: 'Service' },
  configMap: { apiVersion: 'v1', kind: 'ConfigMap' },
  secret: { apiVersion: 'v1', kind: 'Secret' },
  event: { apiVersion: 'events.k8s.io/v1', kind: 'Event' },
  lease: { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease' },
  horizontalPodAutoscaler: { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler' },
  scaledObject: { apiVersion: 'keda.sh/v1alpha1', kind: 'ScaledObject' },
  canary: { apiVersion: 'fledge.dev/v1alpha1', kind: 'Canary' },
  metricTemplate: { apiVersion: 'fledge.dev/v1alpha1', kind: 'MetricTemplate' },
  alertProvider: { apiVersion: 'fledge.dev/v1alpha1', kind: 'AlertProvider' },
  virtualService: { apiVersion: 'networking.istio.io/v1', kind: 'VirtualService' },
  destinationRule: { apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule' },
  ingress: { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress' },
  httpRoute: { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute' },
  httpRouteV1beta1: { apiVersion: 'gateway.networking.k8s.io/v1beta1', kind: 'HTTPRoute' },
} as const;

/** Builds an {@link ObjectKey} from one of the {@link API} entries. */
export function objectKey(
  kind: { apiVersion: string; kind: string },
  namespace: string,
  name: string,
): ObjectKey {
  return { apiVersion: kind.apiVersion, kind: kind.kind, namespace, name };
}
