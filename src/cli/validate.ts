/**
 * `fledge validate FILE...`: checks Canary, MetricTemplate and AlertProvider manifests offline, with
 * the same rules the controller applies, and prints one line per problem:
 *
 *     examples/bad.yaml:14:7: Canary test/podinfo: spec.analysis.stepWeights[2]: must be greater than the previous step (30 <= 40)
 *
 * Documents of other API groups (a Deployment next to its Canary) are skipped and counted. Reading
 * files is kept apart from judging them: {@link parseManifests} and {@link checkManifests} are pure.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Command } from 'commander';
import { isMap, isScalar, isSeq, LineCounter, parseAllDocuments, type Document } from 'yaml';
import { formatFieldError, validateDocument, type FieldError } from '../api/validate.js';
import { KINDS } from '../api/kinds.js';
import { GROUP } from '../api/schema/common.js';
import type { Canary } from '../api/schema/canary.js';
import type { MetricTemplate } from '../api/schema/metric-template.js';
import { DEFAULT_METRIC_INTERVAL, generatedNames } from '../api/defaults.js';
import {
  renderTemplate,
  TemplateRenderError,
  UnknownTemplateVariableError,
} from '../../analysis/template.js';

/** Exit code of `fledge validate`: every Fledge document is valid. */
export const EXIT_VALID = 0;
/** Exit code of `fledge validate`: at least one problem was printed. */
export const EXIT_INVALID = 1;
/** Exit code of `fledge validate`: no paths, or a path that cannot be read; nothing was validated. */
export const EXIT_USAGE = 2;

/** Where a command writes; `fledge validate` sends problems and the summary to stdout, usage errors to stderr. */
export interface CommandOutput {
  stdout(line: string): void;
  stderr(line: string): void;
}

/** API groups whose documents are validated; Flagger's is checked so a migration gets its hint. */
const CHECKED_GROUPS = [GROUP, 'flagger.app'];
const YAML_FILE = /\.ya?ml$/i;

/** One problem in one file. */
export interface Finding {
  file: string;
  /** 1-based position of the offending field (or of its closest parent present in the file). */
  line?: number;
  col?: number;
  /** `Canary test/podinfo`; empty for a YAML syntax error. */
  subject: string;
  error: FieldError;
}

/** A document read from a file, with what is needed to point at its fields. */
export interface ParsedManifest {
  file: string;
  value: unknown;
  document: Document.Parsed;
  lineCounter: LineCounter;
}

/** What checking a set of manifests found. */
export interface ManifestCheck {
  findings: Finding[];
  /** Fledge (or Flagger) documents validated. */
  checked: number;
  /** Documents of other API groups, left alone. */
  skipped: number;
}

/** `FILE:LINE:COL: Kind ns/name: path: message`. */
export function formatFinding(f: Finding): string {
  const where = f.line === undefined ? f.file : `${f.file}:${f.line}:${f.col ?? 1}`;
  return `${where}: ${f.subject ? `${f.subject}: ` : ''}${formatFieldError(f.error)}`;
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
        const message = (e.message.split('\n')[0] ?? e.message).replace(/ at line \d+, column \d+:?$/, '');
        const pos = e.linePos?.[0];
        findings.push({
          file,
          line: pos?.line,
          col: pos?.col,
          subject: '',
          error: { path: '', message: `YAML syntax error: ${message}` },
        });
      }
      continue;
    }
    let value: unknown;
    try {
      value = document.toJS({ maxAliasCount: 1000 });
    } catch (err) {
      findings.push({
        file,
        subject: '',
        error: { path: '', message: `YAML error: ${(err as Error).message}` },
      });
      continue;
    }
    if (value !== null && value !== undefined) manifests.push({ file, value, document, lineCounter });
  }
  return { manifests, findings };
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

/** True for documents of the Fledge (or Flagger) API group, and for Fledge kinds missing an apiVersion. */
export function isFledgeDocument(value: unknown): boolean {
  const obj = asRecord(value);
  if (!obj) return false;
  if (typeof obj.apiVersion === 'string') {
    const slash = obj.apiVersion.indexOf('/');
    return slash > 0 && CHECKED_GROUPS.includes(obj.apiVersion.slice(0, slash));
  }
  return obj.apiVersion === undefined && KINDS.some((k) => k.kind === obj.kind);
}

