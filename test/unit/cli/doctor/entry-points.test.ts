/**
 * Entry-point findings: the Gateways an HTTPRoute's parentRefs name, the IngressClass of an NGINX
 * canary's Ingress; checked alone and through `runDoctor` over the in-memory cluster with the
 * objects the routers write.
 */
import { resolveCanary } from '../../../../src/api/defaults.js';
import type { CanarySpec } from '../../../../src/api/schema/canary.js';
import { runDoctor } from '../../../../src/cli/ops/doctor/doctor.js';
import {
  checkGatewayParents,
  checkIngressClass,
  DEFAULT_CLASS_ANNOTATION,
  gatewayParents,
  type IngressClass,
} from '../../../../src/cli/ops/doctor/entry-points.js';
import type { KubeObject } from '../../../../src/kube/cluster.js';
import { MemoryCluster } from '../../../../src/kube/memory/memory-cluster.js';
import { API } from '../../../../src/kube/resources.js';
import type { HttpRoute } from '../../../../src/routers/gateway-api-objects.js';
import { GatewayApiRouter } from '../../../../src/routers/gateway-api.js';
import type { Ingress } from '../../../../src/routers/nginx-objects.js';
import { NginxRouter } from '../../../../src/routers/nginx.js';
import { canaryObject, ingressTo, TARGETS } from '../../routers/fixtures.js';

function route(parentRefs: NonNullable<HttpRoute['spec']>['parentRefs']): HttpRoute {
  return { ...API.httpRoute, metadata: { name: 'podinfo', namespace: 'test' }, spec: { parentRefs } };
}

function ingressClass(name: string, isDefault = false): IngressClass {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'IngressClass',
    metadata: { name, ...(isDefault ? { annotations: { [DEFAULT_CLASS_ANNOTATION]: 'true' } } : {}) },
    spec: { controller: 'k8s.io/ingress-nginx' },
  };
}

function ingress(className?: string, annotations?: Record<string, string>): Ingress {
  const base = ingressTo('test', 'podinfo', 'podinfo', 9898);
  return {
    ...base,
    metadata: { ...base.metadata, ...(annotations ? { annotations } : {}) },
    spec: { ...base.spec, ...(className ? { ingressClassName: className } : {}) },
  };
}

describe('gatewayParents', () => {
  it("completes the route's namespace and skips parents that are not Gateways", () => {
    const parents = gatewayParents(
      route([
        { group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'public' },
        { group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'edge', namespace: 'istio-ingress' },
        { group: '', kind: 'Service', name: 'podinfo' },
      ]),
    );
    expect(parents).toEqual(['test/public', 'istio-ingress/edge']);
  });
});

describe('checkGatewayParents', () => {
  const parents = route([
    { group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'edge', namespace: 'istio-ingress' },
  ]);

  it('names a Gateway that does not exist', () => {
    expect(checkGatewayParents({ httpRoute: parents, existingGateways: new Set() })).toEqual([
      {
        severity: 'error',
        area: 'routing',
        object: 'HTTPRoute test/podinfo',
        saw: 'parentRefs names Gateway istio-ingress/edge, which does not exist: the route is attached to nothing and no request follows its split',
        fix: 'create Gateway istio-ingress/edge or fix spec.service.gatewayRefs in the Canary',
      },
    ]);
  });

  it('finds nothing when the Gateway exists, or when there is no HTTPRoute to judge', () => {
    expect(
      checkGatewayParents({ httpRoute: parents, existingGateways: new Set(['istio-ingress/edge']) }),
    ).toEqual([]);
    expect(checkGatewayParents({ httpRoute: undefined, existingGateways: new Set() })).toEqual([]);
  });
});

