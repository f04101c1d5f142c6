/**
 * Reading manifests for `fledge validate`: YAML documents with what is needed to point at a field
 * (`file:line:col`), and the findings printed for them. Pure: no file system.
 */
import {
  isAlias,
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  parseAllDocuments,
  visit,
  type Document,
  type Node,
} from 'yaml';
import { formatFieldError, truncate, type FieldError } from '../api/field-error.js';

/** One problem (or warning) in one file. */
export interface Finding {
  file: string;
  /** 1-based position of the offending field (or of its closest parent present in the file). */
  line?: number;
  col?: number;
  /** `Canary test/podinfo`; empty for a YAML syntax error. */
  subject: string;
  error: FieldError;
  /** A warning: printed, but `fledge validate` still exits 0. */
  warning?: boolean;
}

/** A document read from a file, with what is needed to point at its fields. */
export interface ParsedManifest {
  file: string;
  value: unknown;
  document: Document.Parsed;
  lineCounter: LineCounter;
}

/** `FILE:LINE:COL: [warning: ]Kind ns/name: path: message`. */
export function formatFinding(f: Finding): string {
  const where = f.line === undefined ? f.file : `${f.file}:${f.line}:${f.col ?? 1}`;
  return `${where}: ${f.warning ? 'warning: ' : ''}${f.subject ? `${f.subject}: ` : ''}${formatFieldError(f.error)}`;
}

/** Aliases per document, at most: past it `toJS` refuses (a billion-laughs document). */
const MAX_ALIAS_COUNT = 1000;

/** The YAML library's own wording for what went wrong, in the user's terms. */
function yamlMessage(message: string): string {
  const first = (message.split('\n')[0] ?? message).replace(/ at line \d+, column \d+:?$/, '');
  if (/Maximum call stack size exceeded/.test(first)) return 'nested too deeply to parse';
  return truncate(first, 200);
}

/** The alias a `toJS` failure is about: the one named in the message, else the first one. */
function offendingAlias(document: Document.Parsed, message: string): Node | undefined {
  const named = /alias[^:]*: (\S+)$/.exec(message)?.[1];
  let first: Node | undefined;
  let match: Node | undefined;
  visit(document, {
    Alias(_key, node) {
      first ??= node;
      if (named !== undefined && node.source === named) {
        match = node;
        return visit.BREAK;
      }
      return undefined;
    },
  });
  return match ?? first;
}

/** Splits a YAML stream into documents; syntax errors become findings with their position. */
export function parseManifests(
  file: string,
  text: string,
): { manifests: ParsedManifest[]; findings: Finding[] } {
  const lineCounter = new LineCounter();
  const manifests: ParsedManifest[] = [];
  const findings: Finding[] = [];
  for (const document of parseAllDocuments(text, { lineCounter, prettyErrors: true })) {
    if (document.errors.length > 0) {
      for (const e of document.errors) {
        const pos = e.linePos?.[0];
        findings.push({
          file,
          line: pos?.line,
          col: pos?.col,
          subject: '',
          error: { path: '', message: `YAML syntax error: ${yamlMessage(e.message)}` },
        });
      }
      continue;
    }
    let value: unknown;
    try {
      value = document.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    } catch (err) {
      const message = (err as Error).message;
      const alias = offendingAlias(document, message);
      const offset = alias?.range?.[0] ?? document.contents?.range?.[0] ?? 0;
      const excessive = /Excessive alias count/.test(message);
      findings.push({
        file,
        ...lineCounter.linePos(offset),
        subject: '',
        error: {
          path: '',
          message: excessive
            ? `YAML error: aliases expand to too many nodes (more than ${MAX_ALIAS_COUNT} alias expansions), refused as a resource exhaustion attack`
            : `YAML error: ${yamlMessage(message)}`,
        },
      });
      continue;
    }
    if (value !== null && value !== undefined) manifests.push({ file, value, document, lineCounter });
  }
  return { manifests, findings };
}

/** `spec.analysis.stepWeights[2]` to `['spec', 'analysis', 'stepWeights', 2]`. */
export function splitFieldPath(path: string): (string | number)[] {
  const segments: (string | number)[] = [];
  const token = /([A-Za-z_][\w-]*)|\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\]|\./gy;
  let m: RegExpExecArray | null;
  while (token.lastIndex < path.length && (m = token.exec(path)) !== null) {
    if (m[1] !== undefined) segments.push(m[1]);
    else if (m[2] !== undefined) segments.push(Number(m[2]));
    else if (m[3] !== undefined) segments.push(JSON.parse(m[3]) as string);
  }
  return segments;
}

/** Position of the field at `path`, or of the deepest parent that exists in the source. */
export function locate(manifest: ParsedManifest, path: string): { line: number; col: number } {
  let node: unknown = manifest.document.contents;
  let offset = (node as { range?: [number, number, number] } | null)?.range?.[0] ?? 0;
  for (const segment of splitFieldPath(path)) {
    if (isAlias(node)) node = node.resolve(manifest.document);
    if (isMap(node)) {
      const pair = node.items.find((p) => (isScalar(p.key) ? p.key.value : p.key) === segment);
      if (!pair) break;
      offset = (isScalar(pair.key) ? pair.key.range?.[0] : undefined) ?? offset;
      node = pair.value;
    } else if (isSeq(node) && typeof segment === 'number') {
      const item: unknown = node.items[segment];
      if (!item) break;
      offset = (item as { range?: [number, number, number] }).range?.[0] ?? offset;
      node = item;
    } else {
      break;
    }
  }
  return manifest.lineCounter.linePos(offset);
}
