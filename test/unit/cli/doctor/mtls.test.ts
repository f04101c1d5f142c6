/** mTLS findings: STRICT against DISABLE/SIMPLE DestinationRules, PERMISSIVE where STRICT is expected. */
import {
  checkMtls,
  modesFor,
  type MtlsInput,
  type PeerAuthentication,
} from '../../../../src/cli/ops/doctor/mtls.js';
import type { DestinationRule } from '../../../../src/routers/istio-objects.js';

function pa(
  namespace: string,
  name: string,
  mode: string,
  matchLabels?: Record<string, string>,
  created = '2026-12-01T10:00:00Z',
): PeerAuthentication {
  return {
    apiVersion: 'security.istio.io/v1',
    kind: 'PeerAuthentication',
    metadata: { name, namespace, creationTimestamp: created },
    spec: { mtls: { mode }, ...(matchLabels ? { selector: { matchLabels } } : {}) },
  };
}

function rule(name: string, trafficPolicy?: Record<string, unknown>): DestinationRule {
  return {
    apiVersion: 'networking.istio.io/v1',
    kind: 'DestinationRule',
    metadata: { name, namespace: 'test' },
    spec: { host: name, ...(trafficPolicy ? { trafficPolicy } : {}) },
  };
}

function input(over: Partial<MtlsInput> = {}): MtlsInput {
  return {
    namespace: 'test',
    rootNamespace: 'istio-system',
    peerAuthentications: [],
    workloads: [
      { role: 'primary', labels: { app: 'podinfo-primary' } },
      { role: 'canary', labels: { app: 'podinfo' } },
    ],
    destinationRules: [rule('podinfo-primary'), rule('podinfo-canary')],
    trafficPolicy: undefined,
    ...over,
  };
}

describe('checkMtls', () => {
  it('reports nothing without PeerAuthentication, or with STRICT and ISTIO_MUTUAL', () => {
    expect(checkMtls(input())).toEqual([]);
    const strict = [pa('istio-system', 'default', 'STRICT')];
    const mutual = [rule('podinfo-primary', { tls: { mode: 'ISTIO_MUTUAL' } })];
    expect(checkMtls(input({ peerAuthentications: strict, destinationRules: mutual }))).toEqual([]);
  });

  it.each([
    ['mesh', pa('istio-system', 'default', 'STRICT')],
    ['namespace', pa('test', 'default', 'STRICT')],
    ['workload', pa('test', 'podinfo', 'STRICT', { app: 'podinfo' })],
  ])('reports a DISABLE DestinationRule under STRICT of %s scope', (scope, strict) => {
    const rules = [rule('podinfo-primary', { tls: { mode: 'DISABLE' } }), rule('podinfo-canary')];
    const findings = checkMtls(input({ peerAuthentications: [strict], destinationRules: rules }));
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({
      severity: 'error',
      area: 'mtls',
      object: 'DestinationRule test/podinfo-primary',
    });
    expect(findings[0]?.saw).toContain(
      `sets tls.mode DISABLE while PeerAuthentication ${strict.metadata.namespace}/${strict.metadata.name} (${scope} scope)`,
    );
  });

  it('finds SIMPLE in portLevelSettings, and checks spec.service.trafficPolicy before any rule is stored', () => {
    const strict = [pa('test', 'default', 'STRICT')];
    const ports = { portLevelSettings: [{ port: { number: 9898 }, tls: { mode: 'SIMPLE' } }] };
    expect(
      checkMtls(input({ peerAuthentications: strict, destinationRules: [rule('podinfo', ports)] }))[0]?.saw,
    ).toContain('tls.mode SIMPLE');
    const [finding] = checkMtls(
      input({
        peerAuthentications: strict,
        destinationRules: [],
        trafficPolicy: { tls: { mode: 'DISABLE' } },
      }),
    );
    expect(finding?.object).toBe('spec.service.trafficPolicy');
  });

  it('judges a host-mode rule by the pods it sends to', () => {
    const strict = [pa('test', 'podinfo', 'STRICT', { app: 'podinfo' })];
    const rules = [
      rule('podinfo-primary', { tls: { mode: 'DISABLE' } }),
      rule('podinfo-canary', { tls: { mode: 'DISABLE' } }),
    ];
    const rulePods = { 'podinfo-primary': ['primary' as const], 'podinfo-canary': ['canary' as const] };
    const findings = checkMtls(input({ peerAuthentications: strict, destinationRules: rules, rulePods }));
    expect(findings.map((f) => f.object)).toEqual(['DestinationRule test/podinfo-canary']);
    expect(findings[0]?.saw).toContain('makes the canary pods accept only mutual TLS');
  });

  it('lets a workload PERMISSIVE policy override STRICT, and warns about it', () => {
    const policies = [
      pa('test', 'default', 'STRICT'),
      pa('test', 'relaxed', 'PERMISSIVE', { app: 'podinfo' }),
    ];
    const rules = [rule('podinfo-canary', { tls: { mode: 'DISABLE' } })];
    const findings = checkMtls(input({ peerAuthentications: policies, destinationRules: rules }));
    // The primary is still STRICT, so the DISABLE rule breaks it; the canary accepts plain text.
    expect(findings.map((f) => [f.severity, f.object])).toEqual([
      ['error', 'DestinationRule test/podinfo-canary'],
      ['warning', 'PeerAuthentication test/relaxed'],
    ]);
    expect(findings[1]?.saw).toContain(
      'sets PERMISSIVE for the canary pods (workload scope) where PeerAuthentication test/default expects STRICT (namespace scope)',
    );
  });

  it('warns about a namespace PERMISSIVE under a mesh-wide STRICT', () => {
    const policies = [pa('istio-system', 'default', 'STRICT'), pa('test', 'default', 'PERMISSIVE')];
    const findings = checkMtls(input({ peerAuthentications: policies }));
    expect(findings.map((f) => f.object)).toEqual(['PeerAuthentication test/default']);
    expect(findings[0]?.saw).toContain('for the primary and canary pods (namespace scope)');
  });

  it('takes the oldest policy of a scope and skips UNSET', () => {
    const policies = [
      pa('test', 'newer', 'DISABLE', undefined, '2026-12-01T11:00:00Z'),
      pa('test', 'older', 'STRICT', undefined, '2026-12-01T09:00:00Z'),
      pa('test', 'unset', 'UNSET', { app: 'podinfo' }),
    ];
    expect(
      modesFor(input({ peerAuthentications: policies }), { app: 'podinfo' }).map((m) => [m.scope, m.mode]),
    ).toEqual([['namespace', 'STRICT']]);
  });
});
