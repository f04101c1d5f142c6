import {
  BUILTIN_QUERY_MESHES,
  BuiltinQueryError,
  builtinQuery,
  isBuiltinMetric,
} from '../../../analysis/builtin-queries.js';
import { BUILTIN_METRIC_NAMES } from '../../../src/api/builtin-metrics.js';

const params = { namespace: 'test', target: 'podinfo', interval: '1m' };

describe('builtinQuery', () => {
  it('gives Istio request-success-rate exactly as Flagger writes it', () => {
    expect(builtinQuery('istio', 'request-success-rate', params)).toBe(
      'sum(rate(istio_requests_total{reporter="destination",destination_workload_namespace="test",destination_workload=~"podinfo",response_code!~"5.*"}[1m])) / sum(rate(istio_requests_total{reporter="destination",destination_workload_namespace="test",destination_workload=~"podinfo"}[1m])) * 100',
    );
  });

  it('gives Istio request-duration exactly as Flagger writes it', () => {
    expect(builtinQuery('istio', 'request-duration', { ...params, interval: '30s' })).toBe(
      'histogram_quantile(0.99, sum(rate(istio_request_duration_milliseconds_bucket{reporter="destination",destination_workload_namespace="test",destination_workload=~"podinfo"}[30s])) by (le))',
    );
  });

  it('gives the Linkerd queries', () => {
    expect(builtinQuery('linkerd', 'request-success-rate', params)).toBe(
      'sum(rate(response_total{namespace="test",deployment=~"podinfo",classification!="failure",direction="inbound"}[1m])) / sum(rate(response_total{namespace="test",deployment=~"podinfo",direction="inbound"}[1m])) * 100',
    );
    expect(builtinQuery('linkerd', 'request-duration', params)).toBe(
      'histogram_quantile(0.99, sum(rate(response_latency_ms_bucket{namespace="test",deployment=~"podinfo",direction="inbound"}[1m])) by (le))',
    );
  });

  it.each(['gatewayapi:v1', 'gatewayapi:v1beta1'])(
    "gives Flagger's HTTP observer queries for %s, durations in ms",
    (mesh) => {
      const pods = 'kubernetes_namespace="test",kubernetes_pod_name=~"podinfo-[0-9a-zA-Z]+(-[0-9a-zA-Z]+)"';
      expect(builtinQuery(mesh, 'request-success-rate', params)).toBe(
        `sum(rate(http_request_duration_seconds_count{${pods},status!~"5.*"}[1m])) / sum(rate(http_request_duration_seconds_count{${pods}}[1m])) * 100`,
      );
      expect(builtinQuery(mesh, 'request-duration', params)).toBe(
        `histogram_quantile(0.99, sum(rate(http_request_duration_seconds_bucket{${pods}}[1m])) by (le)) * 1000`,
      );
    },
  );

  it('covers every builtin metric for both meshes', () => {
    for (const mesh of ['istio', 'linkerd']) {
      for (const name of BUILTIN_METRIC_NAMES)
        expect(builtinQuery(mesh, name, params)).toContain('"podinfo"');
    }
  });

  it('rejects a mesh without a catalogue, naming it and the meshes that have one', () => {
    expect(() => builtinQuery('contour', 'request-success-rate', params)).toThrow(BuiltinQueryError);
    expect(() => builtinQuery('contour', 'request-success-rate', params)).toThrow(
      `builtin metric "request-success-rate" is not available for provider "contour" (builtin queries exist for: ${BUILTIN_QUERY_MESHES.join(', ')}); use a MetricTemplate`,
    );
    expect(() => builtinQuery('constructor', 'request-duration', params)).toThrow(BuiltinQueryError);
  });

  it("uses Flagger's HTTP observer queries for kubernetes, the duration in ms", () => {
    const pod = 'kubernetes_namespace="test",kubernetes_pod_name=~"podinfo-[0-9a-zA-Z]+(-[0-9a-zA-Z]+)"';
    expect(builtinQuery('kubernetes', 'request-success-rate', params)).toBe(
      `sum(rate(http_request_duration_seconds_count{${pod},status!~"5.*"}[1m])) / sum(rate(http_request_duration_seconds_count{${pod}}[1m])) * 100`,
    );
    expect(builtinQuery('kubernetes', 'request-duration', params)).toBe(
      `histogram_quantile(0.99, sum(rate(http_request_duration_seconds_bucket{${pod}}[1m])) by (le)) * 1000`,
    );
  });

  it("uses the NGINX ingress controller's metrics of the user's Ingress for nginx, the duration in ms", () => {
    const sel = 'namespace="test",ingress="podinfo",canary!=""';
    const nginx = { ...params, ingress: 'podinfo' };
    expect(builtinQuery('nginx', 'request-success-rate', nginx)).toBe(
      `sum(rate(nginx_ingress_controller_requests{${sel},status!~"5.*"}[1m])) / sum(rate(nginx_ingress_controller_requests{${sel}}[1m])) * 100`,
    );
    expect(builtinQuery('nginx', 'request-duration', nginx)).toBe(
      `sum(rate(nginx_ingress_controller_response_duration_seconds_sum{${sel}}[1m])) / sum(rate(nginx_ingress_controller_response_duration_seconds_count{${sel}}[1m])) * 1000`,
    );
    expect(() => builtinQuery('nginx', 'request-duration', params)).toThrow(
      'the NGINX builtin metrics need spec.ingressRef.name',
    );
  });

  it('gives an SMI form naming linkerd the Linkerd queries, and refuses one naming no mesh with a catalogue', () => {
    for (const name of BUILTIN_METRIC_NAMES) {
      expect(builtinQuery('smi:v1alpha2:linkerd', name, params)).toBe(builtinQuery('linkerd', name, params));
    }
    expect(() => builtinQuery('smi:v1alpha2', 'request-success-rate', params)).toThrow(
      `builtin metric "request-success-rate" is not available for provider "smi:v1alpha2" (builtin queries exist for: ${BUILTIN_QUERY_MESHES.join(', ')}); use a MetricTemplate`,
    );
    expect(() => builtinQuery('smi:v1alpha3:osm', 'request-duration', params)).toThrow(BuiltinQueryError);
  });

  it('rejects a name that is not builtin', () => {
    expect(() => builtinQuery('istio', 'error-rate', params)).toThrow('"error-rate" is not a builtin metric');
    expect(isBuiltinMetric('request-duration')).toBe(true);
    expect(isBuiltinMetric('latency')).toBe(false);
  });
});
