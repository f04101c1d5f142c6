/**
 * Sidecar injection: the runbooks' first question. Is injection on for the namespace (or the pod
 * template), and do the primary's and the canary's pods carry the proxy? A pod without it is not
 * in the mesh: the mesh neither routes nor measures its traffic, so the weights and the metrics of
 * the analysis mean nothing.
 */
import { metricsMeshOf } from '../../../api/providers.js';
import type { Deployment } from '../../../kube/resources.js';
import { nameOf, type Finding, type Namespace, type Pod } from './finding.js';

/** The meshes whose proxy is injected into the pods, and how each one is switched on. */
interface MeshInjection {
  container: string;
  /** How the namespace is told to inject, for the fix. */
  howToEnable: string;
  /** `true` on, `false` off, `undefined` not said, from a namespace's or a pod template's metadata. */
  enabled(
    meta: { labels?: Record<string, string>; annotations?: Record<string, string> } | undefined,
  ): boolean | undefined;
}

const ISTIO: MeshInjection = {
  container: 'istio-proxy',
  howToEnable: 'kubectl label namespace NS istio-injection=enabled (or istio.io/rev=REVISION)',
  enabled(meta) {
    const labels = meta?.labels ?? {};
    const annotations = meta?.annotations ?? {};
    const pod = labels['sidecar.istio.io/inject'] ?? annotations['sidecar.istio.io/inject'];
    if (pod !== undefined) return pod === 'true';
    if (labels['istio-injection'] !== undefined) return labels['istio-injection'] === 'enabled';
    return labels['istio.io/rev'] ? true : undefined;
  },
};

const LINKERD: MeshInjection = {
  container: 'linkerd-proxy',
  howToEnable: 'kubectl annotate namespace NS linkerd.io/inject=enabled',
  enabled(meta) {
    // Linkerd reads an annotation; a label of the same name is a common slip, so it counts too.
    const value = meta?.annotations?.['linkerd.io/inject'] ?? meta?.labels?.['linkerd.io/inject'];
    if (value === undefined) return undefined;
    return value === 'enabled' || value === 'ingress';
  },
};

/** The mesh whose proxy a provider needs in the pods; none for ingress-only providers. */
export function injectionFor(provider: string): MeshInjection | undefined {
  const mesh = metricsMeshOf(provider);
  if (mesh === 'istio') return ISTIO;
  if (mesh === 'linkerd') return LINKERD;
  return undefined;
}

/** One side of the rollout: its Deployment and its pods. */
export interface WorkloadPods {
  role: 'primary' | 'canary';
  deployment: Deployment | undefined;
  pods: Pod[];
}

/** What {@link checkSidecars} looks at. */
export interface SidecarInput {
  provider: string;
  /** The Canary's namespace; undefined when it could not be read. */
  namespace: Namespace | undefined;
  workloads: WorkloadPods[];
  /** Every pod of the namespace, to tell when injection started working. */
  namespacePods: Pod[];
}

/** Whether a pod runs the proxy (a native sidecar is an init container with restartPolicy Always). */
export function hasProxy(pod: Pod, container: string): boolean {
  return (
    pod.spec.containers.some((c) => c.name === container) ||
    (pod.spec.initContainers ?? []).some((c) => c.name === container)
  );
}

function created(pod: Pod): number {
  return Date.parse(pod.metadata.creationTimestamp ?? '') || 0;
}

/** Finds the namespace and pods that are not in the mesh the provider routes through. */
export function checkSidecars(input: SidecarInput): Finding[] {
  const mesh = injectionFor(input.provider);
  if (!mesh || !input.namespace) return [];
  const findings: Finding[] = [];
  const ns = input.namespace;
  const namespaceOn = mesh.enabled(ns.metadata);
  const fixLabel = mesh.howToEnable.replace('NS', ns.metadata.name);
  for (const w of input.workloads) {
    const template = w.deployment?.spec.template.metadata;
    const on = mesh.enabled(template) ?? namespaceOn;
    if (w.deployment && on !== true) {
      findings.push({
        severity: 'error',
        area: 'sidecar',
        object: nameOf(w.deployment),
        saw:
          on === false
            ? `${mesh.container} injection is switched off for the ${w.role} pods (namespace or pod template says so)`
            : `namespace ${ns.metadata.name} does not ask for ${mesh.container} injection and the pod template does not either`,
        fix: `${fixLabel}, then restart the pods: kubectl rollout restart deployment/${w.deployment.metadata.name} -n ${ns.metadata.name}`,
      });
      continue;
    }
    const injectedSince = Math.min(
      ...input.namespacePods.filter((p) => hasProxy(p, mesh.container)).map(created),
    );
    for (const pod of w.pods) {
      if (hasProxy(pod, mesh.container)) continue;
      const before = created(pod) < injectedSince;
      findings.push({
        severity: 'error',
        area: 'sidecar',
        object: nameOf(pod),
        saw: Number.isFinite(injectedSince)
          ? before
            ? `${w.role} pod created ${pod.metadata.creationTimestamp}, before injection was working (the first pod with ${mesh.container} in the namespace was created ${new Date(injectedSince).toISOString()}): it has no ${mesh.container}`
            : `${w.role} pod created ${pod.metadata.creationTimestamp} has no ${mesh.container}, although pods created earlier have one: the injector did not run for it`
          : `${w.role} pod created ${pod.metadata.creationTimestamp} has no ${mesh.container}, and no pod in the namespace has one: it was created before injection was enabled, or the injector is not running`,
        fix: before
          ? `restart the pods so they are injected: kubectl rollout restart deployment/${w.deployment?.metadata.name ?? w.role} -n ${ns.metadata.name}`
          : `check that the mesh's injector webhook runs and admits pods in ${ns.metadata.name}, then restart the pods`,
      });
    }
  }
  return findings;
}
