import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import {
  ChartValuesError,
  allocatorEnvOf,
  flagName,
  nodeFlagsOf,
  parseChartNodeFlags,
  readChartNodeFlags,
} from '../../../bench/chart-node-flags.js';
import { childNodeSettings } from '../../../bench/child-rpc.js';
import { CHART_DIR } from '../../support/helm.js';

const values = (limit: string | null, percent: number, v8Flags?: unknown) =>
  JSON.stringify({
    resources: limit === null ? {} : { limits: { memory: limit } },
    heapLimitPercent: percent,
    ...(v8Flags === undefined ? {} : { v8Flags }),
  });

describe('parseChartNodeFlags', () => {
  it('caps the heap at heapLimitPercent of the memory limit, rounded down, as the chart template', () => {
    expect(parseChartNodeFlags(values('512Mi', 75)).heapLimitMb).toBe(384);
    expect(parseChartNodeFlags(values('1Gi', 75)).heapLimitMb).toBe(768);
    expect(parseChartNodeFlags(values('1G', 50)).heapLimitMb).toBe(476);
    expect(parseChartNodeFlags(values('536870912', 75)).heapLimitMb).toBe(384);
    expect(parseChartNodeFlags(values('0.5Gi', 75)).heapLimitMb).toBe(384);
  });

  it('sets no cap without a memory limit or at heapLimitPercent 0', () => {
    expect(parseChartNodeFlags(values(null, 75)).heapLimitMb).toBeUndefined();
    expect(parseChartNodeFlags(values('512Mi', 0)).heapLimitMb).toBeUndefined();
    expect(parseChartNodeFlags('resources: null\nheapLimitPercent: 75\n').heapLimitMb).toBeUndefined();
  });

  it('keeps v8Flags in order; none when absent or empty', () => {
    expect(parseChartNodeFlags(values('512Mi', 75, ['--a=1', '--b'])).v8Flags).toEqual(['--a=1', '--b']);
    expect(parseChartNodeFlags(values('512Mi', 75, [])).v8Flags).toEqual([]);
    expect(parseChartNodeFlags(values('512Mi', 75)).v8Flags).toEqual([]);
  });

  it('names the value and the reason when it cannot be read', () => {
    const error = (text: string) => {
      try {
        parseChartNodeFlags(text);
      } catch (e) {
        expect(e).toBeInstanceOf(ChartValuesError);
        return (e as Error).message;
      }
      throw new Error('no error');
    };
    expect(error(values('lots', 75))).toMatch(/^resources\.limits\.memory: "lots" is not a memory quantity/);
    expect(error(values('512Mb', 75))).toMatch(/^resources\.limits\.memory: "512Mb"/);
    expect(error(values('16Mi', 75))).toMatch(/leaves a heap of 12 MiB at heapLimitPercent=75/);
    expect(error(values('512Mi', 75, ['lite-mode']))).toMatch(/^v8Flags\[0\]: "lite-mode" is not a flag/);
    expect(error(values('512Mi', 75, ['--a', '--b c']))).toMatch(/^v8Flags\[1\]/);
    expect(error(values('512Mi', 75, '--lite-mode'))).toMatch(/^v8Flags: must be a list/);
    expect(error(JSON.stringify({ heapLimitPercent: '75' }))).toMatch(/^heapLimitPercent: must be a whole/);
    expect(error('- a\n- b\n')).toMatch(/^values\.yaml: not a mapping/);
  });
});

describe('mallocArenaMax', () => {
  const arenas = (mallocArenaMax: unknown) =>
    parseChartNodeFlags(JSON.stringify({ heapLimitPercent: 0, mallocArenaMax })).mallocArenaMax;

  it('is read as a whole number; 0 or absent sets none, as the chart template', () => {
    expect(arenas(2)).toBe(2);
    expect(arenas(0)).toBeUndefined();
    expect(parseChartNodeFlags(JSON.stringify({ heapLimitPercent: 0 })).mallocArenaMax).toBeUndefined();
    expect(allocatorEnvOf({ mallocArenaMax: 2 })).toEqual({ MALLOC_ARENA_MAX: '2' });
    expect(allocatorEnvOf({ mallocArenaMax: undefined })).toEqual({});
  });

  it('refuses a value the chart would not render, naming it', () => {
    for (const bad of [-1, 1.5, '2'])
      expect(() => arenas(bad)).toThrow(/^mallocArenaMax: must be a whole number/);
  });
});

