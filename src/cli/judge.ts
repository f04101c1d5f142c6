/**
 * `fledge judge`: replays interval observations through the sequential judge. Reads JSON lines on
 * stdin, one interval each:
 *
 *     {"settings": {"latency": {"edgeMs": 250}}, "canary": {"requests": 1200, "errors": 3, "buckets": [...]}, "primary": {...}}
 *
 * and writes one verdict per line, as JSON, with its explanation. `settings` (the judge's, plus
 * `stepWeight` and `maxWeight`) apply from the line that gives them on. A bad line is reported on
 * stderr with its number and field and leaves the running evidence as it was. Reading stdin is
 * kept apart from judging: {@link JudgeSession} is pure.
 */
import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import { judge, JudgeStateError, type JudgeState, type JudgeVerdict } from '../../analysis/judge/judge.js';
import { checkObservation, JudgeInputError } from '../../analysis/judge/observation.js';
import { resolveJudgeSettings, type JudgeSettings } from '../../analysis/judge/settings.js';
import type { CommandOutput } from './validate.js';

/** Exit code of `fledge judge`: every line was judged. */
export const JUDGE_EXIT_OK = 0;
/** Exit code of `fledge judge`: at least one line was rejected (the others were judged). */
export const JUDGE_EXIT_BAD_LINES = 1;

const JUDGE_KEYS = ['alpha', 'beta', 'maxHolds', 'errors', 'latency'];
const STEP_KEYS = ['stepWeight', 'maxWeight'];
const LINE_KEYS = ['settings', 'weight', 'canary', 'primary'];

/** The weight schedule `fledge judge` follows between verdicts, as a Canary's analysis would. */
interface Steps {
  stepWeight: number;
  maxWeight: number;
}

/** What one input line gave: a verdict line for stdout, or an error line for stderr. */
export type JudgeLineResult = { stdout: string } | { stderr: string } | undefined;

function asRecord(value: unknown, field: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new JudgeInputError(field, 'must be a JSON object');
  return value as Record<string, unknown>;
}

function rejectUnknown(obj: Record<string, unknown>, known: string[], prefix: string): void {
  for (const key of Object.keys(obj))
    if (!known.includes(key))
      throw new JudgeInputError(`${prefix}${key}`, `unknown field (fields: ${known.join(', ')})`);
}

function weightOf(value: unknown, field: string, max = 100): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > max)
    throw new JudgeInputError(field, `must be a whole percentage 0..${max}, got ${JSON.stringify(value)}`);
  return value;
}

/**
 * The running judgment of a stream of lines: one rollout after another (a rollout ends at a
 * regression, a promotion or the hold limit; the next line starts a new one).
 */
export class JudgeSession {
  private settings: JudgeSettings = resolveJudgeSettings(undefined);
  private steps: Steps = { stepWeight: 10, maxWeight: 50 };
  private state: JudgeState | undefined;
  private weight = 10;
  private rollout = 1;
  private lineNumber = 0;

  /** Judges one line (blank lines are skipped, but counted). */
  line(text: string): JudgeLineResult {
    this.lineNumber += 1;
    if (text.trim() === '') return undefined;
    try {
      return { stdout: JSON.stringify(this.judgeLine(text)) };
    } catch (error) {
      if (
        error instanceof JudgeInputError ||
        error instanceof JudgeStateError ||
        error instanceof SyntaxError
      )
        return { stderr: `line ${this.lineNumber}: ${error.message}` };
      throw error;
    }
  }

  private judgeLine(text: string): Record<string, unknown> {
    const raw = asRecord(JSON.parse(text) as unknown, 'line');
    rejectUnknown(raw, LINE_KEYS, '');
    // Everything is checked before anything changes, so a bad line leaves the session as it was.
    let settings = this.settings;
    let steps = this.steps;
    if (raw.settings !== undefined) {
      const s = asRecord(raw.settings, 'settings');
      rejectUnknown(s, [...JUDGE_KEYS, ...STEP_KEYS], 'settings.');
      const judgeOnly = Object.fromEntries(Object.entries(s).filter(([k]) => JUDGE_KEYS.includes(k)));
      settings = resolveJudgeSettings(judgeOnly);
      const maxWeight =
        s.maxWeight === undefined ? steps.maxWeight : weightOf(s.maxWeight, 'settings.maxWeight');
      const stepWeight =
        s.stepWeight === undefined
          ? steps.stepWeight
          : weightOf(s.stepWeight, 'settings.stepWeight', maxWeight);
      if (stepWeight === 0) throw new JudgeInputError('settings.stepWeight', 'must be greater than 0');
      steps = { stepWeight, maxWeight };
    }
    const starting = this.state === undefined;
    const weight =
      raw.weight === undefined ? (starting ? steps.stepWeight : this.weight) : weightOf(raw.weight, 'weight');
    const observation = checkObservation({ canary: raw.canary, primary: raw.primary });
    const { state, verdict } = judge(this.state, observation, settings);
    this.settings = settings;
    this.steps = steps;
    const out = this.advance(verdict, weight, state);
    return out;
  }

  private advance(verdict: JudgeVerdict, weight: number, state: JudgeState): Record<string, unknown> {
    const rollout = this.rollout;
    let next: number | 'promote' = weight;
    if (verdict.outcome === 'regression') next = 0;
    else if (verdict.outcome === 'pass')
      next =
        weight >= this.steps.maxWeight
          ? 'promote'
          : Math.min(weight + this.steps.stepWeight, this.steps.maxWeight);
    const ended = verdict.outcome === 'regression' || verdict.outcome === 'hold-limit' || next === 'promote';
    this.state = ended ? undefined : state;
    this.weight = typeof next === 'number' && !ended ? next : this.steps.stepWeight;
    if (ended) this.rollout += 1;
    return {
      line: this.lineNumber,
      rollout,
      interval: verdict.intervals,
      weight,
      outcome: verdict.outcome,
      next: next === 'promote' ? 'promote' : verdict.outcome === 'regression' ? 'rollback' : next,
      explanation: verdict.explanation,
      metrics: verdict.metrics,
    };
  }
}

/** Runs `fledge judge` over lines; returns the exit code. */
export async function judgeStream(lines: AsyncIterable<string>, out: CommandOutput): Promise<number> {
  const session = new JudgeSession();
  let bad = 0;
  for await (const text of lines) {
    const result = session.line(text);
    if (!result) continue;
    if ('stdout' in result) out.stdout(result.stdout);
    else {
      bad += 1;
      out.stderr(result.stderr);
    }
  }
  return bad === 0 ? JUDGE_EXIT_OK : JUDGE_EXIT_BAD_LINES;
}

/** Registers `fledge judge` on the program. */
export function registerJudgeCommand(program: Command): void {
  program
    .command('judge')
    .description(
      'Replays interval observations (JSON lines on stdin) through the sequential judge and prints one verdict per line',
    )
    .action(async () => {
      const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
      process.exitCode = await judgeStream(lines, {
        stdout: (l) => process.stdout.write(`${l}\n`),
        stderr: (l) => process.stderr.write(`${l}\n`),
      });
    });
}
