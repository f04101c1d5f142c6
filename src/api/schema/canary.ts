/**
 * The Canary resource. Field names and meanings follow Flagger's `flagger.app/v1beta1` Canary so
 * that a Flagger manifest works after changing `apiVersion`; Fledge additions are marked as such.
 */
import { Type, type Static } from '@sinclair/typebox';
import {
  CrossVersionRef,
  Duration,
  Enum,
  IntOrString,
  ObjectMetaSchema,
  Opaque,
  Percent,
  StringMap,
  Struct,
} from './common.js';
import { MAX_PROGRESS_DEADLINE_SECONDS, MAX_ROLLBACK_WINDOW_REVISIONS } from '../bounds.js';
import { CanaryStatusSchema } from './canary-status.js';
import { JudgeSpecSchema } from './judge.js';
import { AlertSchema, MetricSchema, WebhookSchema } from './analysis-checks.js';

export * from './canary-status.js';
export * from './analysis-checks.js';

/** Mesh and ingress providers Flagger knows. Fledge implements those in `IMPLEMENTED_PROVIDERS`. */
export const KNOWN_PROVIDERS = [
  'istio',
  'linkerd',
  'appmesh',
  'appmesh:v1beta2',
  'contour',
  'gloo',
  'nginx',
  'skipper',
  'traefik',
  'apisix',
  'kuma',
  'osm',
  'smi',
  'smi:v1alpha1',
  'smi:v1alpha2',
  'smi:v1alpha3',
  'gatewayapi',
  'gatewayapi:v1',
  'gatewayapi:v1beta1',
  'kubernetes',
] as const;

/** Providers with a router in this version of Fledge (the SMI forms also with a `:<mesh>` qualifier). */
export const IMPLEMENTED_PROVIDERS = [
  'istio',
  'linkerd',
  'smi:v1alpha1',
  'smi:v1alpha2',
  'smi:v1alpha3',
  'kubernetes',
  'nginx',
  'gatewayapi:v1',
  'gatewayapi:v1beta1',
] as const;

/** Kinds `autoscalerRef` may name: one scaler reconciler each (`src/workloads/scalers/`). */
export const AUTOSCALER_KINDS = ['HorizontalPodAutoscaler', 'ScaledObject'] as const;
export type AutoscalerKind = (typeof AUTOSCALER_KINDS)[number];

const ObjectLabels = Struct(
  {
    labels: Type.Optional(StringMap('Labels added to the generated object.')),
    annotations: Type.Optional(StringMap('Annotations added to the generated object.')),
  },
  { description: 'Metadata for a generated object.' },
);

/** One Istio HTTPMatchRequest-like condition (headers, cookies via the cookie header, uri, ...). */
const HttpMatch = Opaque(
  'An Istio HTTPMatchRequest: headers (exact, prefix, regex), uri, method, sourceLabels.',
);

/** A Gateway API ParentReference: the Gateway (or Service, for a mesh) the HTTPRoute attaches to. */
export const GatewayRefSchema = Struct(
  {
    name: Type.String({ minLength: 1, maxLength: 253, description: 'Name of the parent (a Gateway).' }),
    namespace: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 63,
        description: "Namespace of the parent (default: the Canary's).",
      }),
    ),
    sectionName: Type.Optional(
      Type.String({ minLength: 1, maxLength: 253, description: 'Listener of the Gateway to attach to.' }),
    ),
    port: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 65535, description: 'Port of the Gateway listener to attach to.' }),
    ),
    group: Type.Optional(
      Type.String({
        maxLength: 253,
        description: 'API group of the parent (default: gateway.networking.k8s.io).',
      }),
    ),
    kind: Type.Optional(
      Type.String({ minLength: 1, maxLength: 63, description: 'Kind of the parent (default: Gateway).' }),
    ),
  },
  { description: 'Gateway API parent reference of the HTTPRoute.' },
);
export type GatewayRef = Static<typeof GatewayRefSchema>;

