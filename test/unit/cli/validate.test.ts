import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { API_VERSION } from '../../../src/api/schema/common.js';
import {
  EXIT_INVALID,
  EXIT_USAGE,
  EXIT_VALID,
  parseManifests,
  registerValidateCommand,
  splitFieldPath,
  validateFiles,
} from '../../../src/cli/validate.js';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const EXAMPLES = join(ROOT, 'examples');
const INVALID = join(ROOT, 'test/fixtures/invalid');
const FLAGGER = join(ROOT, 'test/fixtures/flagger/podinfo.yaml');

/** Runs `fledge validate` on paths given relative to the repository root, capturing its output. */
async function run(...paths: string[]) {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const cwd = process.cwd();
  process.chdir(ROOT);
  try {
    const code = await validateFiles(paths, { stdout: (l) => stdout.push(l), stderr: (l) => stderr.push(l) });
    return { code, stdout, stderr };
  } finally {
    process.chdir(cwd);
  }
}

let tmp: string;
beforeEach(() => {
  tmp = mkdtempSync(join(tmpdir(), 'fledge-validate-'));
});
afterEach(() => {
  rmSync(tmp, { recursive: true, force: true });
});

describe('fledge validate: examples', () => {
  const files = readdirSync(EXAMPLES).filter((f) => /\.ya?ml$/.test(f));

  it('ships the examples the docs refer to', () => {
    expect(files).toEqual(
      expect.arrayContaining([
        'istio-canary.yaml',
        'ab-testing.yaml',
        'blue-green.yaml',
        'traffic-policy.yaml',
        'subset-routing.yaml',
        'metric-template.yaml',
        'alert-provider.yaml',
        'session-affinity.yaml',
        'linkerd-canary.yaml',
        'gatewayapi-canary.yaml',
        'gatewayapi-ab-testing.yaml',
        'nginx-canary.yaml',
        'kubernetes-blue-green.yaml',
      ]),
    );
  });

  it.each(files)('examples/%s is valid', async (file) => {
    const result = await run(`examples/${file}`);
    expect(result.stdout.slice(0, -1)).toEqual([]);
    expect(result.stderr).toEqual([]);
    expect(result.code).toBe(EXIT_VALID);
  });

  it('sets muteAlert only on the webhook types that alert (the confirm-* gates)', () => {
    const alerting = ['confirm-rollout', 'confirm-traffic-increase', 'confirm-promotion'];
    const muted: string[] = [];
    for (const file of files) {
      const { manifests } = parseManifests(file, readFileSync(join(EXAMPLES, file), 'utf8'));
      for (const { value } of manifests) {
        const hooks = (
          value as { spec?: { analysis?: { webhooks?: { type?: string; muteAlert?: boolean }[] } } }
        ).spec?.analysis?.webhooks;
        for (const hook of hooks ?? []) if (hook.muteAlert) muted.push(`${file}: ${hook.type ?? 'rollout'}`);
      }
    }
    expect(muted.length).toBeGreaterThan(0);
    for (const entry of muted) expect(alerting).toContain(entry.split(': ')[1]);
  });

  it('validates the whole directory and counts the non-Fledge documents it skipped', async () => {
    const result = await run('examples');
    expect(result.code).toBe(EXIT_VALID);
    // Some examples carry what they need besides Fledge's kinds (a Deployment, a Secret, an Ingress).
    const documents = files.flatMap(
      (file) => parseManifests(file, readFileSync(join(EXAMPLES, file), 'utf8')).manifests,
    );
    const other = documents.filter((d) => (d.value as { apiVersion?: string }).apiVersion !== API_VERSION);
    expect(other.length).toBeGreaterThan(0);
    expect(result.stdout).toEqual([
      `${files.length} files valid (${documents.length - other.length} Fledge documents checked, ${other.length} other documents skipped)`,
    ]);
  });
});

