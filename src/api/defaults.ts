/**
 * Defaults, applied in one place. Everything downstream of the API reads a {@link ResolvedCanary},
 * never the raw spec, so "what does an omitted field mean" has exactly one answer.
 */
import { parseDurationMs } from './duration.js';
import { resolveJudge, type ResolvedJudge } from './judge-rules.js';
import type {
  Canary,
  CanaryAlert,
  CanaryMetric,
  CanaryService,
  CanarySpec,
  CanaryWebhook,
  WebhookType,
} from './schema/canary.js';

export const DEFAULT_INTERVAL_MS = 60_000;
/** Flagger's floor for `analysis.interval`; the sandbox lowers it to run in seconds. */
export const DEFAULT_MIN_INTERVAL_MS = 10_000;
export const DEFAULT_THRESHOLD = 1;
export const DEFAULT_MAX_WEIGHT = 100;
export const DEFAULT_PROGRESS_DEADLINE_SECONDS = 600;
export const DEFAULT_METRIC_INTERVAL = '1m';
export const DEFAULT_WEBHOOK_TIMEOUT_MS = 10_000;
export const DEFAULT_READY_THRESHOLD_PERCENT = 100;
export const DEFAULT_PORT_NAME = 'http';
export const DEFAULT_GATEWAYS = ['mesh'] as const;
/** Max-Age of the session affinity cookie when `maxAge` is not set (Flagger's: one day). */
export const DEFAULT_SESSION_COOKIE_MAX_AGE_SECONDS = 86_400;

/** How traffic moves; derived from the spec, as Flagger does, never declared. */
export type Strategy = 'canary' | 'blue-green' | 'ab-testing';

/** A metric with its defaults applied. */
export interface ResolvedMetric extends CanaryMetric {
  interval: string;
  thresholdRange: { min?: number; max?: number };
  noDataPolicy: 'fail' | 'pass';
}

/** A webhook with its defaults applied. */
export interface ResolvedWebhook extends CanaryWebhook {
  type: WebhookType;
  timeoutMs: number;
  retries: number;
}

/** Names of the objects generated for one canary. */
export interface GeneratedNames {
  /** The apex service, VirtualService and (host mode) the stem of the DestinationRules. */
  apex: string;
  /** `<apex>-primary` service. */
  primaryService: string;
  /** `<apex>-canary` service. */
  canaryService: string;
  /** The user's Deployment, which runs the canary version. */
  target: string;
  /** `<target>-primary` Deployment. */
  primaryWorkload: string;
}

/** The analysis settings with every default applied. */
export interface ResolvedAnalysis {
  intervalMs: number;
  threshold: number;
  strategy: Strategy;
  /** Canary strategy: the weights stepped through, in order; the last one is the max weight. */
  steps: number[];
  maxWeight: number;
  /** Primary weight added per promotion tick; undefined promotes at once. */
  stepWeightPromotion: number | undefined;
  iterations: number;
  match: Record<string, unknown>[];
  mirror: boolean;
  mirrorWeight: number;
  /** `analysis.sessionAffinity` with its defaults; undefined when not set. */
  sessionAffinity: ResolvedSessionAffinity | undefined;
  primaryReadyThreshold: number;
  canaryReadyThreshold: number;
  /** `analysis.rollbackWindow.revisions`: promoted revisions a target may go back to without analysis; 0 when off. */
  rollbackWindowRevisions: number;
  metrics: ResolvedMetric[];
  /** `analysis.judge` (or a metric's `judge: true`) with its defaults; undefined when the judge is off. */
  judge: ResolvedJudge | undefined;
  webhooks: ResolvedWebhook[];
  alerts: CanaryAlert[];
}

/** Cookie-based session affinity (`analysis.sessionAffinity`), as Flagger's Istio router applies it. */
export interface ResolvedSessionAffinity {
  cookieName: string;
  /** Set only when the user asked for a primary cookie. */
  primaryCookieName: string | undefined;
  /** Max-Age of the canary cookie. */
  maxAgeSeconds: number;
}

/** A Canary as the controller sees it: identity, the raw spec, and every default resolved. */
export interface ResolvedCanary {
  namespace: string;
  name: string;
  uid: string;
  /** The Canary object as read (spec and status untouched). */
  object: Canary;
  spec: CanarySpec;
  provider: string;
  metricsServer: string | undefined;
  service: CanaryService & { name: string; portName: string; gateways: string[]; hosts: string[] };
  names: GeneratedNames;
  analysis: ResolvedAnalysis;
  progressDeadlineMs: number;
  skipAnalysis: boolean;
  suspend: boolean;
  revertOnDeletion: boolean;
}

/** Controller-wide settings that fill in what a Canary leaves out. */
export interface ResolveOptions {
  /** Mesh provider used when `spec.provider` is empty (the `--mesh-provider` flag). */
  defaultProvider: string;
  /** Prometheus address used when `spec.metricsServer` is empty (the `--metrics-server` flag). */
  defaultMetricsServer?: string | undefined;
  /** Lowest allowed analysis interval; shorter ones are raised to it. */
  minIntervalMs?: number;
  /**
   * Refuse a Canary whose MetricTemplate or AlertProvider reference names another namespace (the
   * `--no-cross-namespace-refs` flag), so one tenant cannot use another's templates or credentials.
   */
  noCrossNamespaceRefs?: boolean;
}

/** Derives the strategy the way Flagger does: match + iterations is A/B, iterations alone blue/green. */
export function strategyOf(spec: CanarySpec): Strategy {
  const { match, iterations } = spec.analysis;
  if (iterations && match && match.length > 0) return 'ab-testing';
  if (iterations) return 'blue-green';
  return 'canary';
}