export const ServiceSchema = Struct(
  {
    name: Type.Optional(Type.String({ description: 'Name of the apex service (default: targetRef.name).' })),
    port: Type.Integer({ minimum: 1, maximum: 65535, description: 'Port of the generated services.' }),
    portName: Type.Optional(Type.String({ description: 'Name of the port (default: http).' })),
    targetPort: Type.Optional(IntOrString('Container port or port name (default: port).')),
    portDiscovery: Type.Optional(Type.Boolean({ description: 'Expose every container port.' })),
    appProtocol: Type.Optional(Type.String()),
    timeout: Type.Optional(Duration('Istio route timeout, e.g. 10s.')),
    gateways: Type.Optional(
      Type.Array(Type.String(), { description: 'Istio gateways of the VirtualService (default: [mesh]).' }),
    ),
    gatewayRefs: Type.Optional(
      Type.Array(GatewayRefSchema, {
        maxItems: 32,
        description: 'Gateway API: the parents of the HTTPRoute (required with provider gatewayapi).',
      }),
    ),
    hosts: Type.Optional(Type.Array(Type.String(), { description: 'Extra hosts of the VirtualService.' })),
    trafficPolicy: Type.Optional(
      Opaque(
        'Istio TrafficPolicy copied into the DestinationRules: connectionPool, outlierDetection, loadBalancer, tls.',
      ),
    ),
    match: Type.Optional(Type.Array(HttpMatch, { description: 'Istio match conditions of every route.' })),
    rewrite: Type.Optional(Opaque('Istio HTTPRewrite.')),
    retries: Type.Optional(
      Struct(
        {
          attempts: Type.Optional(Type.Integer({ minimum: 0 })),
          perTryTimeout: Type.Optional(Duration('Timeout of each try.')),
          retryOn: Type.Optional(Type.String()),
        },
        { description: 'Istio HTTPRetry.' },
      ),
    ),
    headers: Type.Optional(Opaque('Istio Headers manipulation (request/response set, add, remove).')),
    corsPolicy: Type.Optional(Opaque('Istio CorsPolicy.')),
    mirror: Type.Optional(
      Type.Array(
        Opaque('Gateway API: a RequestMirror filter of the routes (ignored with Istio, as in Flagger).'),
      ),
    ),
    delegation: Type.Optional(
      Type.Boolean({
        description:
          'Istio: write the VirtualService as a delegate (no hosts, no gateways) for a root VirtualService to delegate to.',
      }),
    ),
    apex: Type.Optional(ObjectLabels),
    primary: Type.Optional(ObjectLabels),
    canary: Type.Optional(ObjectLabels),
    subsetRouting: Type.Optional(
      Type.Boolean({
        description:
          'Fledge: route by DestinationRule subsets of the apex host (the Istio docs style) instead of one host per version.',
      }),
    ),
  },
  { description: 'The services and mesh routes Fledge generates.' },
);

export const AnalysisSchema = Struct(
  {
    interval: Type.Optional(
      Duration('Time between two ticks of the analysis (default: 60s, at least 10s, at most 24h).'),
    ),
    threshold: Type.Optional(
      Type.Integer({ minimum: 1, description: 'Failed checks before rolling back (default: 1).' }),
    ),
    maxWeight: Type.Optional(Percent('Highest canary weight before promotion (default: 100).')),
    stepWeight: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 100, description: 'Weight added per step.' }),
    ),
    stepWeights: Type.Optional(
      Type.Array(Type.Integer({ minimum: 1, maximum: 100 }), {
        minItems: 1,
        description: 'Explicit increasing weight schedule; its last entry is the max weight.',
      }),
    ),
    stepWeightPromotion: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 100,
        description: 'Primary weight added per tick while promoting.',
      }),
    ),
    iterations: Type.Optional(
      Type.Integer({ minimum: 1, description: 'Analysis ticks for blue/green and A/B testing.' }),
    ),
    match: Type.Optional(
      Type.Array(HttpMatch, { description: 'A/B testing: requests routed to the canary.' }),
    ),
    mirror: Type.Optional(Type.Boolean({ description: 'Mirror primary traffic to the canary.' })),
    mirrorWeight: Type.Optional(Percent('Percentage of traffic mirrored (default: 100).')),
    sessionAffinity: Type.Optional(
      Struct(
        {
          cookieName: Type.Optional(
            Type.String({
              description:
                'Name of the cookie that keeps a user who reached the canary on it until the rollout ends (required).',
            }),
          ),
          primaryCookieName: Type.Optional(
            Type.String({
              description:
                'Name of a cookie that keeps a user who reached the primary on it for one analysis interval.',
            }),
          ),
          maxAge: Type.Optional(
            Type.Integer({
              minimum: 0,
              description: 'Max-Age of the canary cookie in seconds (default: 86400, one day).',
            }),
          ),
        },
        { description: 'Istio: cookie-based session affinity during a weighted canary rollout.' },
      ),
    ),
    primaryReadyThreshold: Type.Optional(
      Percent('Percent of primary pods that must be ready (default: 100).'),
    ),
    canaryReadyThreshold: Type.Optional(Percent('Percent of canary pods that must be ready (default: 100).')),
    rollbackWindow: Type.Optional(
      Struct(
        {
          revisions: Type.Integer({
            minimum: 2,
            maximum: MAX_ROLLBACK_WINDOW_REVISIONS,
            description: `Promoted revisions kept, the current primary's included (2 to ${MAX_ROLLBACK_WINDOW_REVISIONS}).`,
          }),
        },
        {
          description:
            'Fledge: setting the target back to one of the last promoted revisions promotes it at once, without analysis (as Argo Rollouts rollbackWindow).',
        },
      ),
    ),
    alerts: Type.Optional(Type.Array(AlertSchema)),
    metrics: Type.Optional(Type.Array(MetricSchema)),
    judge: Type.Optional(JudgeSpecSchema),
    webhooks: Type.Optional(Type.Array(WebhookSchema)),
  },
  { description: 'How traffic is shifted and what gates each step.' },
);

