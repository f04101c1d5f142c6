import { parseRequestTotals, resourceName } from '../../../bench/apiserver-metrics.js';

const METRICS = `# HELP apiserver_request_total [STABLE] Counter of apiserver requests
# TYPE apiserver_request_total counter
apiserver_request_total{code="200",component="apiserver",dry_run="",group="fledge.dev",resource="canaries",scope="resource",subresource="status",verb="PATCH",version="v1alpha1"} 12
apiserver_request_total{code="409",component="apiserver",dry_run="",group="fledge.dev",resource="canaries",scope="resource",subresource="status",verb="PATCH",version="v1alpha1"} 3
apiserver_request_total{code="201",component="apiserver",dry_run="",group="events.k8s.io",resource="events",scope="resource",subresource="",verb="POST",version="v1"} 7
apiserver_request_total{code="200",component="apiserver",dry_run="",group="",resource="services",scope="namespace",subresource="",verb="LIST",version="v1"} 2
apiserver_request_total{code="200",component="apiserver",dry_run="",group="",resource="services",scope="cluster",subresource="",verb="LIST",version="v1"} 5
apiserver_request_total{code="200",component="",dry_run="",group="",resource="",scope="",subresource="/metrics",verb="GET",version=""} 40
apiserver_request_duration_seconds_count{verb="GET"} 99
`;

describe('parseRequestTotals', () => {
  it('sums the counters by verb and resource over codes and versions, keeping all-namespace requests apart', () => {
    expect(parseRequestTotals(METRICS)).toEqual({
      'PATCH canaries.fledge.dev/status': 15,
      'POST events.events.k8s.io': 7,
      'LIST services': 2,
      'LIST services (all namespaces)': 5,
    });
  });

  it('names resources as kubectl does', () => {
    expect(resourceName({ resource: 'deployments', group: 'apps', subresource: '' })).toBe(
      'deployments.apps',
    );
    expect(resourceName({ resource: 'services', group: '' })).toBe('services');
  });
});