/** One broken manifest each: where the problem is reported and what it says. */
const INVALID_CASES: [file: string, line: number, col: number, path: string, message: string][] = [
  [
    'step-weights-not-increasing.yaml',
    21,
    9,
    'spec.analysis.stepWeights[2]',
    'must be greater than the previous step (30 <= 40)',
  ],
  [
    'step-weight-and-step-weights.yaml',
    19,
    5,
    'spec.analysis.stepWeights',
    'set either stepWeight or stepWeights, not both',
  ],
  [
    'match-without-iterations.yaml',
    15,
    3,
    'spec.analysis.iterations',
    'is required with analysis.match (A/B testing runs a number of iterations)',
  ],
  ['max-weight-over-100.yaml', 19, 5, 'spec.analysis.maxWeight', 'must be <= 100 (got 110)'],
  [
    'unknown-provider.yaml',
    9,
    3,
    'spec.provider',
    'unknown provider "envoy" (known: istio, linkerd, appmesh, appmesh:v1beta2, contour, gloo, nginx, skipper, traefik, apisix, kuma, osm, smi, smi:v1alpha1, smi:v1alpha2, smi:v1alpha3, gatewayapi, gatewayapi:v1, gatewayapi:v1beta1, kubernetes)',
  ],
  ['unknown-field-typo.yaml', 18, 5, 'spec.analysis.stepWieght', 'unknown field (did you mean stepWeight?)'],
  [
    'bad-duration.yaml',
    16,
    5,
    'spec.analysis.interval',
    'must be a duration such as 30s, 1m or 1m30s (got "1 minute")',
  ],
  ['missing-service-port.yaml', 13, 3, 'spec.service.port', 'required field is missing'],
  [
    'flagger-api-version.yaml',
    3,
    1,
    'apiVersion',
    'must be fledge.dev/v1alpha1 (migrating from Flagger? change apiVersion)',
  ],
  [
    'bad-webhook-type.yaml',
    27,
    9,
    'spec.analysis.webhooks[0].type',
    'must be one of: confirm-rollout, pre-rollout, rollout, confirm-traffic-increase, confirm-promotion, post-rollout, rollback, event (got "pre-rolout")',
  ],
  ['threshold-zero.yaml', 17, 5, 'spec.analysis.threshold', 'must be >= 1 (got 0)'],
  [
    'template-variable-missing.yaml',
    38,
    9,
    'spec.analysis.metrics[0].templateVariables',
    'MetricTemplate test/latency-quantile uses {{ variables.quantile }}: set templateVariables.quantile',
  ],
  ['duplicate-canary.yaml', 22, 3, 'metadata.name', 'defined twice in this file (also at line 7)'],
  [
    'unknown-autoscaler-kind.yaml',
    15,
    5,
    'spec.autoscalerRef.kind',
    'must be one of: HorizontalPodAutoscaler, ScaledObject (got "VerticalPodAutoscaler")',
  ],
  [
    'scaler-queries-on-hpa.yaml',
    17,
    5,
    'spec.autoscalerRef.primaryScalerQueries',
    "only applies to a ScaledObject's triggers, not to a HorizontalPodAutoscaler; remove it",
  ],
];

