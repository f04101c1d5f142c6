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
import { checkDocument, type FieldError } from '../api/validate.js';
import { formatFinding, locate, parseManifests, type Finding, type ParsedManifest } from './manifests.js';
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

export {
  formatFinding,
  parseManifests,
  splitFieldPath,
  type Finding,
  type ParsedManifest,
} from './manifests.js';

/** What checking a set of manifests found. */
export interface ManifestCheck {
  findings: Finding[];
  /** Fledge (or Flagger) documents validated. */
  checked: number;
  /** Documents of other API groups, left alone. */
  skipped: number;
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
      ingress: canary.spec.ingressRef?.name ?? canary.spec.targetRef.name,
      route: canary.spec.routeRef?.name ?? canary.spec.targetRef.name,
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
  const report = (m: ParsedManifest, error: FieldError, warning = false) =>
    findings.push({
      file: m.file,
      ...locate(m, error.path),
      subject: subjectOf(m.value),
      error,
      ...(warning ? { warning } : {}),
    });

  for (const manifest of manifests) {
    if (!isFledgeDocument(manifest.value)) {
      skipped++;
      continue;
    }
    checked++;
    const { errors, warnings } = checkDocument(manifest.value);
    errors.forEach((e) => report(manifest, e));
    warnings.forEach((w) => report(manifest, w, true));
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

  const errors = findings.filter((f) => !f.warning);
  const warned = findings.length - errors.length;
  const counts = `${plural(result.checked, 'Fledge document')} checked, ${plural(result.skipped, 'other document')} skipped${warned > 0 ? `, ${plural(warned, 'warning')}` : ''}`;
  if (errors.length > 0) {
    const badFiles = new Set(errors.map((f) => f.file)).size;
    out.stdout(
      `${plural(errors.length, 'problem')} in ${badFiles} of ${plural(files.length, 'file')} (${counts})`,
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
