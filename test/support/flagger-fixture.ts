/** Flagger manifests kept as Flagger users write them (`test/fixtures/flagger/`). */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { API_VERSION } from '../../src/api/schema/common.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/flagger', import.meta.url));

/** A parsed document, freely edited by the tests. */
export type Doc = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** The Flagger manifest `file` with only its apiVersion changed to Fledge's. */
export function flaggerFixture(file: string): Doc {
  const doc = parse(readFileSync(join(FIXTURES, file), 'utf8')) as Doc;
  doc.apiVersion = API_VERSION;
  return doc;
}
