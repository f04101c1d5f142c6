/**
 * Generates each kind's CustomResourceDefinition from the schema the validator uses, so the CRDs
 * checked in under `charts/fledge/crds/` cannot drift from the TypeScript types.
 */
import type { TSchema } from '@sinclair/typebox';
import { GROUP, MESSAGE_HINT, VERSION } from './schema/common.js';
import { KINDS, type KindInfo } from './kinds.js';

type Json = Record<string, unknown>;

/**
 * Turns a TypeBox (JSON Schema) node into a Kubernetes structural schema node: no
 * `additionalProperties: false` (the API server prunes instead), maps as `additionalProperties`,
 * literal unions as `enum`, and Fledge's message hints removed.
 */
export function toStructural(node: TSchema | Json): Json {
  const src = node as Json;
  const out: Json = {};
  if (src['x-kubernetes-preserve-unknown-fields']) {
    return withDescription({ type: 'object', 'x-kubernetes-preserve-unknown-fields': true }, src);
  }
  if (src['x-kubernetes-int-or-string']) {
    return withDescription(
      { 'x-kubernetes-int-or-string': true, anyOf: [{ type: 'integer' }, { type: 'string' }] },
      src,
    );
  }
  if (Array.isArray(src.anyOf) && src.anyOf.every((b: Json) => 'const' in b)) {
    return withDescription({ type: 'string', enum: src.anyOf.map((b: Json) => b.const) }, src);
  }
  if ('const' in src) return withDescription({ type: typeof src.const, enum: [src.const] }, src);
  for (const [key, value] of Object.entries(src)) {
    if (key === MESSAGE_HINT || key === '$id') continue;
    if (key === 'additionalProperties' && typeof value === 'boolean') continue;
    if (key === 'properties') {
      out.properties = Object.fromEntries(
        Object.entries(value as Record<string, Json>).map(([k, v]) => [k, toStructural(v)]),
      );
    } else if (key === 'patternProperties') {
      const [inner] = Object.values(value as Record<string, Json>);
      out.additionalProperties = toStructural(inner as Json);
    } else if (key === 'items') {
      out.items = toStructural(value as Json);
    } else {
      out[key] = value;
    }
  }
  return out;
}

function withDescription(out: Json, src: Json): Json {
  return typeof src.description === 'string' ? { description: src.description, ...out } : out;
}

/** The CustomResourceDefinition object for one kind. */
export function crdFor(info: KindInfo): Json {
  const schema = toStructural(info.schema) as { properties: Json };
  const { spec, status } = schema.properties as { spec: Json; status?: Json };
  const properties: Json = {
    apiVersion: { type: 'string' },
    kind: { type: 'string' },
    metadata: { type: 'object' },
    spec,
  };
  if (status) properties.status = status;
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${info.plural}.${GROUP}` },
    spec: {
      group: GROUP,
      names: {
        kind: info.kind,
        listKind: `${info.kind}List`,
        plural: info.plural,
        singular: info.singular,
        ...(info.shortNames.length > 0 ? { shortNames: info.shortNames } : {}),
        categories: ['fledge'],
      },
      scope: 'Namespaced',
      versions: [
        {
          name: VERSION,
          served: true,
          storage: true,
          ...(info.hasStatus ? { subresources: { status: {} } } : {}),
          additionalPrinterColumns: info.printerColumns,
          schema: { openAPIV3Schema: { type: 'object', required: ['spec'], properties } },
        },
      ],
    },
  };
}

/** Every Fledge CRD, keyed by file name. */
export function allCrds(): Map<string, Json> {
  return new Map(KINDS.map((k) => [`${k.plural}.yaml`, crdFor(k)]));
}
