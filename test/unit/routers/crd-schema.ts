/**
 * Checks objects against the real Istio CRD schemas (from `FLEDGE_CRDS_DIR`, default
 * `../shared/crds` beside the repository, where CI places it). The API server silently prunes unknown fields, which would hide a misspelt
 * one; here every object node of the schema is closed, so an unknown field is an error.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import { parseAllDocuments } from 'yaml';

export const CRDS_DIR = process.env.FLEDGE_CRDS_DIR ?? resolve(process.cwd(), '../shared/crds');

type Schema = Record<string, unknown>;

const isSchema = (v: unknown): v is Schema => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A copy of the schema where objects with declared properties reject any other field. */
function closed(schema: Schema): Schema {
  const out: Schema = { ...schema };
  if (isSchema(schema.properties)) {
    out.properties = Object.fromEntries(
      Object.entries(schema.properties).map(([k, v]) => [k, isSchema(v) ? closed(v) : v]),
    );
    if (schema.additionalProperties === undefined && !schema['x-kubernetes-preserve-unknown-fields']) {
      out.additionalProperties = false;
    }
  }
  if (isSchema(schema.items)) out.items = closed(schema.items);
  if (isSchema(schema.additionalProperties)) out.additionalProperties = closed(schema.additionalProperties);
  return out;
}

const ajv = new Ajv({ allErrors: true, strict: false, validateFormats: false });
const validators = new Map<string, ValidateFunction>();

function validatorFor(file: string, version: string): ValidateFunction {
  const cacheKey = `${file}@${version}`;
  const cached = validators.get(cacheKey);
  if (cached) return cached;
  const docs = parseAllDocuments(readFileSync(join(CRDS_DIR, file), 'utf8')).map((d) => d.toJS() as Schema);
  const crd = docs.find((d) => d?.kind === 'CustomResourceDefinition') as
    { spec: { versions: { name: string; schema: { openAPIV3Schema: Schema } }[] } } | undefined;
  const found = crd?.spec.versions.find((v) => v.name === version);
  if (!found) throw new Error(`${file}: no CRD version ${version}`);
  const root = found.schema.openAPIV3Schema;
  // The API server adds these to every CRD schema.
  const implicit = { apiVersion: { type: 'string' }, kind: { type: 'string' }, metadata: { type: 'object' } };
  const validate = ajv.compile(
    closed({ ...root, properties: { ...implicit, ...(root.properties as Schema) } }),
  );
  validators.set(cacheKey, validate);
  return validate;
}

const FILES: Record<string, string> = {
  VirtualService: 'istio-virtualservices.yaml',
  DestinationRule: 'istio-destinationrules.yaml',
  TrafficSplit: 'smi-trafficsplits.yaml',
  HTTPRoute: 'gateway-api-httproutes.yaml',
};

/** Schema errors of an Istio object (empty when valid), each as `path: message`. */
export function istioSchemaErrors(object: { apiVersion: string; kind: string }): string[] {
  const kind = object.kind;
  const file = FILES[kind];
  if (!file) throw new Error(`no CRD file known for kind ${kind}`);
  const validate = validatorFor(file, object.apiVersion.split('/')[1] ?? '');
  if (validate(object)) return [];
  return (validate.errors ?? []).map(
    (e) => `${kind} ${e.instancePath || '/'}: ${e.message ?? 'invalid'} ${JSON.stringify(e.params)}`,
  );
}
