/**
 * The soak's judges, pure: the weight sequence one VirtualService went through (as a watch saw it)
 * cut into rollouts and checked for skipped and repeated steps, and the state each canary ended in
 * checked against what its revisions were made to do.
 *
 * What counts as a defect, exactly (splits are `primary/canary`, consecutive equal splits already
 * merged, as a watch sees no write that changes nothing):
 * - the log does not start at `100/0`, or a split is not two whole weights adding up to 100:
 *   `malformed`;
 * - within a rollout (from `100/0` back to `100/0`), the canary weight rises by more than one
 *   step (`min(previous + stepWeight, maxWeight)`): `skipped`;
 * - within a rollout, the canary weight goes down without going back to 0 (a step written again
 *   after a later one, e.g. `70/30 -> 80/20`), or past `maxWeight`: `repeated` (or `beyond`);
 * - a promoted rollout that left before `maxWeight`: `cut-short`;
 * - more or fewer rollouts than revisions applied: `rollouts`.
 * Going back to `100/0` and starting again at the first step is legitimate: it is a rollback (or
 * a promotion) followed by the next revision's rollout, so `90/10` seen again after a `100/0` is
 * not a repeat.
 */

/** One defect of a weight sequence, with where it was seen (index into the log). */
export interface StepDefect {
  kind: 'malformed' | 'skipped' | 'repeated' | 'beyond' | 'cut-short' | 'rollouts';
  /** Index into the log of the split at fault (-1 for the count of rollouts). */
  at: number;
  detail: string;
}

/** The canary weights of one rollout, first step to last, and whether it ended back at 0. */
export interface RolloutSteps {
  canaryWeights: number[];
  /** Whether the route came back to `100/0` (false for the last one while it still runs). */
  ended: boolean;
}

/** The weight ladder of the canaries under test. */
export interface StepLadder {
  stepWeight: number;
  maxWeight: number;
}

/** Parses `primary/canary`; undefined unless both are whole numbers adding up to 100. */
function canaryWeightOf(split: string): number | undefined {
  const match = /^(\d+)\/(\d+)$/.exec(split);
  if (!match) return undefined;
  const primary = Number(match[1]);
  const canary = Number(match[2]);
  return primary + canary === 100 ? canary : undefined;
}

/** Cuts a weight log into rollouts and lists its skipped, repeated and malformed steps. */
export function calculateRolloutSteps(
  log: readonly string[],
  ladder: StepLadder,
): { rollouts: RolloutSteps[]; defects: StepDefect[] } {
  const defects: StepDefect[] = [];
  const rollouts: RolloutSteps[] = [];
  if (log.length > 0 && log[0] !== '100/0')
    defects.push({ kind: 'malformed', at: 0, detail: `starts at ${log[0]}, not 100/0` });
  let previous = 0;
  let current: RolloutSteps | undefined;
  log.forEach((split, at) => {
    const weight = canaryWeightOf(split);
    if (weight === undefined) {
      defects.push({
        kind: 'malformed',
        at,
        detail: `split ${split} is not primary/canary adding up to 100`,
      });
      return;
    }
    if (weight === 0) {
      if (current) current.ended = true;
      current = undefined;
    } else {
      if (!current) {
        current = { canaryWeights: [], ended: false };
        rollouts.push(current);
      }
      const next = Math.min(previous + ladder.stepWeight, ladder.maxWeight);
      if (weight > ladder.maxWeight)
        defects.push({ kind: 'beyond', at, detail: `${split} past maxWeight ${ladder.maxWeight}` });
      else if (weight > next)
        defects.push({
          kind: 'skipped',
          at,
          detail: `canary ${previous} -> ${weight}, next step is ${next}`,
        });
      else if (weight < previous)
        defects.push({ kind: 'repeated', at, detail: `canary ${previous} -> ${weight} without a rollback` });
      current.canaryWeights.push(weight);
    }
    previous = weight;
  });
  return { rollouts, defects };
}

/** What a revision of a canary was made to do. */
export type Outcome = 'promoted' | 'rolled-back';

/**
 * The step defects of a canary's whole log given the outcome of each revision it was given, in
 * order: those of {@link calculateRolloutSteps}, plus a promotion cut short and a count of
 * rollouts other than one per revision.
 */
export function calculateStepDefects(
  log: readonly string[],
  outcomes: readonly Outcome[],
  ladder: StepLadder,
): StepDefect[] {
  const { rollouts, defects } = calculateRolloutSteps(log, ladder);
  if (rollouts.length !== outcomes.length) {
    defects.push({
      kind: 'rollouts',
      at: -1,
      detail: `${rollouts.length} rollouts in the weights for ${outcomes.length} revisions`,
    });
  }
  rollouts.forEach((rollout, i) => {
    if (outcomes[i] === 'promoted' && rollout.canaryWeights.at(-1) !== ladder.maxWeight) {
      defects.push({
        kind: 'cut-short',
        at: -1,
        detail: `rollout ${i + 1} was to be promoted but left at canary ${rollout.canaryWeights.at(-1)}`,
      });
    }
  });
  return defects;
}

/** What the soak made a canary's last revision do, and what it observed at the end. */
export interface FinalObservation {
  name: string;
  /** Outcome its last revision was made to have. */
  expected: Outcome;
  /** Image of the last revision applied, and of the last one that was to be promoted. */
  lastImage: string;
  lastPromotedImage: string;
  phase: string | undefined;
  primaryImage: string | undefined;
  /** The last split its VirtualService was written with. */
  lastSplit: string | undefined;
  /** `spec.replicas` of the target Deployment. */
  targetReplicas: number | undefined;
}

/**
 * Why a canary's final state is wrong, or undefined when it is right: Succeeded with the last
 * revision on the primary, or Failed with the revision promoted before it; either way all
 * traffic on the primary and the target scaled to zero.
 */
export function finalStateProblem(o: FinalObservation): string | undefined {
  const phase = o.expected === 'promoted' ? 'Succeeded' : 'Failed';
  const image = o.expected === 'promoted' ? o.lastImage : o.lastPromotedImage;
  const problems = [
    ...(o.phase !== phase ? [`phase ${o.phase ?? 'none'}, expected ${phase}`] : []),
    ...(o.primaryImage !== image ? [`primary runs ${o.primaryImage ?? 'nothing'}, expected ${image}`] : []),
    ...(o.lastSplit !== '100/0' ? [`route at ${o.lastSplit ?? 'nothing'}, expected 100/0`] : []),
    ...(o.targetReplicas !== 0 ? [`target at ${o.targetReplicas ?? 'no'} replicas, expected 0`] : []),
  ];
  return problems.length > 0 ? `${o.name}: ${problems.join('; ')}` : undefined;
}
