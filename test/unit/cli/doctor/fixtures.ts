/** Pods, namespaces, Deployments and a Prometheus for the doctor checks. */
import { PrometheusProvider } from '../../../../analysis/providers/prometheus.js';
import type { MetricTemplate } from '../../../../src/api/schema/metric-template.js';
import type { Namespace, Pod } from '../../../../src/cli/ops/doctor/finding.js';
import type { OutboundRequest, OutboundResponse } from '../../../../src/http/outbound.js';
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

/** A Prometheus instant-query answer: one sample of `value`, or no data. */
export function vector(value?: string | number): OutboundResponse {
  const result = value === undefined ? [] : [{ metric: {}, value: [1, String(value)] }];
  return {
    status: 200,
    statusText: 'OK',
    headers: {},
    body: Buffer.from(JSON.stringify({ status: 'success', data: { resultType: 'vector', result } })),
  };
}

/**
 * A Prometheus answering from `answer(query)`, through the real provider code, and the metric deps
 * doctor takes (reading `template` only, when given). `queries` records every query asked.
 */
export function prometheusStub(
  answer: (query: string) => OutboundResponse | Error,
  template?: MetricTemplate,
) {
  const queries: string[] = [];
  const provider = new PrometheusProvider({
    address: 'http://prometheus:9090',
    send: async (request: OutboundRequest) => {
      const query = request.url.searchParams.get('query') ?? '';
      queries.push(query);
      const a = answer(query);
      if (a instanceof Error) throw a;
      return a;
    },
  });
  const getTemplate = async (namespace: string, name: string) =>
    template && template.metadata.namespace === namespace && template.metadata.name === name
      ? template
      : undefined;
  return { queries, deps: { getTemplate, providerFor: () => provider } };
}