function subjectOf(value: unknown): string {
  const obj = asRecord(value) ?? {};
  const meta = asRecord(obj.metadata) ?? {};
  const kind = typeof obj.kind === 'string' ? obj.kind : 'document';
  const name = typeof meta.name === 'string' ? meta.name : '(no name)';
  return typeof meta.namespace === 'string' ? `${kind} ${meta.namespace}/${name}` : `${kind} ${name}`;
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
function locate(manifest: ParsedManifest, path: string): { line: number; col: number } {
  let node: unknown = manifest.document.contents;
  let offset = (node as { range?: [number, number, number] } | null)?.range?.[0] ?? 0;
  for (const segment of splitFieldPath(path)) {
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

function namespacedKey(kind: string, namespace: string | undefined, name: string): string {
  return `${kind} ${namespace ?? 'default'}/${name}`;
}

/**
 * Checks MetricTemplates referenced from Canaries in the same set: every `{{ variables.KEY }}` of the
 * template must be given by the metric's `templateVariables`. A reference to a template that is not
 * in the set is fine: it may already be in the cluster.
 */
function checkTemplateReferences(
  canary: Canary,
  templates: ReadonlyMap<string, MetricTemplate>,
): FieldError[] {
  const errors: FieldError[] = [];
  const namespace = canary.metadata.namespace ?? 'default';
  canary.spec.analysis.metrics?.forEach((metric, i) => {
    if (!metric.templateRef) return;
    const templateNamespace = metric.templateRef.namespace ?? namespace;
    const template = templates.get(
      namespacedKey('MetricTemplate', templateNamespace, metric.templateRef.name),
    );
    if (!template) return;
    const source = `MetricTemplate ${templateNamespace}/${metric.templateRef.name}`;
    const context = {
      name: canary.metadata.name,
      namespace,
      target: canary.spec.targetRef.name,
      service: generatedNames(canary.spec).apex,
      interval: metric.interval ?? DEFAULT_METRIC_INTERVAL,
      variables: metric.templateVariables ?? {},
    };
    try {
      renderTemplate(template.spec.query, context, source);
    } catch (err) {
      if (!(err instanceof TemplateRenderError)) throw err;
      const path = `spec.analysis.metrics[${i}]`;
      if (err instanceof UnknownTemplateVariableError && err.variable.startsWith('variables.')) {
        const key = err.variable.slice('variables.'.length);
        errors.push({
          path: `${path}.templateVariables`,
          message: `${source} uses {{ ${err.variable} }}: set templateVariables.${key}`,
        });
      } else {
        errors.push({ path: `${path}.templateRef`, message: err.message });
      }
    }
  });
  return errors;
}

/**
 * Validates every Fledge document of a set of manifests, then the rules that span documents: no
 * object defined twice in one file, and template variables provided by the Canaries that use a
 * template. The same object in two files is fine (kustomize bases and overlays).
 */
export function checkManifests(manifests: readonly ParsedManifest[]): ManifestCheck {
  const findings: Finding[] = [];
  const seen = new Map<string, ParsedManifest>();
  const canaries: ParsedManifest[] = [];
  const templates = new Map<string, MetricTemplate>();
  let checked = 0;
  let skipped = 0;
  const report = (m: ParsedManifest, error: FieldError) =>
    findings.push({ file: m.file, ...locate(m, error.path), subject: subjectOf(m.value), error });

  for (const manifest of manifests) {
    if (!isFledgeDocument(manifest.value)) {
      skipped++;
      continue;
    }
    checked++;
    const errors = validateDocument(manifest.value);
    errors.forEach((e) => report(manifest, e));
    if (errors.length > 0) continue;
    const obj = manifest.value as Canary | MetricTemplate;
    const key = namespacedKey(obj.kind, obj.metadata.namespace, obj.metadata.name);
    const first = seen.get(`${manifest.file}\0${key}`);
    if (first) {
      const at = locate(first, 'metadata.name');
      report(manifest, {
        path: 'metadata.name',
        message: `defined twice in this file (also at line ${at.line})`,
      });
      continue;
    }
    seen.set(`${manifest.file}\0${key}`, manifest);
    if (obj.kind === 'Canary') canaries.push(manifest);
    if (obj.kind === 'MetricTemplate') templates.set(key, obj);
  }
  for (const manifest of canaries) {
    checkTemplateReferences(manifest.value as Canary, templates).forEach((e) => report(manifest, e));
  }
  return { findings, checked, skipped };
}

/** Files named on the command line, directories expanded to their YAML files (recursive, sorted). */
async function expandPaths(paths: readonly string[]): Promise<{ files: string[]; problems: string[] }> {
  const files: string[] = [];
  const problems: string[] = [];
  for (const path of paths) {
    try {
      if ((await stat(path)).isDirectory()) {
        const entries = await readdir(path, { recursive: true, withFileTypes: true });
        const found = entries
          .filter((e) => e.isFile() && YAML_FILE.test(e.name))
          .map((e) => join(e.parentPath, e.name))
          .sort();
        if (found.length === 0) problems.push(`no .yaml or .yml files under ${path}`);
        files.push(...found);
      } else {
        files.push(path);
      }
    } catch (err) {
      problems.push(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  }
  return { files: [...new Set(files)], problems };
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/**
 * Validates manifest files and directories. Returns the exit code: {@link EXIT_VALID},
 * {@link EXIT_INVALID} when any document has a problem, {@link EXIT_USAGE} when there is nothing to
 * read or a path cannot be read (nothing is validated then).
 */
export async function validateFiles(paths: string[], out: CommandOutput): Promise<number> {
  if (paths.length === 0) {
    out.stderr('fledge validate: no files given (usage: fledge validate FILE|DIR...)');
    return EXIT_USAGE;
  }
  const { files, problems } = await expandPaths(paths);
  const texts: [string, string][] = [];
  for (const file of files) {
    try {
      texts.push([file, await readFile(file, 'utf8')]);
    } catch (err) {
      problems.push(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  }
  if (problems.length > 0) {
    problems.forEach((p) => out.stderr(`fledge validate: ${p}`));
    return EXIT_USAGE;
  }

  const manifests: ParsedManifest[] = [];
  const findings: Finding[] = [];
  for (const [file, text] of texts) {
    const parsed = parseManifests(file, text);
    manifests.push(...parsed.manifests);
    findings.push(...parsed.findings);
  }
  const result = checkManifests(manifests);
  findings.push(...result.findings);
  const order = new Map(files.map((f, i) => [f, i]));
  findings.sort(
    (a, b) => (order.get(a.file) ?? 0) - (order.get(b.file) ?? 0) || (a.line ?? 0) - (b.line ?? 0),
  );
  findings.forEach((f) => out.stdout(formatFinding(f)));

  const counts = `${plural(result.checked, 'Fledge document')} checked, ${plural(result.skipped, 'other document')} skipped`;
  if (findings.length > 0) {
    const badFiles = new Set(findings.map((f) => f.file)).size;
    out.stdout(
      `${plural(findings.length, 'problem')} in ${badFiles} of ${plural(files.length, 'file')} (${counts})`,
    );
    return EXIT_INVALID;
  }
  out.stdout(`${plural(files.length, 'file')} valid (${counts})`);
  return EXIT_VALID;
}

/** Writes lines to the process's stdout and stderr. */
export const PROCESS_OUTPUT: CommandOutput = {
  stdout: (line) => process.stdout.write(`${line}\n`),
  stderr: (line) => process.stderr.write(`${line}\n`),
};

/** Adds `fledge validate [FILE|DIR...]`; the action sets `process.exitCode`. */
export function registerValidateCommand(program: Command, out: CommandOutput = PROCESS_OUTPUT): Command {
  return program
    .command('validate')
    .description(
      'check Canary, MetricTemplate and AlertProvider manifests offline (directories: every *.yaml/*.yml)',
    )
    .argument('[paths...]', 'manifest files or directories')
    .action(async (paths: string[]) => {
      process.exitCode = await validateFiles(paths, out);
    });
}
