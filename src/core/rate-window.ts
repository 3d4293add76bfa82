/**
 * The arithmetic of one platform budget: a sliding window of timestamped grants, as the memory
 * store and the in-process budget keep it. The Redis scripts (store/redis/budget-scripts.ts) do
 * the same steps in Lua; the shared contract suite holds both to it.
 *
 * A window holds entries (time, id), ascending. An entry counts while its time is after
 * `now - windowMs`. Entries may lie in the future: a *booking* (a stream's chat.stopStream, an
 * answer's final edit) is entered at `now + holdMs` so it is counted until it is used (then moved
 * to the time it was used) or until it lapses.
 *
 * Granting, in order:
 * 1. final texts take any free slot (they may use the reserve);
 * 2. intermediate frames take free slots outside the reserve, burst-aware. Grants are spaced
 *    `horizon / min(frame slots, EVEN_SHARE_FACTOR * free slots)`: a quiet window is spent evenly
 *    over the horizon (`horizonMs`, or an eighth of how long the window has been in use if longer)
 *    until three quarters of it are gone, then ever more slowly, so it never runs dry in a burst.
 *    k ready frames may all go at once when the last grant is k spacings old.
 * 3. sustained load: once frames have found the frames' share full, the store remembers it for a
 *    window (`saturatedAt`, renewed while frames keep waiting on the pace) and frames are then
 *    granted one at a time, `windowMs / frame slots` apart: even pacing at the full share.
 *    Without it, each cluster of grants that left the window was granted again at once, and
 *    grants came in clusters for good (90 of 90 in the first 10 s of each minute).
 */

export interface WindowEntry {
  score: number;
  member: string;
}

export interface GrantAsk {
  limit: number;
  windowMs: number;
  /** Slots only final texts may use. */
  reserve: number;
  /** The frames' share left in the window is spread over this long (see the header). */
  horizonMs: number;
  finals: number;
  frames: number;
}

export interface GrantAnswer {
  finals: number;
  frames: number;
  /** When more was asked than granted: ms until asking again may succeed (0 otherwise). */
  retryAfterMs: number;
}

export interface GrantOutcome extends GrantAnswer {
  /**
   * Frames found the frames' share of the window full. Remembered for a window by the store:
   * meanwhile the window is under sustained load and frames are paced over the whole window.
   */
  saturated: boolean;
}

export interface BookingSlot {
  limit: number;
  windowMs: number;
  /** The booking is counted from now until `now + holdMs + windowMs` unless settled earlier. */
  holdMs: number;
}

/** Drop entries that left the window; returns how many are still counted. */
export function prune(entries: WindowEntry[], now: number, windowMs: number): number {
  let drop = 0;
  while (drop < entries.length && (entries[drop]?.score ?? 0) <= now - windowMs) drop++;
  if (drop > 0) entries.splice(0, drop);
  return entries.length;
}

/** Ms until the entry at `index` (ascending) leaves the window: then the count drops below it. */
function freesIn(entries: WindowEntry[], index: number, now: number, windowMs: number): number {
  const entry = entries[Math.max(0, index)];
  return entry ? Math.max(1, Math.ceil(entry.score + windowMs - now)) : 1;
}

export function insertSorted(entries: WindowEntry[], entry: WindowEntry): void {
  let i = entries.length;
  while (i > 0 && (entries[i - 1]?.score ?? 0) > entry.score) i--;
  entries.splice(i, 0, entry);
}

/** The newest entry at or before now (bookings in the future are not grants). */
function lastGrantAt(entries: WindowEntry[], now: number): number | undefined {
  for (let i = entries.length - 1; i >= 0; i--) {
    const score = entries[i]?.score ?? 0;
    if (score <= now) return score;
  }
  return undefined;
}

/**
 * The horizon grows with how long the window has been in use (an eighth of its oldest entry's
 * age): a fresh burst spends the window within seconds, a window in use for longer more slowly.
 * Sustained load is recognised otherwise (see the header, step 3).
 */
export const HORIZON_AGE_SHARE = 1 / 8;

/**
 * Frames are spaced evenly until the free slots are 1/EVEN_SHARE_FACTOR of the frames' share,
 * then ever more slowly. 4 (three quarters at an even pace): with 2, a burst of 20 streams got
 * half of the appends in its first 1.5 s and the rest so slowly that the last third of each
 * answer waited up to 1.5 s per word (test/core/stream-burst.test.ts). The Lua in
 * store/redis/budget-scripts.ts has the same number.
 */
export const EVEN_SHARE_FACTOR = 4;

function effectiveHorizon(entries: WindowEntry[], now: number, horizonMs: number): number {
  const oldest = entries[0]?.score;
  const age = oldest === undefined ? 0 : Math.max(0, now - oldest);
  return Math.max(horizonMs, age * HORIZON_AGE_SHARE);
}

