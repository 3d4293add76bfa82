/**
 * History entries as both stores keep them: one JSON string per turn. Reading validates every
 * entry; a corrupt one (hand-edited, truncated, written by an incompatible version) is dropped
 * with a warning so one bad entry never takes the whole thread down.
 */
import { parseStoredTurn } from "../core/history-schema.js";
import type { StoredTurn } from "../core/types.js";
import type { Logger } from "../log.js";

export function encodeTurn(turn: StoredTurn): string {
  return JSON.stringify(turn);
}

/** Parse the raw entries of one thread (oldest first), dropping and logging corrupt ones. */
export function decodeHistory(raw: readonly string[], threadKey: string, log: Logger): StoredTurn[] {
  const turns: StoredTurn[] = [];
  raw.forEach((entry, index) => {
    const parsed = parseStoredTurn(entry);
    if (parsed.ok) {
      turns.push(parsed.turn);
    } else {
      // The entry itself may hold user text: log its size and the reason, never its content.
      log.warn(
        { threadKey, index, bytes: entry.length, reason: parsed.error },
        "dropped a corrupt history entry",
      );
    }
  });
  return turns;
}