describe('fledge validate: invalid manifests', () => {
  it('has a case for every fixture', () => {
    expect(readdirSync(INVALID).sort()).toEqual(INVALID_CASES.map(([file]) => file).sort());
  });

  it.each(INVALID_CASES)('%s', async (file, line, col, path, message) => {
    const rel = `test/fixtures/invalid/${file}`;
    const result = await run(rel);
    expect(result.stdout[0]).toBe(`${rel}:${line}:${col}: Canary test/podinfo: ${path}: ${message}`);
    expect(result.stdout).toHaveLength(2);
    expect(result.stdout[1]).toMatch(
      /^1 problem in 1 of 1 file \(\d Fledge documents? checked, 0 other documents skipped\)$/,
    );
    expect(result.code).toBe(EXIT_INVALID);
  });

  it('reports every file of a directory, in file order, with one summary', async () => {
    const result = await run('test/fixtures/invalid');
    expect(result.code).toBe(EXIT_INVALID);
    const sorted = [...INVALID_CASES].sort(([a], [b]) => a.localeCompare(b));
    expect(result.stdout.slice(0, -1)).toEqual(
      sorted.map(
        ([file, line, col, path, message]) =>
          `test/fixtures/invalid/${file}:${line}:${col}: Canary test/podinfo: ${path}: ${message}`,
      ),
    );
    expect(result.stdout.at(-1)).toBe(
      `${INVALID_CASES.length} problems in ${INVALID_CASES.length} of ${INVALID_CASES.length} files (17 Fledge documents checked, 0 other documents skipped)`,
    );
  });

  it('reports a YAML syntax error with its line and column', async () => {
    const file = join(tmp, 'broken.yaml');
    writeFileSync(
      file,
      'apiVersion: fledge.dev/v1alpha1\nkind: Canary\nspec:\n  analysis:\n    stepWeights: [10, 20\n',
    );
    const result = await run(file);
    expect(result.code).toBe(EXIT_INVALID);
    expect(result.stdout[0]).toMatch(new RegExp(`^${file}:6:1: YAML syntax error: Flow sequence .*\\]`));
    expect(result.stdout[1]).toBe(
      '1 problem in 1 of 1 file (0 Fledge documents checked, 0 other documents skipped)',
    );
  });

  it('keeps checking the other documents of a file with a syntax error', async () => {
    const file = join(tmp, 'mixed.yaml');
    const canary = readFileSync(join(INVALID, 'threshold-zero.yaml'), 'utf8');
    writeFileSync(file, `key: [unclosed\n---\n${canary}`);
    const result = await run(file);
    expect(result.stdout.slice(0, -1)).toEqual([
      expect.stringMatching(
        new RegExp(
          `^${file}:\\d+:\\d+: YAML syntax error: Flow sequence in block collection must be sufficiently indented and end with a \\]$`,
        ),
      ),
      expect.stringMatching(/: Canary test\/podinfo: spec\.analysis\.threshold: must be >= 1 \(got 0\)$/),
    ]);
    expect(result.code).toBe(EXIT_INVALID);
  });

  it('validates a Fledge kind that has no apiVersion', async () => {
    const file = join(tmp, 'no-api-version.yaml');
    const text = readFileSync(join(INVALID, 'threshold-zero.yaml'), 'utf8')
      .replace('apiVersion: fledge.dev/v1alpha1\n', '')
      .replace('threshold: 0', 'threshold: 1');
    writeFileSync(file, text);
    const result = await run(file);
    expect(result.stdout[0]).toMatch(
      /:3:1: Canary test\/podinfo: apiVersion: must be fledge\.dev\/v1alpha1$/,
    );
    expect(result.code).toBe(EXIT_INVALID);
  });

  it('skips documents of other API groups and empty documents', async () => {
    const file = join(tmp, 'others.yaml');
    writeFileSync(
      file,
      '---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\n---\n---\nfoo: bar\n',
    );
    const result = await run(file);
    expect(result.stdout).toEqual(['1 file valid (0 Fledge documents checked, 2 other documents skipped)']);
    expect(result.code).toBe(EXIT_VALID);
  });
});

describe('fledge validate: Flagger migration', () => {
  it('flags an unchanged Flagger manifest with the migration hint', async () => {
    const result = await run(relative(ROOT, FLAGGER));
    expect(result.stdout[0]).toBe(
      'test/fixtures/flagger/podinfo.yaml:4:1: Canary test/podinfo: apiVersion: must be fledge.dev/v1alpha1 (migrating from Flagger? change apiVersion)',
    );
    expect(result.code).toBe(EXIT_INVALID);
  });

  it('accepts the Flagger tutorial Canary once apiVersion is fledge.dev/v1alpha1', async () => {
    const file = join(tmp, 'podinfo.yaml');
    writeFileSync(
      file,
      readFileSync(FLAGGER, 'utf8').replace(
        'apiVersion: flagger.app/v1beta1',
        'apiVersion: fledge.dev/v1alpha1',
      ),
    );
    const result = await run(file);
    expect(result.stdout).toEqual(['1 file valid (1 Fledge document checked, 0 other documents skipped)']);
    expect(result.code).toBe(EXIT_VALID);
  });
});

