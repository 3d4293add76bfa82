/**
 * History entries as both stores keep them: one JSON string per turn. Reading validates every
 * entry; a corrupt one (hand-edited, truncated, written by an incompatible version) is dropped
 * with a warning so one bad entry never takes the whole thread down.
 */
import { parseStoredTurn } from "../core/history-schema.js";
import type { StoredTurn } from "../core/types.js";
import type { Logger } from "../log.js";
import { Lru } from "../lru.js";

export function encodeTurn(turn: StoredTurn): string {
  return JSON.stringify(turn);
}

/** Parse the raw entries of one thread (oldest first), dropping and logging corrupt ones. */
export function decodeHistory(raw: readonly string[], threadKey: string, log: Logger): StoredTurn[] {
  const turns: StoredTurn[] = [];
  raw.forEach((entry, index) => {
    const turn = decodeTurn(entry, index, threadKey, log);
    if (turn) turns.push(turn);
  });
  return turns;
}

function decodeTurn(entry: string, index: number, threadKey: string, log: Logger): StoredTurn | undefined {
  const parsed = parseStoredTurn(entry);
  if (parsed.ok) return parsed.turn;
  // The entry itself may hold user text: log its size and the reason, never its content.
  log.warn(
    { threadKey, index, bytes: entry.length, reason: parsed.error },
    "dropped a corrupt history entry",
  );
  return undefined;
}

/** HISTORY_CACHE_MB's default: the memory a store's HistoryCache may take. */
export const DEFAULT_HISTORY_CACHE_MB = 64;

/**
 * Memory per character of stored text the cache holds: the text (one byte a character for most
 * text, two when it has characters beyond Latin-1), its parsed copy and the request JSON built
 * from it (llm/request-body.ts). Measured: 3.3 bytes a character for English answers (1,000
 * threads of nine 1.3 KB turns: 11.6 M characters, 38 MB of heap).
 */
const CACHE_BYTES_PER_CHAR = 3.5;

/** The HistoryCache bound (characters of stored text) for a memory budget in megabytes. */
export function historyCacheChars(megabytes: number): number {
  return Math.floor((megabytes * 1024 * 1024) / CACHE_BYTES_PER_CHAR);
}

/** A store's HistoryCache for HISTORY_CACHE_MB (default DEFAULT_HISTORY_CACHE_MB). */
export function historyCacheFor(megabytes = DEFAULT_HISTORY_CACHE_MB): HistoryCache {
  return new HistoryCache(historyCacheChars(megabytes));
}

/** How long a thread nobody reads stays in a HistoryCache (its turns may hold personal data). */
export const HISTORY_CACHE_IDLE_MS = 15 * 60_000;

interface CachedThread {
  raws: readonly string[];
  turns: readonly StoredTurn[];
  chars: number;
  usedAt: number;
}

/**
 * The parsed turns of the threads read lately, so a thread's next turn parses only what is new.
 * A thread's history is read whole at the start of every turn, and all but the newest entry are
 * the ones the last read parsed: in `bench -- core` (nine turns per thread) parsing and
 * validating them again, and serializing them again into the model request, was ~6 % of a turn's
 * CPU. Entries are matched by their stored text, never by position or thread alone, so what the
 * store holds is what is returned (another replica's commit, a /forget, a trim: the entries that
 * differ are parsed). Cached turns are deep-frozen: the model adapter reuses the request JSON of a
 * frozen message (llm/request-body.ts), which is only right because nothing can change it.
 *
 * Bounded by the stored text it holds (`maxChars`; the parsed copy and the request JSON take about
 * twice that again) and by idleness: a thread not read for HISTORY_CACHE_IDLE_MS is dropped, so
 * forgotten or expired conversations do not linger in memory. `maxChars` 0: no cache.
 */
export class HistoryCache {
  private readonly threads = new Lru<string, CachedThread>();
  private chars = 0;

  constructor(
    private readonly maxChars: number,
    private readonly now: () => number = Date.now,
    private readonly idleMs = HISTORY_CACHE_IDLE_MS,
  ) {}

