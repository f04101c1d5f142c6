/** Pods, namespaces and Deployments for the doctor checks. */
import type { Namespace, Pod } from '../../../../src/cli/ops/doctor/finding.js';
import type { Deployment } from '../../../../src/kube/resources.js';
import { NAMESPACE } from '../../routers/fixtures.js';

export function namespaceObject(
  labels: Record<string, string> = {},
  annotations: Record<string, string> = {},
): Namespace {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NAMESPACE, labels, annotations } };
}

/** A pod of `app`, created at `created`, with the given containers (and init containers). */
export function pod(
  name: string,
  labels: Record<string, string>,
  created: string,
  containers: string[] = ['app', 'istio-proxy'],
  initContainers: string[] = [],
): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: NAMESPACE, labels, creationTimestamp: created },
    spec: {
      containers: containers.map((c) => ({ name: c, image: 'x' })),
      ...(initContainers.length
        ? { initContainers: initContainers.map((c) => ({ name: c, image: 'x', restartPolicy: 'Always' })) }
        : {}),
    },
  };
}

export function deployment(
  name: string,
  labels: Record<string, string>,
  template: { labels?: Record<string, string>; annotations?: Record<string, string> } = {},
): Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: NAMESPACE },
    spec: {
      replicas: 1,
      selector: { matchLabels: labels },
      template: {
        metadata: {
          labels: { ...labels, ...template.labels },
          ...(template.annotations ? { annotations: template.annotations } : {}),
        },
        spec: { containers: [{ name: 'app', image: 'podinfo:1' }] },
      },
    },
  };
}
