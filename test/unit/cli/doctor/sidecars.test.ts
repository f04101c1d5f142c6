/** Sidecar injection findings: namespace labels, pods without the proxy, pods older than injection. */
import { checkSidecars, hasProxy, injectionFor } from '../../../../src/cli/ops/doctor/sidecars.js';
import { deployment, namespaceObject, pod } from './fixtures.js';

const PRIMARY = deployment('podinfo-primary', { app: 'podinfo-primary' });
const CANARY = deployment('podinfo', { app: 'podinfo' });

function input(
  ns = namespaceObject({ 'istio-injection': 'enabled' }),
  pods = [
    pod('podinfo-primary-a', { app: 'podinfo-primary' }, '2026-12-01T10:00:00Z'),
    pod('podinfo-b', { app: 'podinfo' }, '2026-12-01T10:05:00Z'),
  ],
) {
  return {
    provider: 'istio',
    namespace: ns,
    workloads: [
      {
        role: 'primary' as const,
        deployment: PRIMARY,
        pods: pods.filter((p) => p.metadata.labels?.app === 'podinfo-primary'),
      },
      {
        role: 'canary' as const,
        deployment: CANARY,
        pods: pods.filter((p) => p.metadata.labels?.app === 'podinfo'),
      },
    ],
    namespacePods: pods,
  };
}

describe('checkSidecars', () => {
  it('reports nothing when the namespace is labelled and every pod has the proxy', () => {
    expect(checkSidecars(input())).toEqual([]);
  });

  it('accepts istio.io/rev and native sidecars (an init container istio-proxy)', () => {
    const pods = [
      pod('podinfo-primary-a', { app: 'podinfo-primary' }, '2026-12-01T10:00:00Z', ['app'], ['istio-proxy']),
      pod('podinfo-b', { app: 'podinfo' }, '2026-12-01T10:05:00Z'),
    ];
    expect(checkSidecars(input(namespaceObject({ 'istio.io/rev': 'canary' }), pods))).toEqual([]);
  });

  it('names each Deployment when the namespace has no injection label', () => {
    const findings = checkSidecars(input(namespaceObject()));
    expect(findings.map((f) => [f.severity, f.object])).toEqual([
      ['error', 'Deployment test/podinfo-primary'],
      ['error', 'Deployment test/podinfo'],
    ]);
    expect(findings[0]?.saw).toContain('does not ask for istio-proxy injection');
    expect(findings[0]?.fix).toContain('kubectl label namespace test istio-injection=enabled');
  });

  it('reports injection switched off by istio-injection=disabled', () => {
    const findings = checkSidecars(input(namespaceObject({ 'istio-injection': 'disabled' })));
    expect(findings[0]?.saw).toContain('switched off');
  });

  it('counts a pod template that opts in, in a namespace without the label', () => {
    const optIn = deployment(
      'podinfo-primary',
      { app: 'podinfo-primary' },
      { labels: { 'sidecar.istio.io/inject': 'true' } },
    );
    const i = input(namespaceObject());
    i.workloads[0] = { ...i.workloads[0]!, deployment: optIn };
    expect(checkSidecars(i).map((f) => f.object)).toEqual(['Deployment test/podinfo']);
  });

  it('tells a pod created before injection worked from one the injector skipped', () => {
    const pods = [
      pod('podinfo-primary-old', { app: 'podinfo-primary' }, '2026-12-01T09:00:00Z', ['app']),
      pod('podinfo-primary-new', { app: 'podinfo-primary' }, '2026-12-01T10:00:00Z'),
      pod('podinfo-skipped', { app: 'podinfo' }, '2026-12-01T11:00:00Z', ['app']),
    ];
    const findings = checkSidecars(input(undefined, pods));
    expect(findings.map((f) => f.object)).toEqual([
      'Pod test/podinfo-primary-old',
      'Pod test/podinfo-skipped',
    ]);
    expect(findings[0]?.saw).toContain('before injection was working');
    expect(findings[0]?.saw).toContain('2026-12-01T10:00:00.000Z');
    expect(findings[0]?.fix).toContain('kubectl rollout restart deployment/podinfo-primary -n test');
    expect(findings[1]?.saw).toContain('the injector did not run for it');
  });

  it('says so when no pod of the namespace has the proxy', () => {
    const pods = [pod('podinfo-primary-a', { app: 'podinfo-primary' }, '2026-12-01T10:00:00Z', ['app'])];
    const [finding] = checkSidecars(input(undefined, pods));
    expect(finding?.saw).toContain('no pod in the namespace has one');
  });

  it('reads linkerd.io/inject for Linkerd and the SMI forms naming linkerd; none for ingress providers', () => {
    expect(injectionFor('linkerd')?.container).toBe('linkerd-proxy');
    expect(injectionFor('smi:v1alpha2:linkerd')?.container).toBe('linkerd-proxy');
    expect(injectionFor('nginx')).toBeUndefined();
    const i = { ...input(namespaceObject({}, { 'linkerd.io/inject': 'enabled' })), provider: 'linkerd' };
    const findings = checkSidecars(i);
    expect(findings.map((f) => f.saw)).toEqual([
      expect.stringContaining('has no linkerd-proxy'),
      expect.stringContaining('has no linkerd-proxy'),
    ]);
    expect(checkSidecars({ ...input(namespaceObject()), provider: 'nginx' })).toEqual([]);
  });

  it('hasProxy looks at containers and init containers', () => {
    expect(hasProxy(pod('a', {}, 'x', ['app']), 'istio-proxy')).toBe(false);
    expect(hasProxy(pod('a', {}, 'x', ['app'], ['istio-proxy']), 'istio-proxy')).toBe(true);
  });
});