describe('fledge validate: usage errors', () => {
  it('needs at least one path', async () => {
    const result = await run();
    expect(result).toEqual({
      code: EXIT_USAGE,
      stdout: [],
      stderr: ['fledge validate: no files given (usage: fledge validate FILE|DIR...)'],
    });
  });

  it('refuses a missing file and validates nothing', async () => {
    const result = await run('examples/istio-canary.yaml', 'no/such/file.yaml');
    expect(result).toEqual({
      code: EXIT_USAGE,
      stdout: [],
      stderr: ['fledge validate: cannot read no/such/file.yaml: ENOENT'],
    });
  });

  it('refuses a directory without YAML files', async () => {
    mkdirSync(join(tmp, 'empty'));
    writeFileSync(join(tmp, 'empty', 'README.md'), '# nothing here\n');
    const result = await run(join(tmp, 'empty'));
    expect(result.code).toBe(EXIT_USAGE);
    expect(result.stderr).toEqual([`fledge validate: no .yaml or .yml files under ${join(tmp, 'empty')}`]);
  });

  it('finds YAML files in nested directories', async () => {
    mkdirSync(join(tmp, 'a', 'b'), { recursive: true });
    writeFileSync(join(tmp, 'a', 'b', 'c.yml'), readFileSync(join(INVALID, 'threshold-zero.yaml'), 'utf8'));
    writeFileSync(join(tmp, 'a', 'ok.yaml'), readFileSync(join(EXAMPLES, 'ab-testing.yaml'), 'utf8'));
    const result = await run(tmp);
    expect(result.stdout).toEqual([
      expect.stringMatching(new RegExp(`^${join(tmp, 'a', 'b', 'c.yml')}:17:5: `)),
      '1 problem in 1 of 2 files (2 Fledge documents checked, 0 other documents skipped)',
    ]);
  });
});

describe('registerValidateCommand', () => {
  it('wires `fledge validate PATH...` and sets the exit code', async () => {
    const program = new Command().exitOverride();
    const stdout: string[] = [];
    registerValidateCommand(program, { stdout: (l) => stdout.push(l), stderr: (l) => stdout.push(l) });
    try {
      await program.parseAsync(['validate', join(INVALID, 'threshold-zero.yaml')], { from: 'user' });
      expect(process.exitCode).toBe(EXIT_INVALID);
      expect(stdout[0]).toMatch(/: spec\.analysis\.threshold: must be >= 1 \(got 0\)$/);
    } finally {
      process.exitCode = undefined;
    }
  });

  it('treats a command line without paths as a usage error', async () => {
    const program = new Command().exitOverride();
    const stderr: string[] = [];
    registerValidateCommand(program, { stdout: () => undefined, stderr: (l) => stderr.push(l) });
    try {
      await program.parseAsync(['validate'], { from: 'user' });
      expect(process.exitCode).toBe(EXIT_USAGE);
      expect(stderr).toHaveLength(1);
    } finally {
      process.exitCode = undefined;
    }
  });
});

describe('splitFieldPath', () => {
  it('splits the paths FieldErrors use', () => {
    expect(splitFieldPath('spec.analysis.stepWeights[2]')).toEqual(['spec', 'analysis', 'stepWeights', 2]);
    expect(splitFieldPath('metadata.labels["app.kubernetes.io/name"]')).toEqual([
      'metadata',
      'labels',
      'app.kubernetes.io/name',
    ]);
    expect(splitFieldPath('')).toEqual([]);
  });
});
