/**
 * Reads a rendered chart as RBAC: which requests the rules bound to one ServiceAccount allow, with
 * the API server's matching (group, resource or resource/subresource, verb, and a Role only in its
 * own namespace). Wildcards are not matched on purpose: the chart must name what it grants.
 */
import { parseAllDocuments } from 'yaml';
import type { AccessRequirement } from '../../src/controller/preflight.js';

/** One object of a rendered manifest. */
export interface RenderedObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; annotations?: Record<string, string> };
  [field: string]: unknown;
}

/** A PolicyRule of a Role or ClusterRole. */
export interface PolicyRule {
  apiGroups?: string[];
  resources?: string[];
  verbs: string[];
}

interface Binding extends RenderedObject {
  roleRef: { kind: string; name: string };
  subjects?: { kind: string; name: string; namespace?: string }[];
}

/** The objects of a multi-document YAML stream (empty documents dropped). */
export function parseManifest(text: string): RenderedObject[] {
  return parseAllDocuments(text)
    .map((doc) => doc.toJS() as RenderedObject | null)
    .filter((o): o is RenderedObject => o !== null && typeof o === 'object');
}

/** The rules bound to a ServiceAccount, each with the namespace it applies in (undefined: all). */
export function rulesFor(
  objects: RenderedObject[],
  account: { namespace: string; name: string },
): { namespace: string | undefined; rule: PolicyRule }[] {
  const found: { namespace: string | undefined; rule: PolicyRule }[] = [];
  for (const binding of objects.filter((o): o is Binding => o.kind.endsWith('RoleBinding'))) {
    const bound = (binding.subjects ?? []).some(
      (s) => s.kind === 'ServiceAccount' && s.name === account.name && s.namespace === account.namespace,
    );
    if (!bound) continue;
    const bindingNamespace = binding.kind === 'RoleBinding' ? binding.metadata.namespace : undefined;
    const role = objects.find(
      (o) =>
        o.kind === binding.roleRef.kind &&
        o.metadata.name === binding.roleRef.name &&
        (o.kind === 'ClusterRole' || o.metadata.namespace === bindingNamespace),
    );
    for (const rule of (role?.['rules'] as PolicyRule[] | undefined) ?? [])
      found.push({ namespace: bindingNamespace, rule });
  }
  return found;
}

/** Whether the rules allow the request. */
export function allows(rules: { namespace: string | undefined; rule: PolicyRule }[], r: AccessRequirement) {
  const resource = r.subresource ? `${r.resource}/${r.subresource}` : r.resource;
  return rules.some(
    ({ namespace, rule }) =>
      (namespace === undefined || namespace === r.namespace) &&
      (rule.apiGroups ?? []).includes(r.group) &&
      (rule.resources ?? []).includes(resource) &&
      rule.verbs.includes(r.verb),
  );
}
