import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { parse, parseAllDocuments } from 'yaml';
import { allCrds } from '../../../src/api/crd.js';
import { KINDS } from '../../../src/api/kinds.js';
import { API_VERSION } from '../../../src/api/schema/common.js';
import { CRD_HEADER, findStaleCrds, renderCrds } from '../../../src/cli/crds.js';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const CRDS_DIR = join(ROOT, 'charts/fledge/crds');
const EXAMPLES_DIR = join(ROOT, 'examples');

type Json = Record<string, unknown>;

/** Keys a `JSONSchemaProps` of apiextensions.k8s.io/v1 accepts, minus the ones v1 forbids. */
const ALLOWED_KEYS = new Set([
  'description',
  'type',
  'format',
  'title',
  'default',
  'maximum',
  'exclusiveMaximum',
  'minimum',
  'exclusiveMinimum',
  'maxLength',
  'minLength',
  'pattern',
  'maxItems',
  'minItems',
  'uniqueItems',
  'multipleOf',
  'enum',
  'maxProperties',
  'minProperties',
  'required',
  'items',
  'anyOf',
  'properties',
  'additionalProperties',
  'nullable',
  'example',
  'x-kubernetes-preserve-unknown-fields',
  'x-kubernetes-embedded-resource',
  'x-kubernetes-int-or-string',
  'x-kubernetes-list-map-keys',
  'x-kubernetes-list-type',
  'x-kubernetes-map-type',
  'x-kubernetes-validations',
]);
const TYPES = new Set(['object', 'array', 'string', 'integer', 'number', 'boolean']);

/**
 * Problems that would make the API server reject the schema or treat it as non-structural
 * (https://kubernetes.io/docs/tasks/extend-kubernetes/custom-resources/custom-resource-definitions/#specifying-a-structural-schema).
 * Stricter than the server where Fledge never needs the feature (no allOf/oneOf/not at all).
 */
function structuralProblems(node: unknown, path = ''): string[] {
  const problems: string[] = [];
  const at = path || '<root>';
  if (typeof node !== 'object' || node === null || Array.isArray(node)) return [`${at}: not a schema object`];
  const s = node as Json;
  for (const key of Object.keys(s)) {
    if (!ALLOWED_KEYS.has(key)) problems.push(`${at}: "${key}" is not allowed in a CRD schema`);
  }
  const intOrString = s['x-kubernetes-int-or-string'] === true;
  const preserve = s['x-kubernetes-preserve-unknown-fields'] === true;
  if (intOrString) {
    if ('type' in s) problems.push(`${at}: an int-or-string node must not set type`);
    if (
      'anyOf' in s &&
      JSON.stringify(s.anyOf) !== JSON.stringify([{ type: 'integer' }, { type: 'string' }])
    ) {
      problems.push(`${at}: an int-or-string anyOf must be [{type: integer}, {type: string}]`);
    }
  } else {
    if ('anyOf' in s) problems.push(`${at}: anyOf is only used for int-or-string`);
    if (typeof s.type !== 'string' || !TYPES.has(s.type)) {
      if (!preserve) problems.push(`${at}: missing or invalid type (${JSON.stringify(s.type)})`);
    }
  }
  if (preserve && s.type !== undefined && s.type !== 'object') {
    problems.push(`${at}: preserve-unknown-fields on a non-object`);
  }
  if (s.uniqueItems === true) problems.push(`${at}: uniqueItems must not be true`);
  if (s.type === 'array') {
    if (typeof s.items !== 'object' || s.items === null || Array.isArray(s.items)) {
      problems.push(`${at}: an array needs a single items schema`);
    } else {
      problems.push(...structuralProblems(s.items, `${path}[]`));
    }
  } else if ('items' in s) {
    problems.push(`${at}: items on a non-array`);
  }
  if ('additionalProperties' in s) {
    if (typeof s.additionalProperties === 'boolean') {
      problems.push(`${at}: additionalProperties must be a schema, not ${String(s.additionalProperties)}`);
    } else {
      problems.push(...structuralProblems(s.additionalProperties, `${path}{}`));
    }
    if ('properties' in s) problems.push(`${at}: properties and additionalProperties are exclusive`);
  }
  if ('properties' in s) {
    if (s.type !== 'object') problems.push(`${at}: properties on a non-object`);
    const properties = s.properties as Record<string, unknown>;
    for (const [name, child] of Object.entries(properties)) {
      problems.push(...structuralProblems(child, path ? `${path}.${name}` : name));
    }
    for (const name of (s.required as string[] | undefined) ?? []) {
      if (!(name in properties)) problems.push(`${at}: required "${name}" is not a property`);
    }
  }
  if (Array.isArray(s.enum)) {
    const jsType = s.type === 'integer' || s.type === 'number' ? 'number' : s.type;
    for (const value of s.enum) {
      if (typeof value !== jsType)
        problems.push(`${at}: enum value ${JSON.stringify(value)} is not a ${s.type}`);
    }
  }
  if (typeof s.pattern === 'string') {
    try {
      new RegExp(s.pattern, 'u');
    } catch {
      problems.push(`${at}: pattern does not compile`);
    }
  }
  return problems;
}

/** The schema node a printer column's jsonPath (`.status.phase`) points at. */
function nodeAt(schema: Json, jsonPath: string): Json | undefined {
  let node: Json | undefined = schema;
  for (const part of jsonPath.split('.').slice(1)) {
    node = (node?.properties as Record<string, Json> | undefined)?.[part];
  }
  return node;
}

