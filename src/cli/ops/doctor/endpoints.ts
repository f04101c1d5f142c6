/**
 * Webhooks and alert providers: can Fledge reach them? Each is probed with a HEAD request, which
 * carries no payload: no gate can open and no alert is posted, yet any HTTP answer proves the
 * address, the DNS and the network path. The probes run in `endpoint-probes.ts`; this file plans
 * them and judges the answers.
 */
import type { ResolvedCanary } from '../../../api/defaults.js';
import type { AlertProvider } from '../../../api/schema/alert-provider.js';
import type { Finding, ProbeRun } from './finding.js';

/** One address to probe. */
export interface ProbeTarget {
  area: 'webhooks' | 'alerts';
  /** `webhook NAME (TYPE)` or `alert NAME (AlertProvider ns/name)`. */
  what: string;
  /** The object a finding names. */
  object: string;
  /** The address, or why there is none. */
  url: URL | { error: string };
  /** How the address is shown: the webhook's as written, an alert provider's origin only (its path may hold a token). */
  shown: string;
  timeoutMs: number;
}

/** The answer of one probe: an HTTP status, or why none came. */
export type ProbeAnswer = { status: number; statusText: string } | { error: string };

/** An AlertProvider with the address its Secret may hold (the Secret's wins, as the notifiers do). */
export interface AlertProviderAddress {
  name: string;
  provider: AlertProvider | undefined;
  secretAddress?: string | undefined;
}

/** Probe timeout of an alert provider, as the notifiers' default send timeout. */
export const ALERT_PROBE_TIMEOUT_MS = 5_000;

function parse(address: string | undefined, field: string): URL | { error: string } {
  if (!address) return { error: `${field} is empty` };
  try {
    const url = new URL(address);
    if (url.protocol === 'http:' || url.protocol === 'https:') return url;
    return { error: `${field} is not an http(s) address` };
  } catch {
    return { error: `${field} is not a URL` };
  }
}

/** The webhooks of the Canary and the providers of its alerts, as addresses to probe. */
export function probeTargets(canary: ResolvedCanary, providers: AlertProviderAddress[]): ProbeTarget[] {
  // A built-in approval gate (fledgeApproval) has no address: nothing to probe.
  const remote = canary.analysis.webhooks.flatMap((h) => (h.url === undefined ? [] : [{ ...h, url: h.url }]));
  const targets: ProbeTarget[] = remote.map((h) => {
    const url = parse(h.url, `webhook "${h.name}" url`);
    return {
      area: 'webhooks',
      what: `webhook ${h.name} (${h.type})`,
      object: `Canary ${canary.namespace}/${canary.name}`,
      url,
      shown: url instanceof URL ? `${url.origin}${url.pathname}` : h.url,
      timeoutMs: h.timeoutMs,
    };
  });
  for (const ref of canary.analysis.alerts) {
    const namespace = ref.providerRef.namespace ?? canary.namespace;
    const object = `AlertProvider ${namespace}/${ref.providerRef.name}`;
    const found = providers.find((p) => p.name === `${namespace}/${ref.providerRef.name}`);
    const address = found?.secretAddress || found?.provider?.spec.address;
    const url = found?.provider
      ? parse(address, `${object} spec.address (or its Secret's "address")`)
      : { error: `${object} not found` };
    targets.push({
      area: 'alerts',
      what: `alert ${ref.name} (${object})`,
      object,
      url,
      shown: url instanceof URL ? url.origin : '-',
      timeoutMs: ALERT_PROBE_TIMEOUT_MS,
    });
  }
  return targets;
}

function describe(answer: ProbeAnswer): string {
  return 'status' in answer ? `HTTP ${answer.status} ${answer.statusText}`.trim() : answer.error;
}

/** The findings and the report lines of the probes, in the order of the targets. */
export function checkEndpoints(probes: { target: ProbeTarget; answer: ProbeAnswer }[]): {
  findings: Finding[];
  runs: ProbeRun[];
} {
  const findings: Finding[] = [];
  const runs: ProbeRun[] = [];
  for (const { target, answer } of probes) {
    const reachable = 'status' in answer;
    runs.push({ what: target.what, address: target.shown, answer: describe(answer), reachable });
    // A lost alert does not stop a rollout; a webhook that cannot be called fails it.
    const severity = target.area === 'webhooks' ? 'error' : 'warning';
    if (!reachable) {
      findings.push({
        severity,
        area: target.area,
        object: target.object,
        saw: `${target.what} at ${target.shown} is unreachable: ${answer.error}`,
        fix:
          target.area === 'webhooks'
            ? 'check the url (service name, namespace, port) and that the receiver runs; doctor probes from where it runs, the controller from its pod'
            : 'check the provider address (or its Secret) and the egress from the cluster',
      });
    } else if (answer.status >= 500) {
      findings.push({
        severity: 'warning',
        area: target.area,
        object: target.object,
        saw: `${target.what} at ${target.shown} answers ${describe(answer)}`,
        fix: 'the receiver is up but failing: check its logs',
      });
    }
  }
  return { findings, runs };
}