describe('nodeFlagsOf', () => {
  it('lists the heap cap first, then the V8 flags, as the chart writes NODE_OPTIONS', () => {
    expect(nodeFlagsOf({ heapLimitMb: 384, v8Flags: ['--x=1'] })).toEqual([
      '--max-old-space-size=384',
      '--x=1',
    ]);
    expect(nodeFlagsOf({ heapLimitMb: undefined, v8Flags: [] })).toEqual([]);
  });
});

describe("the chart's own values.yaml", () => {
  it('gives the flags its heapLimitPercent, memory limit and v8Flags say', () => {
    const chart = parse(readFileSync(join(CHART_DIR, 'values.yaml'), 'utf8')) as {
      resources: { limits: { memory: string } };
      heapLimitPercent: number;
      v8Flags: string[];
      mallocArenaMax: number;
    };
    const flags = readChartNodeFlags(CHART_DIR);
    expect(flags.mallocArenaMax).toBe(chart.mallocArenaMax);
    expect(chart.resources.limits.memory).toBe('512Mi');
    expect(flags.heapLimitMb).toBe(Math.floor((512 * chart.heapLimitPercent) / 100));
    expect(flags.v8Flags).toEqual(chart.v8Flags);
  });
});

describe('childNodeSettings', () => {
  it('keeps inherited flags, never the inherited heap cap, and lets a given flag replace one of its name', () => {
    expect(flagName('--max-semi-space-size=1')).toBe('--max-semi-space-size');
    expect(
      childNodeSettings(
        ['--experimental-vm-modules', '--max-old-space-size=4096', '--max-semi-space-size=16', '--lite-mode'],
        ' --max-old-space-size=2048  --max-semi-space-size=8 --stack-trace-limit=50',
        ['--max-old-space-size=384', '--max-semi-space-size=1'],
      ),
    ).toEqual({
      execArgv: [
        '--experimental-vm-modules',
        '--lite-mode',
        '--max-old-space-size=384',
        '--max-semi-space-size=1',
      ],
      nodeOptions: '--stack-trace-limit=50',
    });
    expect(childNodeSettings(['--max-old-space-size=4096'], '', [])).toEqual({
      execArgv: [],
      nodeOptions: '',
    });
  });
});

describe("the chart's default flags on node's command line", () => {
  // An unknown flag stops node before the controller starts: a default node refuses would stop
  // every pod from starting.
  it('are accepted by the Node that runs the controller, and take effect', () => {
    const flags = nodeFlagsOf(readChartNodeFlags(CHART_DIR));
    const result = spawnSync(
      process.execPath,
      [
        ...flags,
        '-e',
        "const v8 = require('node:v8'); process.stdout.write(JSON.stringify({ heap: v8.getHeapStatistics(), argv: process.execArgv }))",
      ],
      { env: { ...process.env, NODE_OPTIONS: '' }, encoding: 'utf8' },
    );
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const seen = JSON.parse(result.stdout) as { heap: { heap_size_limit: number }; argv: string[] };
    // Node's own flags first, then `-e` and its script.
    expect(seen.argv.slice(0, flags.length)).toEqual(flags);
    const cap = readChartNodeFlags(CHART_DIR).heapLimitMb;
    // The limit V8 reports is the old generation's cap plus the young generation's share.
    if (cap !== undefined) expect(seen.heap.heap_size_limit / 1_048_576).toBeLessThan(cap + 32);
  });

  it('and a flag node does not know is refused by the same check', () => {
    const result = spawnSync(process.execPath, ['--no-such-flag-here', '-e', ''], {
      env: { ...process.env, NODE_OPTIONS: '' },
      encoding: 'utf8',
    });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('bad option: --no-such-flag-here');
  });
});
