/**
 * The Node flags the chart runs the controller with, read from the chart's own values.yaml: the
 * heap cap (`heapLimitPercent` of `resources.limits.memory`, as `fledge.heapLimitMiB` in
 * `_helpers.tpl` computes it), `v8Flags` and the allocator's `mallocArenaMax`. The benchmark runs each measured controller with
 * these, so the figures it reports are those of the chart's defaults, and a change to the defaults
 * changes what is measured without a second copy to keep in step. The chart tests render the
 * chart and hold node's command-line flags to {@link nodeFlagsOf} and its `MALLOC_ARENA_MAX` to
 * {@link allocatorEnvOf}.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

/** The chart's Node flags, parsed. */
export interface ChartNodeFlags {
  /** `--max-old-space-size` in MiB; undefined when the chart sets no cap. */
  heapLimitMb: number | undefined;
  /** `v8Flags`, in order. */
  v8Flags: string[];
  /** `mallocArenaMax`: glibc's `MALLOC_ARENA_MAX`; undefined when the chart sets none (0). */
  mallocArenaMax: number | undefined;
}

/** A value of values.yaml the flags cannot be read from. */
export class ChartValuesError extends Error {
  override name = 'ChartValuesError';
}

/** MiB per unit of a Kubernetes memory quantity, the suffixes `fledge.heapLimitMiB` reads. */
const MIB_PER_UNIT: Record<string, number> = {
  '': 1 / 1_048_576,
  Ki: 1 / 1024,
  Mi: 1,
  Gi: 1024,
  Ti: 1_048_576,
  k: 1000 / 1_048_576,
  M: 1e6 / 1_048_576,
  G: 1e9 / 1_048_576,
  T: 1e12 / 1_048_576,
};

/** The smallest cap the chart accepts (below it the template fails). */
const MIN_HEAP_MB = 16;

/** A flag as values.schema.json accepts it in `v8Flags`: `--name` or `--name=value`, no spaces. */
const V8_FLAG = /^--[a-z0-9][a-z0-9_-]*(=\S+)?$/;

/** Whether `flag` has the form values.schema.json accepts for `v8Flags`. */
export function isV8Flag(flag: string): boolean {
  return V8_FLAG.test(flag);
}

function memoryMib(quantity: string): number {
  const match = /^([0-9]+(?:\.[0-9]+)?)(Ki|Mi|Gi|Ti|k|M|G|T)?$/.exec(quantity);
  const perUnit = match ? MIB_PER_UNIT[match[2] ?? ''] : undefined;
  if (!match || perUnit === undefined)
    throw new ChartValuesError(
      `resources.limits.memory: "${quantity}" is not a memory quantity the chart reads (e.g. 512Mi or 1Gi)`,
    );
  return Number(match[1]) * perUnit;
}

function heapLimitOf(values: Record<string, unknown>): number | undefined {
  const resources = values['resources'] as { limits?: { memory?: unknown } } | null | undefined;
  const limit = resources?.limits?.memory;
  const percent = values['heapLimitPercent'] ?? 0;
  if (typeof percent !== 'number' || !Number.isInteger(percent) || percent < 0)
    throw new ChartValuesError(
      `heapLimitPercent: must be a whole percentage, got ${JSON.stringify(percent)}`,
    );
  if (limit === undefined || limit === null || limit === '' || percent === 0) return undefined;
  const heap = Math.floor((memoryMib(String(limit)) * percent) / 100);
  if (heap < MIN_HEAP_MB)
    throw new ChartValuesError(
      `resources.limits.memory: "${String(limit)}" leaves a heap of ${heap} MiB at heapLimitPercent=${percent}`,
    );
  return heap;
}

function v8FlagsOf(values: Record<string, unknown>): string[] {
  const flags = values['v8Flags'] ?? [];
  if (!Array.isArray(flags)) throw new ChartValuesError('v8Flags: must be a list of flags');
  return flags.map((flag: unknown, i) => {
    if (typeof flag !== 'string' || !isV8Flag(flag))
      throw new ChartValuesError(
        `v8Flags[${i}]: ${JSON.stringify(flag)} is not a flag of the form --name or --name=value`,
      );
    return flag;
  });
}

function mallocArenaMaxOf(values: Record<string, unknown>): number | undefined {
  const max = values['mallocArenaMax'] ?? 0;
  if (typeof max !== 'number' || !Number.isInteger(max) || max < 0)
    throw new ChartValuesError(
      `mallocArenaMax: must be a whole number, 0 for none, got ${JSON.stringify(max)}`,
    );
  return max === 0 ? undefined : max;
}

/** The environment the chart adds for the allocator: `MALLOC_ARENA_MAX` when it sets one. */
export function allocatorEnvOf(flags: Pick<ChartNodeFlags, 'mallocArenaMax'>): Record<string, string> {
  return flags.mallocArenaMax === undefined ? {} : { MALLOC_ARENA_MAX: String(flags.mallocArenaMax) };
}

/** Reads the chart's Node flags from the text of a values.yaml. */
export function parseChartNodeFlags(valuesYaml: string): ChartNodeFlags {
  const values = parse(valuesYaml) as unknown;
  if (typeof values !== 'object' || values === null || Array.isArray(values))
    throw new ChartValuesError('values.yaml: not a mapping of values');
  const record = values as Record<string, unknown>;
  return {
    heapLimitMb: heapLimitOf(record),
    v8Flags: v8FlagsOf(record),
    mallocArenaMax: mallocArenaMaxOf(record),
  };
}

/** Reads `values.yaml` of the chart in `chartDir`. */
export function readChartNodeFlags(chartDir: string): ChartNodeFlags {
  return parseChartNodeFlags(readFileSync(join(chartDir, 'values.yaml'), 'utf8'));
}

/** The flags, in the order the chart gives them to node on its command line. */
export function nodeFlagsOf(flags: Pick<ChartNodeFlags, 'heapLimitMb' | 'v8Flags'>): string[] {
  return [
    ...(flags.heapLimitMb === undefined ? [] : [`--max-old-space-size=${flags.heapLimitMb}`]),
    ...flags.v8Flags,
  ];
}

/** The name of a flag (`--max-semi-space-size` of `--max-semi-space-size=1`), to replace one given twice. */
export function flagName(flag: string): string {
  return flag.split('=', 1)[0] as string;
}
