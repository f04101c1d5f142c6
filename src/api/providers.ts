/**
 * Provider strings. Most are one word (`istio`, `linkerd`); Flagger's SMI forms name the
 * TrafficSplit version and, optionally, the mesh behind it: `smi:v1alpha2` or `smi:v1alpha2:osm`.
 * The mesh part does not change the objects written; it only says which mesh's builtin metrics
 * apply.
 */

/** The SMI TrafficSplit versions Flagger writes, one provider form each. */
export const SMI_VERSIONS = ['v1alpha1', 'v1alpha2', 'v1alpha3'] as const;
export type SmiVersion = (typeof SMI_VERSIONS)[number];

/** `smi:<version>` optionally followed by `:<mesh>` (a lower-case word such as `linkerd`, `osm`). */
const SMI_FORM = /^smi:(v1alpha[123])(?::([a-z0-9][a-z0-9-]*))?$/;

/** How the SMI forms are written, for a message about one that is not. */
export const SMI_FORMS_HINT =
  'SMI providers are smi:v1alpha1, smi:v1alpha2 or smi:v1alpha3, optionally followed by :<mesh> in lower case, e.g. smi:v1alpha2:linkerd';

/** The parts of a provider string. */
export interface ProviderParts {
  /** The provider without its mesh qualifier: what selects the router (`smi:v1alpha2`, `istio`). */
  family: string;
  /** The mesh named after an SMI version (`smi:v1alpha2:linkerd` gives `linkerd`), if any. */
  mesh?: string;
}

/** Splits a provider string; a string that is not an SMI form is its own family. */
export function parseProvider(provider: string): ProviderParts {
  const m = SMI_FORM.exec(provider);
  if (!m) return { family: provider };
  return { family: `smi:${m[1] as string}`, ...(m[2] ? { mesh: m[2] } : {}) };
}

/** The provider without its mesh qualifier (see {@link parseProvider}). */
export function providerFamily(provider: string): string {
  return parseProvider(provider).family;
}

/**
 * The mesh whose telemetry the builtin metrics read: the provider itself, or the mesh named after
 * an SMI version (`smi:v1alpha1:linkerd` reads Linkerd's). An SMI form without a mesh has none.
 */
export function metricsMeshOf(provider: string): string | undefined {
  const { family, mesh } = parseProvider(provider);
  return family.startsWith('smi:') ? mesh : family;
}

/** Whether the provider routes through an SMI TrafficSplit (`linkerd` and the `smi:` forms). */
export function isTrafficSplitProvider(provider: string): boolean {
  const family = providerFamily(provider);
  return family === 'linkerd' || family.startsWith('smi:');
}
