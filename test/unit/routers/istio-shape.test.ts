/**
 * Odd Istio objects get named errors: a VirtualService or DestinationRule edited into an unexpected
 * shape makes the router throw a MalformedObjectError naming the object and the field, never a
 * JavaScript TypeError ("Cannot read properties of null (reading 'route')").
 */
import fc from 'fast-check';
import { MalformedObjectError } from '../../../src/kube/object-shape.js';
import { MemoryCluster } from '../../../src/kube/memory/memory-cluster.js';
import { API } from '../../../src/kube/resources.js';
import { buildVirtualService, type VirtualService } from '../../../src/routers/istio-objects.js';
import { checkDestinationRule, checkVirtualService } from '../../../src/routers/istio-shape.js';
import { IstioRouter } from '../../../src/routers/istio.js';
import { RouterError } from '../../../src/routers/router.js';
import { mutated } from '../kube/mutations.js';
import { AB_ANALYSIS, FULL_SERVICE, NAMESPACE, TARGETS, canaryFor } from './fixtures.js';

const canary = canaryFor(FULL_SERVICE, AB_ANALYSIS);
const desired = buildVirtualService(canary, { primary: 70, canary: 30, mirrored: true });
const VALID_VS: VirtualService = {
  ...API.virtualService,
  metadata: { name: 'podinfo', namespace: NAMESPACE },
  spec: desired.spec,
};

async function routerWith(vs: VirtualService) {
  const cluster = new MemoryCluster();
  await cluster.create(vs);
  return new IstioRouter({ cluster });
}

describe('odd VirtualServices', () => {
  it.each([
    ['a null http route', { http: [null] }, 'spec.http[0] must be an object, got null'],
    ['http as a map', { http: { route: [] } }, 'spec.http must be a list, got an object'],
    [
      'route as a map',
      { http: [{ route: { destination: {} } }] },
      'spec.http[0].route must be a list, got an object',
    ],
    [
      'a weight as a string',
      { http: [{ route: [{ destination: { host: 'podinfo-canary' }, weight: '50' }] }] },
      'spec.http[0].route[0].weight must be a number, got the string "50"',
    ],
    [
      'a destination without host',
      { http: [{ route: [{ destination: { subset: 'canary' } }] }] },
      'spec.http[0].route[0].destination.host is required',
    ],
    [
      'a mirror as a number',
      { http: [{ route: [], mirror: 7 }] },
      'spec.http[0].mirror must be an object, got number 7',
    ],
    ['hosts as a string', { hosts: 'podinfo' }, 'spec.hosts must be a list, got the string "podinfo"'],
  ])('%s: names the object and the field', async (_what, spec, field) => {
    const router = await routerWith({ ...VALID_VS, spec: spec as VirtualService['spec'] });
    for (const call of [
      () => router.reconcile(canary, TARGETS),
      () => router.getRoutes(canary),
      () => router.setRoutes(canary, { primary: 100, canary: 0, mirrored: false }),
    ]) {
      const err: unknown = await call().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(MalformedObjectError);
      expect((err as Error).message).toBe(`VirtualService test/podinfo: ${field}`);
    }
  });

  it('any one field replaced by an odd value: a named error or a well-formed result, never a TypeError', async () => {
    await fc.assert(
      fc.asyncProperty(mutated(VALID_VS, ['spec']), async (vs) => {
        const router = await routerWith(vs);
        for (const step of [
          () => router.reconcile(canary, TARGETS),
          () => router.getRoutes(canary),
          () => router.setRoutes(canary, { primary: 60, canary: 40, mirrored: false }),
        ]) {
          try {
            const routes = await step();
            if (routes) {
              expect(Number.isFinite(routes.primary) && Number.isFinite(routes.canary)).toBe(true);
            }
          } catch (err) {
            if (!(err instanceof MalformedObjectError || err instanceof RouterError)) throw err;
            expect(err.message).toMatch(/^VirtualService test\/podinfo/);
          }
        }
      }),
      { numRuns: 150 },
    );
  });
});

describe('odd DestinationRules', () => {
  const rule = (spec: unknown) => ({
    ...API.destinationRule,
    metadata: { name: 'podinfo-primary', namespace: NAMESPACE },
    spec,
  });

  it.each([
    ['spec as a string', 'host: podinfo', 'spec must be an object, got the string "host: podinfo"'],
    ['subsets as a map', { subsets: { primary: {} } }, 'spec.subsets must be a list, got an object'],
    ['a subset without name', { subsets: [{ labels: {} }] }, 'spec.subsets[0].name is required'],
    [
      'a label that is no string',
      { subsets: [{ name: 'a', labels: { v: 1 } }] },
      'spec.subsets[0].labels.v must be a string, got number 1',
    ],
    ['trafficPolicy as a list', { trafficPolicy: [] }, 'spec.trafficPolicy must be an object, got a list'],
  ])('%s: names the object and the field', async (_what, spec, field) => {
    expect(() => checkDestinationRule(rule(spec))).toThrow(`DestinationRule test/podinfo-primary: ${field}`);
    const cluster = new MemoryCluster();
    await cluster.create(rule(spec));
    await expect(new IstioRouter({ cluster }).reconcile(canaryFor(), TARGETS)).rejects.toThrow(
      `DestinationRule test/podinfo-primary: ${field}`,
    );
  });

  it('accepts what Fledge and Istio write', () => {
    expect(() => checkVirtualService(VALID_VS)).not.toThrow();
    expect(() =>
      checkDestinationRule(rule({ host: 'podinfo', subsets: [{ name: 'primary', labels: { app: 'p' } }] })),
    ).not.toThrow();
  });
});