describe('checkIngressClass', () => {
  it('names a class that does not exist, listing those that do', () => {
    const [finding, ...rest] = checkIngressClass({
      ingress: ingress('nginx-internal'),
      ingressClasses: [ingressClass('nginx'), ingressClass('alb')],
    });
    expect(rest).toEqual([]);
    expect(finding).toMatchObject({ severity: 'error', area: 'routing', object: 'Ingress test/podinfo' });
    expect(finding?.saw).toBe(
      'spec.ingressClassName names IngressClass nginx-internal, which does not exist: no ingress controller serves this Ingress or its canary copy',
    );
    expect(finding?.fix).toContain('to a class that exists: one of alb, nginx');
  });

  it('says when no class exists at all', () => {
    const [finding] = checkIngressClass({ ingress: ingress('nginx'), ingressClasses: [] });
    expect(finding?.fix).toContain('(none exists: is the ingress controller installed?)');
  });

  it('names an Ingress without a class while no class is the default', () => {
    const [finding, ...rest] = checkIngressClass({
      ingress: ingress(),
      ingressClasses: [ingressClass('nginx')],
    });
    expect(rest).toEqual([]);
    expect(finding?.saw).toBe(
      `names no IngressClass (spec.ingressClassName) and no IngressClass is marked default (${DEFAULT_CLASS_ANNOTATION}): no ingress controller serves this Ingress or its canary copy`,
    );
  });

  it('finds nothing for an existing class, a default class, the legacy annotation, or classes it could not list', () => {
    const classes = [ingressClass('nginx')];
    expect(checkIngressClass({ ingress: ingress('nginx'), ingressClasses: classes })).toEqual([]);
    expect(checkIngressClass({ ingress: ingress(), ingressClasses: [ingressClass('nginx', true)] })).toEqual(
      [],
    );
    expect(
      checkIngressClass({
        ingress: ingress(undefined, { 'kubernetes.io/ingress.class': 'nginx' }),
        ingressClasses: [],
      }),
    ).toEqual([]);
    expect(checkIngressClass({ ingress: ingress('nginx'), ingressClasses: undefined })).toEqual([]);
    expect(checkIngressClass({ ingress: undefined, ingressClasses: [] })).toEqual([]);
  });
});

describe('runDoctor with the entry-point checks', () => {
  const STATUS = { phase: 'Initialized' as const, canaryWeight: 0 };

  function resolved(
    provider: string,
    spec: Partial<CanarySpec> = {},
    service: Partial<CanarySpec['service']> = {},
  ) {
    const object = canaryObject(service);
    return resolveCanary(
      { ...object, spec: { ...object.spec, provider, ...spec }, status: STATUS },
      { defaultProvider: 'istio' },
    );
  }

  const doctor = (memory: MemoryCluster, canary: ReturnType<typeof resolved>) =>
    runDoctor(canary, {
      cluster: memory,
      providerFor: () => ({ query: async () => 1 }),
      istioRootNamespace: 'istio-system',
    });

  it('reports the missing Gateway of a Gateway API canary, and nothing once it exists', async () => {
    const memory = new MemoryCluster();
    const canary = resolved(
      'gatewayapi:v1',
      {},
      { gatewayRefs: [{ name: 'edge', namespace: 'istio-ingress' }] },
    );
    const router = new GatewayApiRouter({ cluster: memory });
    await router.reconcile(canary, TARGETS);
    const missing = await doctor(memory, canary);
    expect(missing.findings.map((f) => [f.severity, f.area, f.object])).toEqual([
      ['error', 'routing', 'HTTPRoute test/podinfo'],
    ]);
    await memory.create({
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'Gateway',
      metadata: { name: 'edge', namespace: 'istio-ingress' },
    } as KubeObject);
    expect((await doctor(memory, canary)).findings).toEqual([]);
  });

  it("reports the NGINX canary's Ingress naming a class that does not exist, and nothing once it does", async () => {
    const memory = new MemoryCluster();
    await memory.create(ingress('nginx'));
    const canary = resolved('nginx', {
      ingressRef: { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', name: 'podinfo' },
    });
    await new NginxRouter({ cluster: memory }).reconcile(canary, TARGETS);
    const missing = await doctor(memory, canary);
    expect(missing.findings.map((f) => [f.severity, f.area, f.object])).toEqual([
      ['error', 'routing', 'Ingress test/podinfo'],
    ]);
    await memory.create(ingressClass('nginx'));
    expect((await doctor(memory, canary)).findings).toEqual([]);
  });
});