/** The weight schedule of a canary strategy: explicit stepWeights, or stepWeight increments up to maxWeight. */
export function calculateSteps(spec: CanarySpec): number[] {
  const a = spec.analysis;
  if (a.stepWeights && a.stepWeights.length > 0) return [...a.stepWeights];
  const max = a.maxWeight ?? DEFAULT_MAX_WEIGHT;
  const step = a.stepWeight;
  if (!step) return [max];
  const steps: number[] = [];
  for (let w = step; w < max; w += step) steps.push(w);
  steps.push(max);
  return steps;
}

/**
 * Flagger's legacy `threshold` is a lower bound for the success rate and an upper bound for
 * everything else; `thresholdRange` wins when both are set. Without either, Flagger compares with
 * a threshold of 0 (its zero value): a success rate always passes, any other metric fails above 0.
 */
function resolveThresholdRange(m: CanaryMetric): { min?: number; max?: number } {
  if (m.thresholdRange) return m.thresholdRange;
  const threshold = m.threshold ?? 0;
  return m.name === 'request-success-rate' ? { min: threshold } : { max: threshold };
}

function resolveMetric(m: CanaryMetric): ResolvedMetric {
  return {
    ...m,
    interval: m.interval ?? DEFAULT_METRIC_INTERVAL,
    thresholdRange: resolveThresholdRange(m),
    noDataPolicy: m.noDataPolicy ?? 'fail',
  };
}

function resolveWebhook(h: CanaryWebhook): ResolvedWebhook {
  return {
    ...h,
    type: h.type ?? 'rollout',
    timeoutMs: (h.timeout && parseDurationMs(h.timeout)) || DEFAULT_WEBHOOK_TIMEOUT_MS,
    retries: h.retries ?? 0,
  };
}

/** Names of generated objects, as Flagger names them. */
export function generatedNames(spec: CanarySpec): GeneratedNames {
  const apex = spec.service.name || spec.targetRef.name;
  return {
    apex,
    primaryService: `${apex}-primary`,
    canaryService: `${apex}-canary`,
    target: spec.targetRef.name,
    primaryWorkload: `${spec.targetRef.name}-primary`,
  };
}

/**
 * Applies every default to a (validated) Canary. Durations are assumed valid: validation runs first
 * and rejects a bad one with its field path.
 */
export function resolveCanary(canary: Canary, options: ResolveOptions): ResolvedCanary {
  const spec = canary.spec;
  const a = spec.analysis;
  const strategy = strategyOf(spec);
  const steps = strategy === 'canary' ? calculateSteps(spec) : [100];
  const intervalMs = Math.max(
    a.interval ? parseDurationMs(a.interval) : DEFAULT_INTERVAL_MS,
    options.minIntervalMs ?? DEFAULT_MIN_INTERVAL_MS,
  );
  return {
    namespace: canary.metadata.namespace ?? 'default',
    name: canary.metadata.name,
    uid: canary.metadata.uid ?? '',
    object: canary,
    spec,
    provider: spec.provider || options.defaultProvider,
    metricsServer: spec.metricsServer || options.defaultMetricsServer,
    service: {
      ...spec.service,
      name: generatedNames(spec).apex,
      portName: spec.service.portName ?? DEFAULT_PORT_NAME,
      // A delegate VirtualService has no gateways, not even the default `mesh` (as in Flagger).
      gateways: spec.service.gateways?.length
        ? spec.service.gateways
        : spec.service.delegation
          ? []
          : [...DEFAULT_GATEWAYS],
      hosts: spec.service.hosts ?? [],
    },
    names: generatedNames(spec),
    analysis: {
      intervalMs,
      threshold: a.threshold ?? DEFAULT_THRESHOLD,
      strategy,
      steps,
      maxWeight: steps[steps.length - 1] as number,
      stepWeightPromotion: a.stepWeightPromotion,
      iterations: a.iterations ?? 0,
      match: a.match ?? [],
      mirror: a.mirror ?? false,
      mirrorWeight: a.mirrorWeight ?? 100,
      sessionAffinity: resolveSessionAffinity(a.sessionAffinity),
      primaryReadyThreshold: a.primaryReadyThreshold ?? DEFAULT_READY_THRESHOLD_PERCENT,
      canaryReadyThreshold: a.canaryReadyThreshold ?? DEFAULT_READY_THRESHOLD_PERCENT,
      rollbackWindowRevisions: a.rollbackWindow?.revisions ?? 0,
      metrics: (a.metrics ?? []).map(resolveMetric),
      judge: resolveJudge(spec),
      webhooks: (a.webhooks ?? []).map(resolveWebhook),
      alerts: a.alerts ?? [],
    },
    progressDeadlineMs: (spec.progressDeadlineSeconds ?? DEFAULT_PROGRESS_DEADLINE_SECONDS) * 1_000,
    skipAnalysis: spec.skipAnalysis ?? false,
    suspend: spec.suspend ?? false,
    revertOnDeletion: spec.revertOnDeletion ?? false,
  };
}

function resolveSessionAffinity(
  sa: CanarySpec['analysis']['sessionAffinity'],
): ResolvedSessionAffinity | undefined {
  if (!sa?.cookieName) return undefined;
  return {
    cookieName: sa.cookieName,
    primaryCookieName: sa.primaryCookieName || undefined,
    // As Flagger: 0 (or absent) means one day.
    maxAgeSeconds: sa.maxAge || DEFAULT_SESSION_COOKIE_MAX_AGE_SECONDS,
  };
}
