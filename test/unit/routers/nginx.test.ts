/** The NGINX router's canary Ingress: the copy, the annotations per strategy, idempotence, take-over. */
import { resolveCanary, type ResolvedCanary } from '../../../src/api/defaults.js';
import type { CanarySpec } from '../../../src/api/schema/canary.js';
import { MemoryCluster } from '../../../src/kube/memory/memory-cluster.js';
import { API, objectKey } from '../../../src/kube/resources.js';
import type { Ingress } from '../../../src/routers/nginx-objects.js';
import { NginxRouter } from '../../../src/routers/nginx.js';
import { ORIGINAL_CONFIGURATION_ANNOTATION } from '../../../src/routers/owned-object.js';
import { RouterError } from '../../../src/routers/router.js';
import { NAMESPACE, TARGETS, UID, canaryObject, ingressTo } from './fixtures.js';

const P = 'nginx.ingress.kubernetes.io';
const USER_KEY = objectKey(API.ingress, NAMESPACE, 'podinfo');
const CANARY_KEY = objectKey(API.ingress, NAMESPACE, 'podinfo-canary');

const writes = (cluster: MemoryCluster): number =>
  cluster.requests.create + cluster.requests.patch + cluster.requests.replace + cluster.requests.delete;

/** The user's Ingress: host app.example.com to the apex Service podinfo, and a static backend. */
const USER_INGRESS: Ingress = ingressTo(NAMESPACE, 'podinfo', 'podinfo', 9898);
USER_INGRESS.metadata.labels = { app: 'podinfo' };
USER_INGRESS.metadata.annotations = {
  'kubernetes.io/ingress.class': 'nginx',
  'kubectl.kubernetes.io/last-applied-configuration': '{}',
  [`${P}/proxy-body-size`]: '8m',
};
USER_INGRESS.spec!.ingressClassName = 'nginx';
USER_INGRESS.spec!.rules![0]!.http!.paths!.push({
  path: '/static',
  pathType: 'Prefix',
  backend: { service: { name: 'cdn', port: { number: 80 } } },
});
USER_INGRESS.spec!.tls = [{ hosts: ['app.example.com'], secretName: 'app-tls' }];

const BLUE_GREEN: Partial<CanarySpec['analysis']> = {
  iterations: 5,
  stepWeight: undefined,
  maxWeight: undefined,
};

