/**
 * mTLS: Istio's PeerAuthentication decides what a server side accepts, the client's
 * DestinationRule what it sends. STRICT on the server with a DestinationRule that sends plain text
 * (`tls.mode: DISABLE`) or one-way TLS (`SIMPLE`) fails every request; a workload PERMISSIVE in a
 * namespace that expects STRICT accepts plain text nobody meant to allow.
 */
import type { DestinationRule } from '../../../routers/istio-objects.js';
import type { KubeObject } from '../../../kube/cluster.js';
import { nameOf, selects, type Finding } from './finding.js';

/** A `security.istio.io/v1` PeerAuthentication. */
export interface PeerAuthentication extends KubeObject {
  spec?: {
    selector?: { matchLabels?: Record<string, string> };
    mtls?: { mode?: string };
    portLevelMtls?: Record<string, { mode?: string }>;
  };
}

/** What {@link checkMtls} looks at. */
export interface MtlsInput {
  /** The Canary's namespace. */
  namespace: string;
  /** Istio's root namespace, whose selector-less PeerAuthentication is mesh-wide. */
  rootNamespace: string;
  /** PeerAuthentications of the root namespace and of the Canary's namespace. */
  peerAuthentications: PeerAuthentication[];
  /** The pod labels of the primary's and the canary's pod templates. */
  workloads: { role: 'primary' | 'canary'; labels: Record<string, string> }[];
  /** The DestinationRules of this canary as stored (those Fledge writes). */
  destinationRules: DestinationRule[];
  /**
   * Whose pods each DestinationRule (by name) sends to: host mode writes one per version; a rule not
   * named here (subset mode's) sends to both.
   */
  rulePods?: Record<string, Role[]>;
  /** `spec.service.trafficPolicy`, checked when no DestinationRule is stored yet. */
  trafficPolicy: Record<string, unknown> | undefined;
}

type Scope = 'mesh' | 'namespace' | 'workload';
type Role = 'primary' | 'canary';

interface EffectiveMode {
  mode: string;
  scope: Scope;
  source: PeerAuthentication;
}

function modeOf(pa: PeerAuthentication): string | undefined {
  const mode = pa.spec?.mtls?.mode;
  return mode && mode !== 'UNSET' ? mode : undefined;
}

function oldestFirst(a: PeerAuthentication, b: PeerAuthentication): number {
  // Istio applies the oldest policy when several claim one scope.
  return (a.metadata.creationTimestamp ?? '').localeCompare(b.metadata.creationTimestamp ?? '');
}

/** The mode a scope sets (the oldest policy of that scope), if any. */
function scopeMode(policies: PeerAuthentication[], scope: Scope): EffectiveMode | undefined {
  const source = [...policies].sort(oldestFirst).find((pa) => modeOf(pa) !== undefined);
  return source ? { mode: modeOf(source) as string, scope, source } : undefined;
}

/** The modes that apply to pods with `labels`, narrowest first: workload, namespace, mesh. */
export function modesFor(input: MtlsInput, labels: Record<string, string>): EffectiveMode[] {
  const selectorless = (pa: PeerAuthentication) => !pa.spec?.selector?.matchLabels;
  const inNs = input.peerAuthentications.filter((pa) => pa.metadata.namespace === input.namespace);
  const inRoot = input.peerAuthentications.filter((pa) => pa.metadata.namespace === input.rootNamespace);
  const workload = inNs.filter(
    (pa) =>
      !selectorless(pa) &&
      Object.keys(pa.spec?.selector?.matchLabels ?? {}).length > 0 &&
      selects(pa.spec?.selector?.matchLabels, labels),
  );
  return [
    scopeMode(workload, 'workload'),
    scopeMode(inNs.filter(selectorless), 'namespace'),
    input.namespace === input.rootNamespace ? undefined : scopeMode(inRoot.filter(selectorless), 'mesh'),
  ].filter((m): m is EffectiveMode => m !== undefined);
}

/** The TLS modes a traffic policy sends with: its own and each port's. */
function tlsModes(policy: Record<string, unknown> | undefined): string[] {
  const modes: string[] = [];
  const own = (policy?.tls as { mode?: unknown } | undefined)?.mode;
  if (typeof own === 'string') modes.push(own);
  const ports = policy?.portLevelSettings;
  if (Array.isArray(ports)) {
    for (const p of ports as { tls?: { mode?: unknown } }[]) {
      if (typeof p?.tls?.mode === 'string') modes.push(p.tls.mode);
    }
  }
  return modes;
}

const PLAIN = new Set(['DISABLE', 'SIMPLE']);

/** Finds mTLS settings that break the canary's traffic or weaken what the namespace expects. */
export function checkMtls(input: MtlsInput): Finding[] {
  const findings: Finding[] = [];
  const strict = input.workloads
    .map((w) => ({ w, mode: modesFor(input, w.labels)[0] }))
    .filter((x) => x.mode?.mode === 'STRICT');
  const policies: { object: string; roles: Role[]; policy: Record<string, unknown> | undefined }[] =
    input.destinationRules.length > 0
      ? input.destinationRules.map((dr) => ({
          object: nameOf(dr),
          roles: input.rulePods?.[dr.metadata.name] ?? ['primary', 'canary'],
          policy: dr.spec?.trafficPolicy,
        }))
      : [{ object: 'spec.service.trafficPolicy', roles: ['primary', 'canary'], policy: input.trafficPolicy }];
  for (const { object, roles, policy } of policies) {
    const bad = tlsModes(policy).filter((m) => PLAIN.has(m));
    const hit = strict.filter((x) => roles.includes(x.w.role));
    const first = hit[0]?.mode;
    if (bad.length === 0 || !first) continue;
    findings.push({
      severity: 'error',
      area: 'mtls',
      object,
      saw: `sets tls.mode ${[...new Set(bad)].join(', ')} while ${nameOf(first.source)} (${first.scope} scope) makes the ${hit.map((x) => x.w.role).join(' and ')} pods accept only mutual TLS: every request through it fails`,
      fix: 'set spec.service.trafficPolicy.tls.mode to ISTIO_MUTUAL in the Canary (or remove tls), or relax the PeerAuthentication',
    });
  }
  // One finding per policy: the primary and the canary pods are usually selected together.
  const relaxed = new Map<
    PeerAuthentication,
    { roles: string[]; mode: EffectiveMode; expected: EffectiveMode }
  >();
  for (const w of input.workloads) {
    const [narrowest, ...wider] = modesFor(input, w.labels);
    const expected = wider.find((m) => m.mode === 'STRICT');
    if (!narrowest || !expected || narrowest.mode === 'STRICT') continue;
    const entry = relaxed.get(narrowest.source) ?? { roles: [], mode: narrowest, expected };
    entry.roles.push(w.role);
    relaxed.set(narrowest.source, entry);
  }
  for (const [source, { roles, mode, expected }] of relaxed) {
    findings.push({
      severity: 'warning',
      area: 'mtls',
      object: nameOf(source),
      saw: `sets ${mode.mode} for the ${roles.join(' and ')} pods (${mode.scope} scope) where ${nameOf(expected.source)} expects STRICT (${expected.scope} scope): they accept plain text`,
      fix: `set spec.mtls.mode to STRICT in ${nameOf(source)}, or delete it to inherit STRICT`,
    });
  }
  return findings;
}