export const CanarySpecSchema = Struct({
  provider: Type.Optional(
    Type.String({ description: 'Mesh or ingress provider (default: the controller flag).' }),
  ),
  metricsServer: Type.Optional(Type.String({ description: 'Prometheus address for the builtin metrics.' })),
  targetRef: CrossVersionRef(
    'The workload under progressive delivery.',
    Enum(['Deployment', 'DaemonSet'] as const, 'Kind of the target.'),
  ),
  autoscalerRef: Type.Optional(
    Struct(
      {
        apiVersion: Type.Optional(
          Type.String({
            description: 'autoscaling/v2 (HorizontalPodAutoscaler) or keda.sh/v1alpha1 (ScaledObject).',
          }),
        ),
        kind: Enum(AUTOSCALER_KINDS, 'Kind of the autoscaler that scales the target.'),
        name: Type.String({
          minLength: 1,
          description: 'Name of the autoscaler; the primary gets <name>-primary.',
        }),
        primaryScalerQueries: Type.Optional(
          StringMap(
            "ScaledObject only: trigger name to the query its copy for the primary uses instead of the target's.",
          ),
        ),
        primaryScalerReplicas: Type.Optional(
          Struct(
            {
              minReplicas: Type.Optional(Type.Integer({ minimum: 0 })),
              maxReplicas: Type.Optional(Type.Integer({ minimum: 1 })),
            },
            { description: "Replica bounds of the primary's autoscaler, instead of the target's." },
          ),
        ),
      },
      {
        description:
          'The autoscaler of the target: Fledge gives the primary a copy (<name>-primary) scaling it.',
      },
    ),
  ),
  ingressRef: Type.Optional(CrossVersionRef('NGINX Ingress.', Type.String())),
  routeRef: Type.Optional(CrossVersionRef('Route object of other routers.', Type.String())),
  upstreamRef: Type.Optional(CrossVersionRef('Gloo upstream.', Type.String())),
  service: ServiceSchema,
  analysis: AnalysisSchema,
  progressDeadlineSeconds: Type.Optional(
    Type.Integer({
      minimum: 1,
      maximum: MAX_PROGRESS_DEADLINE_SECONDS,
      description: 'Seconds to wait for a rollout before rolling back (default: 600, at most 86400).',
    }),
  ),
  skipAnalysis: Type.Optional(Type.Boolean({ description: 'Promote without analysis.' })),
  revertOnDeletion: Type.Optional(
    Type.Boolean({ description: 'Restore the target and routes when deleted.' }),
  ),
  suspend: Type.Optional(Type.Boolean({ description: 'Stop ticking this canary.' })),
});

export const CanarySchema = Struct({
  apiVersion: Type.String(),
  kind: Type.Literal('Canary'),
  metadata: ObjectMetaSchema,
  spec: CanarySpecSchema,
  status: Type.Optional(CanaryStatusSchema),
});

export type CanarySpec = Static<typeof CanarySpecSchema>;
export type Canary = Static<typeof CanarySchema>;
export type CanaryMetric = Static<typeof MetricSchema>;
export type CanaryWebhook = Static<typeof WebhookSchema>;
export type CanaryAlert = Static<typeof AlertSchema>;
export type CanaryService = Static<typeof ServiceSchema>;
