import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EXIT_INVALID, EXIT_VALID, validateFiles } from '../../../src/cli/validate.js';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const FLAGGER = readFileSync(join(ROOT, 'test/fixtures/flagger/podinfo.yaml'), 'utf8').replace(
  'apiVersion: flagger.app/v1beta1',
  'apiVersion: fledge.dev/v1alpha1',
);

let tmp: string;
beforeEach(() => {
  tmp = mkdtempSync(join(tmpdir(), 'fledge-validate-messages-'));
});
afterEach(() => {
  rmSync(tmp, { recursive: true, force: true });
});

async function validate(text: string) {
  const file = join(tmp, 'manifest.yaml');
  writeFileSync(file, text);
  const stdout: string[] = [];
  const code = await validateFiles([file], { stdout: (l) => stdout.push(l), stderr: (l) => stdout.push(l) });
  return { file, code, stdout };
}

describe('fledge validate: warnings', () => {
  it('prints a warning with its position and exits 0', async () => {
    const { file, code, stdout } = await validate(
      FLAGGER.replace('    stepWeight: 10\n', '    stepWeights: [5, 20, 40]\n'),
    );
    expect(stdout).toEqual([
      `${file}:52:5: warning: Canary test/podinfo: spec.analysis.maxWeight: is ignored: with stepWeights the last step (40) is the max weight, as in Flagger`,
      '1 file valid (1 Fledge document checked, 0 other documents skipped, 1 warning)',
    ]);
    expect(code).toBe(EXIT_VALID);
  });

  it('prints warnings next to problems, and exits 1 for the problems', async () => {
    const { code, stdout } = await validate(
      FLAGGER.replace('threshold: 5', 'threshold: 0').replace(
        '    stepWeight: 10\n',
        '    stepWeights: [5, 40]\n',
      ),
    );
    expect(code).toBe(EXIT_INVALID);
    expect(stdout.at(-1)).toBe(
      '1 problem in 1 of 1 file (1 Fledge document checked, 0 other documents skipped)',
    );
  });
});

describe('fledge validate: messages', () => {
  it('gives an alias bomb a position', async () => {
    const rows = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 5; i++)
      rows.push(
        `${'abcde'[i]}: &${'abcde'[i]} [${Array(10)
          .fill(`*${'abcde'[i - 1]}`)
          .join(', ')}]`,
      );
    const { file, code, stdout } = await validate(`${rows.join('\n')}\n`);
    expect(code).toBe(EXIT_INVALID);
    expect(stdout[0]).toMatch(
      new RegExp(
        `^${file}:2:\\d+: YAML error: aliases expand to too many nodes .*resource exhaustion attack$`,
      ),
    );
  });

  it('gives an unresolved alias the position of the alias', async () => {
    const { file, stdout } = await validate(
      'apiVersion: fledge.dev/v1alpha1\nkind: Canary\nmetadata: *missing\n',
    );
    expect(stdout[0]).toMatch(new RegExp(`^${file}:3:11: YAML (syntax )?error: .*missing`));
  });

  it('reports nesting too deep for the parser without "Maximum call stack size exceeded"', async () => {
    const { file, code, stdout } = await validate(`a: ${'['.repeat(20_000)}${']'.repeat(20_000)}\n`);
    expect(code).toBe(EXIT_INVALID);
    expect(stdout[0]).toMatch(new RegExp(`^${file}:1:\\d+: YAML syntax error: nested too deeply to parse$`));
  });

  it('reports nesting deeper than 64 levels with a position and a path', async () => {
    const deep = `${'{a: '.repeat(100)}1${'}'.repeat(100)}`;
    const { file, stdout } = await validate(
      FLAGGER.replace('      tls:\n', `      deep: ${deep}\n      tls:\n`),
    );
    expect(stdout[0]).toMatch(
      new RegExp(
        `^${file}:37:\\d+: Canary test/podinfo: spec\\.service\\.trafficPolicy\\.deep(\\.a)+: is nested too deeply`,
      ),
    );
  });

  it('echoes at most a few dozen characters of a 1 MB value', async () => {
    const { stdout } = await validate(
      FLAGGER.replace('  targetRef:', `  provider: ${'x'.repeat(1_000_000)}\n  targetRef:`),
    );
    expect(stdout[0]!.length).toBeLessThan(600);
    expect(stdout[0]).not.toContain('x'.repeat(100));
    expect(stdout[0]).toContain('(999922 more characters)');
  });
});
