/** Routing findings: the split against the status, host claims, subsets without pods, missing gateways. */
import {
  checkRouting,
  fullHost,
  gatewayRefs,
  type RoutingInput,
} from '../../../../src/cli/ops/doctor/routing.js';
import { routesFor } from '../../../../src/controller/weights.js';
import type { CanaryStatus } from '../../../../src/api/schema/canary.js';
import type { DestinationRule, VirtualService } from '../../../../src/routers/istio-objects.js';
import { canaryFor } from '../../routers/fixtures.js';
import { pod } from './fixtures.js';

const canary = canaryFor();

function vs(namespace: string, name: string, hosts: string[], gateways?: string[]): VirtualService {
  return {
    apiVersion: 'networking.istio.io/v1',
    kind: 'VirtualService',
    metadata: { name, namespace },
    spec: { hosts, ...(gateways ? { gateways } : {}) },
  };
}

function input(status: CanaryStatus, over: Partial<RoutingInput> = {}): RoutingInput {
  const own = vs('test', 'podinfo', ['podinfo']);
  return {
    canary,
    status,
    intended: routesFor(canary, status),
    current: { routes: routesFor(canary, status) },
    routerObject: 'VirtualService test/podinfo',
    virtualService: own,
    virtualServices: [own],
    destinationRules: [],
    pods: [],
    existingGateways: new Set(),
    ...over,
  };
}

const PROGRESSING: CanaryStatus = { phase: 'Progressing', canaryWeight: 20 };

describe('checkRouting', () => {
  it('reports nothing when the split is the intended one', () => {
    expect(checkRouting(input(PROGRESSING))).toEqual([]);
  });

  it('reports a split that differs from the status', () => {
    const [finding] = checkRouting(
      input(PROGRESSING, { current: { routes: { primary: 100, canary: 0, mirrored: false } } }),
    );
    expect(finding).toMatchObject({ severity: 'error', object: 'VirtualService test/podinfo' });
    expect(finding?.saw).toBe(
      'routes primary 100% / canary 0%, but the canary is Progressing at canary weight 20, which means primary 80% / canary 20%',
    );
  });

  it('reports a split the router cannot read, except before initialisation', () => {
    const broken = { current: { error: 'VirtualService test/podinfo not found' } };
    expect(checkRouting(input(PROGRESSING, broken))[0]?.saw).toContain(
      'cannot be read (VirtualService test/podinfo not found)',
    );
    expect(checkRouting(input({}, broken))).toEqual([]);
    expect(checkRouting(input({ phase: 'Initializing' }, broken))).toEqual([]);
  });

  it('reports another VirtualService claiming the same host on the same gateway', () => {
    const own = vs('test', 'podinfo', ['podinfo']);
    const others = [
      own,
      vs('test', 'podinfo-legacy', ['podinfo.test.svc.cluster.local']),
      vs('other', 'edge', ['podinfo.test'], ['mesh']),
      vs('test', 'public', ['podinfo'], ['public-gw']),
      vs('test', 'unrelated', ['frontend']),
    ];
    const findings = checkRouting(
      input(PROGRESSING, { virtualServices: others, existingGateways: new Set() }),
    );
    expect(findings.map((f) => f.object)).toEqual([
      'VirtualService test/podinfo-legacy',
      'VirtualService other/edge',
    ]);
    expect(findings[0]?.saw).toContain('claims host podinfo.test.svc.cluster.local on mesh');
  });

  it('reports subsets whose labels match no pod; the canary subset only while the canary runs', () => {
    const rule: DestinationRule = {
      apiVersion: 'networking.istio.io/v1',
      kind: 'DestinationRule',
      metadata: { name: 'podinfo', namespace: 'test' },
      spec: {
        host: 'podinfo',
        subsets: [
          { name: 'primary', labels: { app: 'podinfo-primary' } },
          { name: 'canary', labels: { app: 'podinfo' } },
        ],
      },
    };
    const pods = [pod('p', { app: 'podinfo-primary' }, '2026-12-01T10:00:00Z')];
    const findings = checkRouting(input(PROGRESSING, { destinationRules: [rule], pods }));
    expect(findings).toHaveLength(1);
    expect(findings[0]?.saw).toContain('subset canary selects pods labelled {"app":"podinfo"}');
    expect(checkRouting(input({ phase: 'Succeeded' }, { destinationRules: [rule], pods }))).toEqual([]);
    expect(checkRouting(input({ phase: 'Succeeded' }, { destinationRules: [rule], pods: [] }))).toHaveLength(
      1,
    );
  });

  it('reports gateways that do not exist', () => {
    const own = vs('test', 'podinfo', ['podinfo'], ['mesh', 'public-gw', 'istio-system/edge']);
    const findings = checkRouting(
      input(PROGRESSING, {
        virtualService: own,
        virtualServices: [own],
        existingGateways: new Set(['istio-system/edge']),
      }),
    );
    expect(findings.map((f) => f.saw)).toEqual([
      'binds to Gateway test/public-gw, which does not exist: traffic through it is not routed',
    ]);
  });

  it('completes hosts and gateway names as Istio does', () => {
    expect(fullHost('a', 'ns')).toBe('a.ns.svc.cluster.local');
    expect(fullHost('a.ns', 'x')).toBe('a.ns.svc.cluster.local');
    expect(fullHost('app.example.com', 'x')).toBe('app.example.com');
    expect(gatewayRefs(vs('ns', 'v', []))).toEqual(['mesh']);
    expect(gatewayRefs(vs('ns', 'v', [], ['gw', 'o/gw']))).toEqual(['ns/gw', 'o/gw']);
  });
});
