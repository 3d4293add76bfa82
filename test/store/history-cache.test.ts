import { afterEach, describe, expect, it, vi } from "vitest";
import type { StoredTurn } from "../../src/core/types.js";
import { HISTORY_CACHE_IDLE_MS, HistoryCache, historyCacheChars } from "../../src/store/history.js";
import { captureLog, WARN } from "./log-capture.js";

const turn = (n: number, text = `answer ${n}`): StoredTurn => ({
  at: 1_700_000_000_000 + n,
  entries: [
    { role: "user", content: `question ${n}` },
    { role: "assistant", content: text },
  ],
  tokens: 12,
  author: "slack:T1:U1",
});
const raw = (t: StoredTurn) => JSON.stringify(t);
/** The same text as another string object, as a fresh reply from Redis would be. */
const copy = (s: string) => Buffer.from(s).toString();

afterEach(() => {
  vi.useRealTimers();
});

describe("HistoryCache", () => {
  it("parses only the entries it has not seen, and returns the same turns for the same stored text", () => {
    const { log } = captureLog();
    const cache = new HistoryCache(1_000_000);
    const first = cache.decode([raw(turn(1)), raw(turn(2))], "t", log);
    expect(first).toEqual([turn(1), turn(2)]);
    // A turn was added and the oldest trimmed; the reply holds new string objects.
    const second = cache.decode([copy(raw(turn(2))), raw(turn(3))], "t", log);
    expect(second).toEqual([turn(2), turn(3)]);
    expect(second[0]).toBe(first[1]);
    // Same position, different text: parsed again, never the old turn.
    const edited = turn(3, "corrected answer");
    const third = cache.decode([raw(turn(2)), raw(edited)], "t", log);
    expect(third).toEqual([turn(2), edited]);
    expect(third[1]).not.toBe(second[1]);
  });

  it("keeps threads apart and drops corrupt entries each time, with a warning", () => {
    const captured = captureLog();
    const cache = new HistoryCache(1_000_000);
    expect(cache.decode([raw(turn(1))], "a", captured.log)).toEqual([turn(1)]);
    expect(cache.decode([raw(turn(9))], "b", captured.log)).toEqual([turn(9)]);
    expect(cache.decode(["{not json", raw(turn(1))], "a", captured.log)).toEqual([turn(1)]);
    expect(cache.decode(["{not json", raw(turn(1))], "a", captured.log)).toEqual([turn(1)]);
    const warnings = captured.lines.filter(
      (l) => l.level === WARN && l.msg === "dropped a corrupt history entry",
    );
    expect(warnings).toHaveLength(2);
  });

  it("freezes what it hands out, all the way down", () => {
    const { log } = captureLog();
    const withCall: StoredTurn = {
      at: 1,
      entries: [
        { role: "user", content: "where is my order?" },
        {
          role: "assistant",
          content: null,
          toolCalls: [{ id: "c1", name: "get_order_status", arguments: "{}" }],
        },
        { role: "tool", toolCallId: "c1", name: "get_order_status", content: "{}" },
        { role: "assistant", content: "It shipped." },
      ],
    };
    const [read] = new HistoryCache(1_000_000).decode([raw(withCall)], "t", log);
    const assistant = read!.entries[1] as { toolCalls: { arguments: string }[] };
    expect(() => {
      assistant.toolCalls[0]!.arguments = '{"orderNumber":"1"}';
    }).toThrow(TypeError);
    expect(() => assistant.toolCalls.push({ arguments: "" })).toThrow(TypeError);
    expect(() => {
      (read as { at: number }).at = 2;
    }).toThrow(TypeError);
  });

  it("stays within its size, dropping the threads read longest ago", () => {
    const { log } = captureLog();
    const one = raw(turn(1)).length;
    const cache = new HistoryCache(one * 2);
    const a = cache.decode([raw(turn(1))], "a", log);
    cache.decode([raw(turn(1))], "b", log);
    cache.decode([raw(turn(1))], "a", log); // "a" is now the most recent
    cache.decode([raw(turn(1))], "c", log); // over the size: "b" goes
    expect(cache.size).toEqual({ threads: 2, chars: one * 2 });
    expect(cache.decode([raw(turn(1))], "a", log)[0]).toBe(a[0]);
    // A thread bigger than the whole cache is not kept at all.
    cache.decode([raw(turn(1)), raw(turn(2)), raw(turn(3))], "big", log);
    expect(cache.size.chars).toBeLessThanOrEqual(one * 2);
  });

  it("drops a thread nobody read for the idle time (its turns may hold personal data)", () => {
    const { log } = captureLog();
    let now = 0;
    const cache = new HistoryCache(1_000_000, () => now);
    cache.decode([raw(turn(1))], "quiet", log);
    now = HISTORY_CACHE_IDLE_MS / 2;
    cache.decode([raw(turn(2))], "busy", log);
    now = HISTORY_CACHE_IDLE_MS + 1;
    cache.decode([raw(turn(2))], "busy", log);
    expect(cache.size.threads).toBe(1);
    cache.clear();
    expect(cache.size).toEqual({ threads: 0, chars: 0 });
  });

  it("drops idle threads on time even when no thread is read again", () => {
    vi.useFakeTimers();
    const { log } = captureLog();
    const cache = new HistoryCache(1_000_000);
    cache.decode([raw(turn(1))], "a", log);
    vi.advanceTimersByTime(HISTORY_CACHE_IDLE_MS / 2);
    cache.decode([raw(turn(2))], "b", log);
    vi.advanceTimersByTime(HISTORY_CACHE_IDLE_MS / 2 + 1_000);
    expect(cache.size.threads).toBe(1);
    vi.advanceTimersByTime(HISTORY_CACHE_IDLE_MS / 2 + 1_000);
    expect(cache.size).toEqual({ threads: 0, chars: 0 });
  });

  it("holds nothing after a deletion, even a thread read while it ran", async () => {
    const { log } = captureLog();
    const cache = new HistoryCache(1_000_000);
    cache.decode([raw(turn(1))], "a", log);
    const deleted = await cache.whileDeleting(async () => {
      expect(cache.size.threads).toBe(0);
      cache.decode([raw(turn(1))], "a", log); // a turn reading the thread meanwhile
      return 1;
    });
    expect(deleted).toBe(1);
    expect(cache.size).toEqual({ threads: 0, chars: 0 });
  });

  it("with no memory for it, parses every time and keeps nothing", () => {
    const { log } = captureLog();
    const cache = new HistoryCache(historyCacheChars(0));
    const first = cache.decode([raw(turn(1))], "t", log);
    const second = cache.decode([raw(turn(1))], "t", log);
    expect(second).toEqual(first);
    expect(second[0]).not.toBe(first[0]);
    expect(cache.size).toEqual({ threads: 0, chars: 0 });
  });
});