/** Grant what the window allows now; the grants are entered at `now` with ids `${nonce}:${i}`. */
export function grantIn(
  entries: WindowEntry[],
  now: number,
  ask: GrantAsk,
  nonce: string,
  /** When frames last found the frames' share full (see `GrantOutcome.saturated`). */
  saturatedAt?: number,
): GrantOutcome {
  let count = prune(entries, now, ask.windowMs);
  let retryAfterMs = 0;
  const add = (i: number) => insertSorted(entries, { score: now, member: `${now}:${nonce}:${i}` });

  const finals = Math.max(0, Math.min(ask.finals, ask.limit - count));
  for (let i = 0; i < finals; i++) add(i);
  count += finals;
  if (finals < ask.finals) retryAfterMs = freesIn(entries, count - ask.limit, now, ask.windowMs);

  let frames = 0;
  let saturated = false;
  if (ask.frames > 0) {
    const frameLimit = ask.limit - ask.reserve;
    const free = frameLimit - count;
    if (free <= 0) {
      saturated = true;
      const wait = freesIn(entries, count - frameLimit, now, ask.windowMs);
      retryAfterMs = retryAfterMs > 0 ? Math.min(retryAfterMs, wait) : wait;
    } else {
      const sustained = saturatedAt !== undefined && now - saturatedAt < ask.windowMs;
      const horizon = sustained ? ask.windowMs : effectiveHorizon(entries, now, ask.horizonMs);
      const spacingAt = (left: number) =>
        horizon / (sustained ? frameLimit : Math.min(frameLimit, EVEN_SHARE_FACTOR * left));
      const spacing = spacingAt(free);
      const last = lastGrantAt(entries, now);
      const since = last === undefined ? Number.POSITIVE_INFINITY : now - last;
      if (since >= spacing) {
        // Under sustained load one at a time: a pause is not made up for with a cluster.
        const accrued = sustained ? 1 : spacing > 0 ? Math.floor(since / spacing) : free;
        frames = Math.min(ask.frames, free, Math.max(1, accrued));
        for (let i = 0; i < frames; i++) add(finals + i);
      }
      if (frames < ask.frames) {
        // Still more frames waiting than the even pace gives: the load is still sustained.
        if (sustained) saturated = true;
        const left = free - frames;
        const wait =
          left > 0
            ? Math.max(1, Math.ceil(frames > 0 ? spacingAt(left) : spacing - since))
            : freesIn(entries, count + frames - frameLimit, now, ask.windowMs);
        retryAfterMs = retryAfterMs > 0 ? Math.min(retryAfterMs, wait) : wait;
      }
    }
  }
  return { finals, frames, retryAfterMs, saturated };
}

/**
 * Book one slot in every window at once, or none: each window must have room now. The booking is
 * entered at `now + holdMs` under `id`.
 */
export function bookIn(
  windows: { entries: WindowEntry[]; slot: BookingSlot }[],
  now: number,
  id: string,
): { booked: boolean; retryAfterMs: number } {
  let retryAfterMs = 0;
  for (const { entries, slot } of windows) {
    const count = prune(entries, now, slot.windowMs);
    if (count >= slot.limit) {
      retryAfterMs = Math.max(retryAfterMs, freesIn(entries, count - slot.limit, now, slot.windowMs));
    }
  }
  if (retryAfterMs > 0) return { booked: false, retryAfterMs };
  for (const { entries, slot } of windows) insertSorted(entries, { score: now + slot.holdMs, member: id });
  return { booked: true, retryAfterMs: 0 };
}

/**
 * Book one slot for each of `ids` in one window, in order, while it has room: the first `booked`
 * are entered at `now + holdMs`. When some did not fit, `retryAfterMs` is when one more may.
 */
export function bookEachIn(
  entries: WindowEntry[],
  now: number,
  slot: BookingSlot,
  ids: readonly string[],
): { booked: number; retryAfterMs: number } {
  const count = prune(entries, now, slot.windowMs);
  const booked = Math.min(ids.length, Math.max(0, slot.limit - count));
  for (let i = 0; i < booked; i++)
    insertSorted(entries, { score: now + slot.holdMs, member: ids[i] as string });
  if (booked === ids.length) return { booked, retryAfterMs: 0 };
  return { booked, retryAfterMs: freesIn(entries, count + booked - slot.limit, now, slot.windowMs) };
}

/**
 * A booking was used (the call it stood for is being made now: it stays counted from now) or
 * given up (removed). False when it is no longer there (it lapsed).
 */
export function settleIn(entries: WindowEntry[], now: number, id: string, used: boolean): boolean {
  const i = entries.findIndex((e) => e.member === id);
  if (i < 0) return false;
  entries.splice(i, 1);
  if (used) insertSorted(entries, { score: now, member: id });
  return true;
}

/** How long a window's key must live: until its newest entry leaves the window. */
export function windowTtlMs(entries: WindowEntry[], now: number, windowMs: number): number {
  const newest = entries.at(-1)?.score ?? now;
  return Math.max(1, Math.ceil(newest - now + windowMs));
}
