/** Flagger's podinfo Canary (test/fixtures/flagger) as a Fledge document, and its validation errors. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { API_VERSION } from '../../../src/api/schema/common.js';
import { formatFieldError, validateDocument } from '../../../src/api/validate.js';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

/** A document a test edits freely. */
export type Doc = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** A fresh copy of Flagger's podinfo Canary with Fledge's apiVersion. */
export function flaggerCanary(): Doc {
  const doc = parse(readFileSync(join(ROOT, 'test/fixtures/flagger/podinfo.yaml'), 'utf8')) as Doc;
  doc.apiVersion = API_VERSION;
  return doc;
}

/** The document's validation errors as users read them (`path: message`). */
export const errorsOf = (doc: unknown): string[] => validateDocument(doc).map(formatFieldError);
