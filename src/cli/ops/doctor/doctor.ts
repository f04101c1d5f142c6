/**
 * `fledge doctor`: reads what the checks need (`observe.ts`), runs the metric queries and endpoint
 * probes, and hands each area's check its part. The checks decide; this file only assembles.
 */
import type { MetricCheckDeps } from '../../../../analysis/run-checks.js';
import { resolveCanary, type ResolveOptions, type ResolvedCanary } from '../../../api/defaults.js';
import type { Canary } from '../../../api/schema/canary.js';
import { formatFieldError, validateDocument } from '../../../api/validate.js';
import type { Cluster } from '../../../kube/cluster.js';
import { API, objectKey } from '../../../kube/resources.js';
import type { SendFn } from '../../../http/outbound.js';
import { probeEndpoints } from './endpoint-probes.js';
import { checkEndpoints, probeTargets } from './endpoints.js';
import { checkGatewayParents, checkIngressClass } from './entry-points.js';
import type { DoctorReport, Finding } from './finding.js';
import { observeJudgeCounts } from './count-runs.js';
import { checkJudgeCounts, countRuns } from './counts.js';
import { observeMetrics } from './metric-runs.js';
import { checkMetrics, metricRuns } from './metrics.js';
import { checkMtls } from './mtls.js';
import { observe, type ObserveOptions } from './observe.js';
import { checkRouting } from './routing.js';
import { checkSidecars } from './sidecars.js';

export interface DoctorDeps extends ObserveOptions {
  cluster: Cluster;
  /** Builds the metrics providers, as the controller does. */
  providerFor: MetricCheckDeps['providerFor'];
  /** Sends the endpoint probes (bounded outbound HTTP by default). */
  send?: SendFn;
}

const SEVERITY_ORDER = { error: 0, warning: 1, info: 2 } as const;

/** Checks one canary. Never rejects on account of what it finds; a failed read is a finding. */
export async function runDoctor(canary: ResolvedCanary, deps: DoctorDeps): Promise<DoctorReport> {
  const id = `${canary.namespace}/${canary.name}`;
  const seen = await observe(deps.cluster, canary, deps);
  const metricDeps: Pick<MetricCheckDeps, 'getTemplate' | 'providerFor'> = {
    getTemplate: (namespace, name) => deps.cluster.get(objectKey(API.metricTemplate, namespace, name)),
    providerFor: deps.providerFor,
  };
  const [metrics, counts, probes] = await Promise.all([
    observeMetrics(canary, metricDeps),
    observeJudgeCounts(canary, metricDeps),
    probeEndpoints(probeTargets(canary, seen.alertProviders), deps.send),
  ]);
  const endpoints = checkEndpoints(probes);
  const templateLabels = (role: 'primary' | 'canary') =>
    seen.workloads.find((w) => w.role === role)?.deployment?.spec.template.metadata?.labels ?? {};
  const findings: Finding[] = [
    ...seen.unreadable.map(({ object, reason }): Finding => ({
      severity: 'info',
      area: 'cluster',
      object,
      saw: `could not be read: ${reason}`,
      fix: 'grant the read (kubectl auth can-i list ...), or install the CRD if the check applies',
    })),
    ...checkSidecars({
      provider: canary.provider,
      namespace: seen.namespace,
      workloads: seen.workloads,
      namespacePods: seen.pods,
    }),
    ...(canary.provider === 'istio'
      ? checkMtls({
          namespace: canary.namespace,
          rootNamespace: deps.istioRootNamespace,
          peerAuthentications: seen.peerAuthentications,
          workloads: (['primary', 'canary'] as const).map((role) => ({ role, labels: templateLabels(role) })),
          destinationRules: seen.routing.destinationRules,
          rulePods: { [canary.names.primaryService]: ['primary'], [canary.names.canaryService]: ['canary'] },
          trafficPolicy: canary.spec.service.trafficPolicy as Record<string, unknown> | undefined,
        })
      : []),
    ...checkRouting(seen.routing),
    ...(seen.entryPoints.gatewayParents ? checkGatewayParents(seen.entryPoints.gatewayParents) : []),
    ...(seen.entryPoints.ingressClass ? checkIngressClass(seen.entryPoints.ingressClass) : []),
    ...checkMetrics(metrics, id),
    ...checkJudgeCounts(counts, id),
    ...endpoints.findings,
  ];
  findings.sort((a, b) => SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity]);
  return {
    canary: id,
    findings,
    metrics: metricRuns(metrics),
    ...(counts.length > 0 ? { counts: countRuns(counts) } : {}),
    probes: endpoints.runs,
  };
}

/**
 * Checks a Canary as read: one the controller would refuse (an invalid spec) is reported as such,
 * since nothing else about it can be judged; any other is resolved as the controller resolves it.
 */
export async function doctorCanary(
  object: Canary,
  resolve: ResolveOptions,
  deps: DoctorDeps,
): Promise<DoctorReport> {
  const { status: _status, ...written } = object;
  const invalid = validateDocument(written);
  if (invalid.length > 0) {
    const id = `${object.metadata.namespace}/${object.metadata.name}`;
    return {
      canary: id,
      findings: [
        {
          severity: 'error',
          area: 'spec',
          object: `Canary ${id}`,
          saw: `the controller refuses it: ${invalid.map(formatFieldError).join('; ')}`,
          fix: 'fix the fields named (fledge validate checks a manifest before it is applied)',
        },
      ],
      metrics: [],
      probes: [],
    };
  }
  return runDoctor(resolveCanary(object, resolve), deps);
}