function versionOf(crd: Json) {
  const spec = crd.spec as Json;
  const [version] = spec.versions as Json[];
  return version as {
    name: string;
    storage: boolean;
    subresources?: Json;
    additionalPrinterColumns: { name: string; type: string; jsonPath: string }[];
    schema: { openAPIV3Schema: Json };
  };
}

describe('structuralProblems (the checker itself)', () => {
  it('finds what the API server rejects', () => {
    const problems = structuralProblems({
      type: 'object',
      additionalProperties: false,
      properties: {
        kind: { const: 'Canary' },
        labels: { type: 'object', patternProperties: { '^.*$': { type: 'string' } } },
        port: { anyOf: [{ type: 'integer' }, { type: 'string' }] },
        list: { type: 'array' },
      },
      required: ['missing'],
    });
    expect(problems).toEqual([
      '<root>: additionalProperties must be a schema, not false',
      '<root>: properties and additionalProperties are exclusive',
      'kind: "const" is not allowed in a CRD schema',
      'kind: missing or invalid type (undefined)',
      'labels: "patternProperties" is not allowed in a CRD schema',
      'port: anyOf is only used for int-or-string',
      'port: missing or invalid type (undefined)',
      'list: an array needs a single items schema',
      '<root>: required "missing" is not a property',
    ]);
  });
});

describe('generated CRDs', () => {
  const crds = allCrds();

  it('has one CRD per kind', () => {
    expect([...crds.keys()].sort()).toEqual(KINDS.map((k) => `${k.plural}.yaml`).sort());
  });

  it.each(KINDS.map((k) => [k.kind, k] as const))('%s has a structural schema', (_kind, info) => {
    const crd = crds.get(`${info.plural}.yaml`)!;
    const version = versionOf(crd);
    expect(`${(crd.spec as Json).group}/${version.name}`).toBe(API_VERSION);
    expect(version.storage).toBe(true);
    const schema = version.schema.openAPIV3Schema;
    expect(structuralProblems(schema)).toEqual([]);
    // Only name and generateName may be constrained in metadata; Fledge leaves it to the server.
    expect((schema.properties as Json).metadata).toEqual({ type: 'object' });
  });

  it.each(KINDS.map((k) => [k.kind, k] as const))(
    '%s printer columns point at typed fields',
    (_kind, info) => {
      const version = versionOf(crds.get(`${info.plural}.yaml`)!);
      for (const column of version.additionalPrinterColumns) {
        const node = nodeAt(version.schema.openAPIV3Schema, column.jsonPath);
        // A column has no array type: kubectl prints a list as a string (Flagger's StepWeights).
        const type = node?.type === 'array' ? 'string' : node?.type;
        expect({ column: column.name, type }).toEqual({ column: column.name, type: column.type });
      }
    },
  );

  it('gives the Canary a status subresource', () => {
    expect(versionOf(crds.get('canaries.yaml')!).subresources).toEqual({ status: {} });
  });

  it('accepts every example manifest, as the API server would', () => {
    const ajv = new Ajv({ strict: false, allErrors: true });
    const byKind = new Map(
      [...crds.values()].map((crd) => [
        ((crd.spec as Json).names as Json).kind as string,
        ajv.compile(versionOf(crd).schema.openAPIV3Schema),
      ]),
    );
    let checked = 0;
    for (const file of readdirSync(EXAMPLES_DIR).filter((f) => f.endsWith('.yaml'))) {
      for (const doc of parseAllDocuments(readFileSync(join(EXAMPLES_DIR, file), 'utf8'))) {
        const value = doc.toJS() as { apiVersion: string; kind: string };
        if (value.apiVersion !== API_VERSION) continue;
        const check = byKind.get(value.kind)!;
        expect({ file, kind: value.kind, valid: check(value), errors: check.errors ?? null }).toEqual({
          file,
          kind: value.kind,
          valid: true,
          errors: null,
        });
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(5);
  });
});

describe('checked-in CRDs (charts/fledge/crds)', () => {
  it('are up to date with the schema (if not: run `npm run crds` and commit the result)', async () => {
    const stale = await findStaleCrds(CRDS_DIR);
    if (stale.length > 0) {
      throw new Error(
        `out of date: ${stale.join(', ')} in charts/fledge/crds; run \`npm run crds\` and commit the result`,
      );
    }
  });

  it('are the rendered text, with the do-not-edit header', () => {
    for (const [fileName, text] of renderCrds()) {
      expect(text.startsWith(`${CRD_HEADER}\n`)).toBe(true);
      expect(parse(text)).toEqual(allCrds().get(fileName));
      expect(readFileSync(join(CRDS_DIR, fileName), 'utf8')).toBe(text);
    }
  });
});

describe('printer columns', () => {
  it("has Flagger's Canary columns, with the same names, paths and -o wide priorities", () => {
    const flagger = parseAllDocuments(readFileSync(join(ROOT, '../shared/crds/flagger-crds.yaml'), 'utf8'))
      .map((d) => d.toJSON() as Json)
      .find(
        (d) =>
          (d['spec'] as Json | undefined)?.['names'] !== undefined &&
          JSON.stringify(d).includes('"kind":"Canary"'),
      );
    const versions = ((flagger?.['spec'] as Json)['versions'] as Json[]).find((v) => v['name'] === 'v1beta1');
    const theirs = (versions?.['additionalPrinterColumns'] as Json[]).map((c) => [
      c['name'],
      c['jsonPath'],
      c['priority'] ?? 0,
    ]);
    const ours = KINDS.find((k) => k.kind === 'Canary')!.printerColumns.map((c) => [
      c.name,
      c.jsonPath,
      c.priority ?? 0,
    ]);
    expect(ours).toEqual(theirs);
  });
});