  /** Characters of stored text held now (for tests and metrics). */
  get size(): { threads: number; chars: number } {
    return { threads: this.threads.size, chars: this.chars };
  }

  /** decodeHistory, with the turns this cache already holds for the thread reused. */
  decode(raw: readonly string[], threadKey: string, log: Logger): StoredTurn[] {
    if (this.maxChars <= 0) return decodeHistory(raw, threadKey, log);
    const cached = this.threads.peek(threadKey);
    const turns: StoredTurn[] = [];
    const raws: string[] = [];
    let chars = 0;
    // The list changes at its ends (a turn added, the oldest trimmed): look for each entry from
    // just after the last one found.
    let from = 0;
    raw.forEach((entry, index) => {
      let turn: StoredTurn | undefined;
      if (cached) {
        for (let j = from; j < cached.raws.length; j++) {
          if (cached.raws[j] === entry) {
            turn = cached.turns[j];
            from = j + 1;
            break;
          }
        }
      }
      turn ??= frozen(decodeTurn(entry, index, threadKey, log));
      if (!turn) return;
      turns.push(turn);
      raws.push(entry);
      chars += entry.length;
    });
    this.remember(threadKey, { raws, turns: turns.slice(), chars, usedAt: this.now() });
    return turns;
  }

  /** Drop everything (after /forget: the stored text is gone, so is its copy here). */
  clear(): void {
    this.threads.clear();
    this.chars = 0;
    clearTimeout(this.sweep);
    this.sweep = undefined;
  }

  /**
   * Run a deletion of stored turns with the cache emptied before and after it: a thread read
   * while the deletion ran may have put deleted turns back (never returned again, since they no
   * longer match what is stored, but held in memory).
   */
  async whileDeleting<T>(deletion: () => Promise<T>): Promise<T> {
    this.clear();
    try {
      return await deletion();
    } finally {
      this.clear();
    }
  }

  /** When the thread read longest ago goes idle, even if no thread is read again before then. */
  private sweep: NodeJS.Timeout | undefined;

  private remember(threadKey: string, entry: CachedThread): void {
    const old = this.threads.peek(threadKey);
    if (old) this.chars -= old.chars;
    if (entry.chars > 0 && entry.chars <= this.maxChars) {
      // Set again, the thread becomes the most recently read.
      this.threads.set(threadKey, entry);
      this.chars += entry.chars;
    } else if (old) {
      this.threads.delete(threadKey);
    }
    this.evict(entry.usedAt);
  }

  /** Drop threads idle too long, then the least recently read while over the size. */
  private evict(now: number): void {
    const idleSince = now - this.idleMs;
    for (let oldest = this.threads.oldest(); oldest; oldest = this.threads.oldest()) {
      if (this.chars <= this.maxChars && oldest.value.usedAt > idleSince) break;
      this.threads.shift();
      this.chars -= oldest.value.chars;
    }
    this.scheduleSweep(now);
  }

  private scheduleSweep(now: number): void {
    if (this.sweep !== undefined) return;
    const oldest = this.threads.oldest()?.value;
    if (!oldest) return;
    this.sweep = setTimeout(
      () => {
        this.sweep = undefined;
        this.evict(this.now());
      },
      Math.max(1_000, oldest.usedAt + this.idleMs - now + 1),
    );
    // A cache's timer never keeps the process running.
    this.sweep.unref();
  }
}

/** Freeze a parsed turn all the way down (entries, tool calls): see HistoryCache. */
function frozen(turn: StoredTurn | undefined): StoredTurn | undefined {
  if (!turn) return undefined;
  for (const entry of turn.entries) {
    if (entry.role === "user" && entry.parts) {
      for (const part of entry.parts) Object.freeze(part);
      Object.freeze(entry.parts);
    }
    if (entry.role === "assistant" && entry.toolCalls) {
      for (const call of entry.toolCalls) Object.freeze(call);
      Object.freeze(entry.toolCalls);
    }
    Object.freeze(entry);
  }
  Object.freeze(turn.entries);
  return Object.freeze(turn);
}
