/**
 * Where in its interval a canary ticks: a stable hash of its id, so that canaries sharing an
 * interval spread evenly over it whenever they were created or the controller started, and every
 * replica, before and after a restart, agrees on each canary's phase. Jenkins spreads `H` cron
 * entries the same way.
 */

/** 32-bit FNV-1a of `text`'s UTF-16 code units. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i += 1) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** The phase of `id` in an interval of `intervalMs`: a whole number of milliseconds in `[0, intervalMs)`. */
export function phaseOf(id: string, intervalMs: number): number {
  const interval = Math.max(1, Math.round(intervalMs));
  return fnv1a(id) % interval;
}

/**
 * The first time at or after `earliestMs` (epoch ms) that is `phaseMs` past a multiple of
 * `intervalMs` since the epoch: the next slot of a schedule with that phase.
 */
export function nextSlot(earliestMs: number, intervalMs: number, phaseMs: number): number {
  const slot = Math.floor((earliestMs - phaseMs) / intervalMs) * intervalMs + phaseMs;
  return slot >= earliestMs ? slot : slot + intervalMs;
}
