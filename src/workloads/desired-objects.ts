/**
 * What the primary Deployment and the three services should look like, computed from the Canary and
 * the target alone (no I/O). `deployment-controller.ts` compares these with what is stored and
 * writes the difference.
 */
import type { ResolvedCanary } from '../api/defaults.js';
import type { Deployment, PodTemplateSpec, ServicePort } from '../kube/resources.js';
import { rewriteConfigRefs } from './config-refs.js';
import { withCanaryOwner } from '../kube/owner-references.js';
import { relabelTemplate, sharedPodLabels, type SelectorLabel } from './selector-label.js';
import { stableHash } from './stable-hash.js';

/**
 * Pod template annotation of the primary holding the target revision it was given. Its change on
 * every promotion also restarts the primary's pods when only a ConfigMap or Secret changed.
 */
export const REVISION_ANNOTATION = 'fledge.dev/revision';

/** The target revision: its pod template and the checksums of the configs it references. */
export function calculateRevision(template: PodTemplateSpec, trackedConfigs: Record<string, string>): string {
  return stableHash({ template, configs: trackedConfigs });
}

/** The revision recorded on the primary; undefined when it has none. */
export function primaryRevisionOf(primary: Deployment | undefined): string | undefined {
  return primary?.spec.template.metadata?.annotations?.[REVISION_ANNOTATION];
}

/**
 * The primary's pod template: the target's, relabelled, with references to tracked configs pointing
 * at their `-primary` copies, and the revision recorded.
 */
export function calculatePrimaryTemplate(
  target: Deployment,
  label: SelectorLabel,
  copiedConfigs: ReadonlySet<string>,
  revision: string,
): PodTemplateSpec {
  const relabelled = relabelTemplate(structuredClone(target.spec.template), label);
  return {
    ...relabelled,
    metadata: {
      ...relabelled.metadata,
      annotations: { ...relabelled.metadata?.annotations, [REVISION_ANNOTATION]: revision },
    },
    spec: rewriteConfigRefs(relabelled.spec, copiedConfigs),
  };
}

/** The primary's spec: the target's, with the primary's selector, replicas and template. */
export function calculatePrimarySpec(
  target: Deployment,
  label: SelectorLabel,
  template: PodTemplateSpec,
  replicas: number,
): Deployment['spec'] {
  return {
    ...structuredClone(target.spec),
    replicas,
    selector: { matchLabels: { [label.key]: label.primaryValue } },
    template,
  };
}

/** A new `<target>-primary` Deployment, owned by the Canary. */
export function calculateNewPrimary(
  canary: ResolvedCanary,
  target: Deployment,
  label: SelectorLabel,
  copiedConfigs: ReadonlySet<string>,
  revision: string,
): Deployment {
  const template = calculatePrimaryTemplate(target, label, copiedConfigs, revision);
  // A target already scaled to zero must not give the primary zero replicas (Flagger does the same).
  const replicas = (target.spec.replicas ?? 1) > 0 ? (target.spec.replicas ?? 1) : 1;
  return {
    apiVersion: target.apiVersion,
    kind: target.kind,
    metadata: {
      name: canary.names.primaryWorkload,
      namespace: canary.namespace,
      // Only the selector label: copying the target's labels would copy GitOps tracking labels too.
      labels: { [label.key]: label.primaryValue },
      ownerReferences: withCanaryOwner(undefined, canary),
    },
    spec: calculatePrimarySpec(target, label, template, replicas),
  };
}

/** One generated service as Fledge wants it. */
export interface DesiredService {
  name: string;
  selector: Record<string, string>;
  ports: ServicePort[];
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

/** The ports of every generated service: `spec.service.port`, plus container ports with `portDiscovery`. */
export function calculateServicePorts(canary: ResolvedCanary, target: Deployment): ServicePort[] {
  const s = canary.service;
  const main: ServicePort = {
    name: s.portName,
    port: s.port,
    targetPort: s.targetPort ?? s.port,
    protocol: 'TCP',
    ...(s.appProtocol ? { appProtocol: s.appProtocol } : {}),
  };
  const ports = [main];
  if (!s.portDiscovery) return ports;
  for (const container of target.spec.template.spec.containers ?? []) {
    for (const p of container.ports ?? []) {
      if ((p.protocol ?? 'TCP') !== 'TCP') continue;
      if (ports.some((q) => q.port === p.containerPort || q.targetPort === p.containerPort)) continue;
      const name =
        p.name && !ports.some((q) => q.name === p.name) ? p.name : `tcp-${container.name}-${p.containerPort}`;
      ports.push({ name, port: p.containerPort, targetPort: p.containerPort, protocol: 'TCP' });
    }
  }
  return ports;
}

/**
 * The apex, primary and canary services. The apex selects the primary's pods, or with subset
 * routing the pods of both versions (the mesh then splits by {@link SelectorLabel}).
 * @param primaryTemplate the stored primary's template, for the labels both versions share
 */
export function calculateServices(
  canary: ResolvedCanary,
  target: Deployment,
  label: SelectorLabel,
  primaryTemplate: PodTemplateSpec | undefined,
): DesiredService[] {
  const ports = calculateServicePorts(canary, target);
  const primarySelector = { [label.key]: label.primaryValue };
  const apexSelector = canary.service.subsetRouting
    ? sharedPodLabels(target, label, primaryTemplate)
    : primarySelector;
  const make = (
    name: string,
    selector: Record<string, string>,
    meta: { labels?: Record<string, string>; annotations?: Record<string, string> } | undefined,
  ): DesiredService => ({
    name,
    selector,
    ports,
    // Flagger labels each generated service with the selector label set to the service's name.
    labels: { ...meta?.labels, [label.key]: name },
    annotations: { ...meta?.annotations },
  });
  const { names, service } = canary;
  return [
    make(names.apex, apexSelector, service.apex),
    make(names.primaryService, primarySelector, service.primary),
    make(names.canaryService, { [label.key]: label.canaryValue }, service.canary),
  ];
}

/** The stored ports in the shape of {@link calculateServicePorts}, keeping node ports. */
export function normalizePorts(ports: ServicePort[] | undefined): ServicePort[] {
  return (ports ?? []).map((p) => ({
    ...(p.name !== undefined ? { name: p.name } : {}),
    port: p.port,
    ...(p.targetPort !== undefined ? { targetPort: p.targetPort } : {}),
    ...(p.protocol !== undefined ? { protocol: p.protocol } : {}),
    ...(p.appProtocol !== undefined ? { appProtocol: p.appProtocol } : {}),
    ...(p.nodePort !== undefined ? { nodePort: p.nodePort } : {}),
  }));
}

/** The desired ports with the node ports the API server allocated to ports of the same name kept. */
export function withNodePorts(desired: ServicePort[], stored: ServicePort[] | undefined): ServicePort[] {
  return desired.map((p) => {
    const nodePort = stored?.find((s) => s.name === p.name)?.nodePort;
    return nodePort !== undefined ? { ...p, nodePort } : p;
  });
}
