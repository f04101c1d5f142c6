/**
 * The NGINX router against a real kube-apiserver (the local control plane): every canary Ingress it
 * writes (created, weighted, A/B, back off, taken over and restored) is accepted by the API server's
 * own validation of networking.k8s.io/v1 Ingresses, and its merge patches remove the annotations they
 * must. The run uses its own random namespace and deletes it afterwards.
 */
import type { ResolvedCanary } from '../../../src/api/defaults.js';
import type { Canary } from '../../../src/api/schema/canary.js';
import { API, objectKey } from '../../../src/kube/resources.js';
import type { Ingress } from '../../../src/routers/nginx-objects.js';
import { NginxRouter } from '../../../src/routers/nginx.js';
import { ORIGINAL_CONFIGURATION_ANNOTATION } from '../../../src/routers/owned-object.js';
import { ROUTE_TARGETS as TARGETS, useApiServerNamespace } from '../../support/router-api-server.js';
import { ingressTo } from '../../unit/routers/fixtures.js';

const P = 'nginx.ingress.kubernetes.io';
const server = useApiServerNamespace('fledge-nginx');
const { namespace } = server;
const connected = () => server.cluster();

function userIngress(name: string): Ingress {
  const ingress = ingressTo(namespace, name, 'podinfo', 80);
  ingress.metadata.labels = { app: 'podinfo' };
  ingress.metadata.annotations = { [`${P}/proxy-body-size`]: '8m' };
  ingress.spec!.ingressClassName = 'nginx';
  ingress.spec!.tls = [{ hosts: ['app.example.com'], secretName: 'app-tls' }];
  return ingress;
}

/** An NGINX Canary of the Ingress `ingress`, stored in the API server (for its uid). */
const storedCanary = (name: string, ingress: string, analysis: Partial<Canary['spec']['analysis']>) =>
  server.storeCanary(name, {
    provider: 'nginx',
    targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'podinfo' },
    ingressRef: { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', name: ingress },
    service: { port: 80, name: 'podinfo' },
    analysis: { interval: '1m', threshold: 5, ...analysis },
  });

async function annotationsOf(canary: ResolvedCanary): Promise<Record<string, string>> {
  const key = objectKey(API.ingress, namespace, `${canary.spec.ingressRef!.name}-canary`);
  return (await connected().get<Ingress>(key))?.metadata.annotations ?? {};
}

describe('NginxRouter on a real API server', () => {
  it('writes the canary Ingress through a canary rollout, and the API server accepts each write', async () => {
    await connected().create(userIngress('web'));
    const router = new NginxRouter({ cluster: connected() });
    const canary = await storedCanary('web', 'web', { stepWeight: 10, maxWeight: 50 });
    await router.checkOwnership(canary);
    await router.reconcile(canary, TARGETS);
    const created = (await connected().get<Ingress>(objectKey(API.ingress, namespace, 'web-canary')))!;
    expect(created.spec?.rules?.[0]?.http?.paths?.[0]?.backend?.service?.name).toBe('podinfo-canary');
    expect(created.metadata.ownerReferences?.[0]).toMatchObject({ kind: 'Canary', uid: canary.uid });
    expect(await annotationsOf(canary)).toEqual({ [`${P}/proxy-body-size`]: '8m', [`${P}/canary`]: 'false' });

    await router.setRoutes(canary, { primary: 70, canary: 30, mirrored: false });
    expect(await router.getRoutes(canary)).toEqual({ primary: 70, canary: 30, mirrored: false });
    await router.setRoutes(canary, { primary: 100, canary: 0, mirrored: false });
    // The merge patch removed the weight: NGINX ignores a canary Ingress that is off.
    expect(await annotationsOf(canary)).toEqual({ [`${P}/proxy-body-size`]: '8m', [`${P}/canary`]: 'false' });
    // The user's Ingress is never written.
    expect(
      (await connected().get<Ingress>(objectKey(API.ingress, namespace, 'web')))?.metadata.generation,
    ).toBe(1);
  }, 60_000);

  it('writes the A/B annotations, and takes over and restores a canary Ingress the user made', async () => {
    await connected().create(userIngress('shop'));
    const mine = userIngress('shop-canary');
    mine.metadata.annotations = { note: 'mine' };
    await connected().create(mine);
    const router = new NginxRouter({ cluster: connected() });
    const canary = await storedCanary('shop', 'shop', {
      iterations: 10,
      match: [
        { headers: { 'x-canary': { regex: '^insider$' } } },
        { headers: { cookie: { exact: 'canary' } } },
      ],
    });
    await router.reconcile(canary, TARGETS);
    await router.setRoutes(canary, { primary: 0, canary: 100, mirrored: false });
    const annotations = await annotationsOf(canary);
    expect(annotations).toMatchObject({
      [`${P}/canary`]: 'true',
      [`${P}/canary-by-header`]: 'x-canary',
      [`${P}/canary-by-header-pattern`]: '^insider$',
      [`${P}/canary-by-cookie`]: 'canary',
    });
    expect(annotations[ORIGINAL_CONFIGURATION_ANNOTATION]).toBeDefined();
    expect(await router.getRoutes(canary)).toEqual({ primary: 0, canary: 100, mirrored: false });

    await router.finalize(canary);
    const restored = (await connected().get<Ingress>(objectKey(API.ingress, namespace, 'shop-canary')))!;
    expect(restored.metadata.annotations).toEqual({ note: 'mine' });
    expect(restored.spec?.rules?.[0]?.http?.paths?.[0]?.backend?.service?.name).toBe('podinfo');
  }, 60_000);
});