/** A Canary with `provider: nginx` and `ingressRef` podinfo. */
function nginxCanary(analysis: Partial<CanarySpec['analysis']> = {}, uid = UID): ResolvedCanary {
  const object = canaryObject({}, analysis, uid);
  object.spec.provider = 'nginx';
  object.spec.ingressRef = { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', name: 'podinfo' };
  return resolveCanary(object, { defaultProvider: 'istio' });
}

async function setup(annotationsPrefix?: string) {
  const cluster = new MemoryCluster();
  await cluster.create(structuredClone(USER_INGRESS));
  return { cluster, router: new NginxRouter({ cluster, annotationsPrefix }) };
}

async function canaryIngress(cluster: MemoryCluster): Promise<Ingress> {
  return (await cluster.get<Ingress>(CANARY_KEY))!;
}

describe('NginxRouter.reconcile', () => {
  it("writes a copy of the user's Ingress to the canary Service, switched off, and leaves the user's alone", async () => {
    const { cluster, router } = await setup();
    const userBefore = await cluster.get(USER_KEY);
    await router.reconcile(nginxCanary(), TARGETS);

    const copy = await canaryIngress(cluster);
    expect(copy.metadata.labels).toEqual({ app: 'podinfo' });
    expect(copy.metadata.annotations).toEqual({
      'kubernetes.io/ingress.class': 'nginx',
      [`${P}/proxy-body-size`]: '8m',
      [`${P}/canary`]: 'false',
    });
    expect(copy.metadata.ownerReferences).toEqual([
      expect.objectContaining({ kind: 'Canary', uid: UID, controller: true }),
    ]);
    expect(copy.spec?.ingressClassName).toBe('nginx');
    expect(copy.spec?.tls).toEqual(USER_INGRESS.spec?.tls);
    const paths = copy.spec?.rules?.[0]?.http?.paths ?? [];
    expect(paths.map((p) => p.backend?.service?.name)).toEqual(['podinfo-canary', 'cdn']);
    expect(await cluster.get(USER_KEY)).toEqual(userBefore);
    expect(await router.getRoutes(nginxCanary())).toEqual({ primary: 100, canary: 0, mirrored: false });
  });

  it('writes nothing on a second reconcile, and follows a change of the user Ingress', async () => {
    const { cluster, router } = await setup();
    const canary = nginxCanary();
    await router.reconcile(canary, TARGETS);
    await router.setRoutes(canary, { primary: 80, canary: 20, mirrored: false });
    const before = writes(cluster);
    await router.reconcile(canary, TARGETS);
    await router.setRoutes(canary, { primary: 80, canary: 20, mirrored: false });
    expect(writes(cluster)).toBe(before);

    const user = (await cluster.get<Ingress>(USER_KEY))!;
    user.spec!.rules![0]!.host = 'www.example.com';
    await cluster.replace(user);
    await router.reconcile(canary, TARGETS);
    const copy = await canaryIngress(cluster);
    expect(copy.spec?.rules?.[0]?.host).toBe('www.example.com');
    // The split it stored is kept.
    expect(copy.metadata.annotations?.[`${P}/canary-weight`]).toBe('20');
  });

  it('refuses an Ingress with no backend to the apex Service, naming it', async () => {
    const { cluster, router } = await setup();
    const user = (await cluster.get<Ingress>(USER_KEY))!;
    user.spec!.rules![0]!.http!.paths = [user.spec!.rules![0]!.http!.paths![1]!];
    await cluster.replace(user);
    await expect(router.reconcile(nginxCanary(), TARGETS)).rejects.toThrow(
      'Ingress test/podinfo (spec.ingressRef) has no backend service podinfo',
    );
  });

  it('refuses a missing Ingress and a missing ingressRef', async () => {
    const { router } = await setup();
    const noRef = resolveCanary(canaryObject(), { defaultProvider: 'nginx' });
    await expect(router.checkOwnership(noRef)).rejects.toThrow(
      'Canary test/podinfo: spec.ingressRef is required with provider nginx',
    );
    const other = nginxCanary();
    other.spec.ingressRef = { kind: 'Ingress', name: 'absent' };
    await expect(router.reconcile(other, TARGETS)).rejects.toThrow(
      'Ingress test/absent (spec.ingressRef) not found',
    );
  });
});

describe('NginxRouter routes', () => {
  it('carries the canary and blue/green split in canary-weight, and switches off at 0', async () => {
    const { cluster, router } = await setup();
    const canary = nginxCanary();
    await router.reconcile(canary, TARGETS);
    await router.setRoutes(canary, { primary: 70, canary: 30, mirrored: false });
    expect((await canaryIngress(cluster)).metadata.annotations).toMatchObject({
      [`${P}/canary`]: 'true',
      [`${P}/canary-weight`]: '30',
    });
    expect(await router.getRoutes(canary)).toEqual({ primary: 70, canary: 30, mirrored: false });

    await router.setRoutes(canary, { primary: 100, canary: 0, mirrored: false });
    const off = (await canaryIngress(cluster)).metadata.annotations ?? {};
    expect(off[`${P}/canary`]).toBe('false');
    expect(off[`${P}/canary-weight`]).toBeUndefined();

    const blueGreen = nginxCanary(BLUE_GREEN);
    await router.setRoutes(blueGreen, { primary: 0, canary: 100, mirrored: false });
    expect(await router.getRoutes(blueGreen)).toEqual({ primary: 0, canary: 100, mirrored: false });
  });

  it('routes A/B matches by header and cookie, without a weight', async () => {
    const { cluster, router } = await setup();
    const canary = nginxCanary({
      iterations: 10,
      match: [
        { headers: { 'x-canary': { exact: 'insider' } } },
        { headers: { cookie: { exact: 'canary' } } },
      ],
    });
    await router.reconcile(canary, TARGETS);
    await router.setRoutes(canary, { primary: 0, canary: 100, mirrored: false });
    const annotations = (await canaryIngress(cluster)).metadata.annotations ?? {};
    expect(annotations).toMatchObject({
      [`${P}/canary`]: 'true',
      [`${P}/canary-by-header`]: 'x-canary',
      [`${P}/canary-by-header-value`]: 'insider',
      [`${P}/canary-by-cookie`]: 'canary',
    });
    expect(annotations[`${P}/canary-weight`]).toBeUndefined();
    expect(await router.getRoutes(canary)).toEqual({ primary: 0, canary: 100, mirrored: false });
  });

  it('maps a regex header to canary-by-header-pattern, and drops the weight left by a canary run', async () => {
    const { cluster, router } = await setup();
    await router.setRoutes(nginxCanary(), { primary: 50, canary: 50, mirrored: false });
    const ab = nginxCanary({
      iterations: 10,
      match: [{ headers: { 'user-agent': { regex: '.*Firefox.*' } } }],
    });
    await router.setRoutes(ab, { primary: 0, canary: 100, mirrored: false });
    const annotations = (await canaryIngress(cluster)).metadata.annotations ?? {};
    expect(annotations[`${P}/canary-by-header`]).toBe('user-agent');
    expect(annotations[`${P}/canary-by-header-pattern`]).toBe('.*Firefox.*');
    expect(annotations[`${P}/canary-weight`]).toBeUndefined();

    // Back to the canary strategy: the A/B annotations go, or NGINX would still route by header.
    await router.setRoutes(nginxCanary(), { primary: 90, canary: 10, mirrored: false });
    const back = (await canaryIngress(cluster)).metadata.annotations ?? {};
    expect(Object.keys(back).filter((k) => k.startsWith(`${P}/canary`))).toEqual([
      `${P}/canary`,
      `${P}/canary-weight`,
    ]);
  });

  it('refuses matches NGINX cannot express', async () => {
    const { router } = await setup();
    const ab = nginxCanary({ iterations: 10, match: [{ uri: { prefix: '/api' } }] });
    await expect(router.checkOwnership(ab)).rejects.toThrow(
      'spec.analysis.match[0].uri: is not supported with provider nginx',
    );
  });

  it('reads back a weight someone else changed, so the next setRoutes puts it back', async () => {
    const { cluster, router } = await setup();
    const canary = nginxCanary();
    await router.setRoutes(canary, { primary: 80, canary: 20, mirrored: false });
    await cluster.patch(CANARY_KEY, { metadata: { annotations: { [`${P}/canary-weight`]: '0' } } });
    expect(await router.getRoutes(canary)).toEqual({ primary: 100, canary: 0, mirrored: false });
    await router.setRoutes(canary, { primary: 80, canary: 20, mirrored: false });
    expect(await router.getRoutes(canary)).toEqual({ primary: 80, canary: 20, mirrored: false });
  });

  it('refuses a malformed weight and a mirror it cannot carry', async () => {
    const { cluster, router } = await setup();
    const canary = nginxCanary();
    await router.setRoutes(canary, { primary: 80, canary: 20, mirrored: false });
    await cluster.patch(CANARY_KEY, { metadata: { annotations: { [`${P}/canary-weight`]: '20%' } } });
    await expect(router.getRoutes(canary)).rejects.toThrow(
      `Ingress test/podinfo-canary: annotation ${P}/canary-weight must be an integer from 0 to 100 (got "20%")`,
    );
    await expect(router.setRoutes(canary, { primary: 100, canary: 0, mirrored: true })).rejects.toThrow(
      RouterError,
    );
  });

  it('writes the annotations under the configured prefix', async () => {
    const { cluster, router } = await setup('nginx.example.com');
    await router.setRoutes(nginxCanary(), { primary: 60, canary: 40, mirrored: false });
    const annotations = (await canaryIngress(cluster)).metadata.annotations ?? {};
    expect(annotations['nginx.example.com/canary-weight']).toBe('40');
    // The user's own annotations under NGINX's default prefix are copied as they are.
    expect(annotations[`${P}/proxy-body-size`]).toBe('8m');
    expect(() => new NginxRouter({ cluster, annotationsPrefix: 'nginx.example.com/' })).toThrow(
      'must be a DNS subdomain',
    );
  });
});

describe('NginxRouter ownership, take-over and finalize', () => {
  it('refuses a canary Ingress another controller controls, writing nothing', async () => {
    const { cluster, router } = await setup();
    await cluster.create({
      ...structuredClone(USER_INGRESS),
      metadata: {
        name: 'podinfo-canary',
        namespace: NAMESPACE,
        ownerReferences: [
          { apiVersion: 'flagger.app/v1beta1', kind: 'Canary', name: 'other', uid: 'u2', controller: true },
        ],
      },
    });
    const before = writes(cluster);
    await expect(router.checkOwnership(nginxCanary())).rejects.toThrow(
      'Ingress test/podinfo-canary is controlled by',
    );
    expect(writes(cluster)).toBe(before);
  });

  it('saves a canary Ingress the user made and restores it on finalize', async () => {
    const { cluster, router } = await setup();
    const mine: Ingress = {
      ...structuredClone(USER_INGRESS),
      metadata: {
        name: 'podinfo-canary',
        namespace: NAMESPACE,
        annotations: { [`${P}/canary`]: 'true', note: 'mine' },
      },
    };
    await cluster.create(mine);
    const canary = nginxCanary();
    await router.reconcile(canary, TARGETS);
    await router.setRoutes(canary, { primary: 90, canary: 10, mirrored: false });
    const taken = await canaryIngress(cluster);
    expect(taken.metadata.annotations?.[ORIGINAL_CONFIGURATION_ANNOTATION]).toBeDefined();
    expect(taken.metadata.ownerReferences).toBeUndefined();

    await router.finalize(canary);
    const restored = await canaryIngress(cluster);
    expect(restored.metadata.annotations).toEqual({ [`${P}/canary`]: 'true', note: 'mine' });
    expect(restored.spec).toEqual(USER_INGRESS.spec);
  });

  it('switches off a canary Ingress it created on finalize', async () => {
    const { cluster, router } = await setup();
    const canary = nginxCanary();
    await router.setRoutes(canary, { primary: 50, canary: 50, mirrored: false });
    await router.finalize(canary);
    expect((await canaryIngress(cluster)).metadata.annotations?.[`${P}/canary`]).toBe('false');
    expect(await router.getRoutes(canary)).toEqual({ primary: 100, canary: 0, mirrored: false });
  });
});
