import { describe, expect, it, vi } from "vitest";
import { AnswerStream } from "../../src/core/answer-stream.js";
import { EditBudgets } from "../../src/core/edit-budget.js";
import { PlatformError } from "../../src/core/errors.js";
import type { RateBudgetStore } from "../../src/core/ports.js";
import { silentLogger } from "../../src/log.js";
import { MemoryKeyspace } from "../../src/store/memory/keyspace.js";
import { createMemoryStore } from "../../src/store/memory/store.js";
import { localBudgets } from "../support/budgets.js";
import { RecordingSink } from "../support/recording-sink.js";
import { Gate } from "../support/scripted-model.js";

const log = silentLogger();
const tick = (ms = 0) => new Promise((r) => setTimeout(r, ms));

/** Stream `words` into an answer, `gapMs` apart, then finish. */
async function streamWords(stream: AnswerStream, words: string[], gapMs: number) {
  for (const w of words) {
    stream.append(w);
    await tick(gapMs);
  }
  return stream.finish("done");
}

describe("AnswerStream", () => {
  it("posts the first text at once, coalesces edits and always delivers the final text", async () => {
    const sink = new RecordingSink({ minEditIntervalMs: 30 });
    const stream = new AnswerStream(sink, localBudgets(), log);
    const words = Array.from({ length: 60 }, (_, i) => `w${i} `);
    // Deltas come in bursts of ten (as a model's chunks do), however slow the machine: the first
    // posts at once, each later burst is at most one edit.
    stream.append(words[0]!);
    for (let i = 1; i < words.length; i++) {
      stream.append(words[i]!);
      if (i % 10 === 0) await tick(1);
    }
    const stats = await stream.finish("done");
    expect(sink.calls[0]?.op).toBe("post");
    expect(sink.calls[0]?.text).toBe("w0 ");
    // 60 deltas, far fewer platform calls (coalesced), final text complete and final state.
    expect(stats.edits).toBeLessThanOrEqual(7);
    expect(sink.visible).toEqual([{ text: words.join(""), state: "done" }]);
  });

  it("keeps concurrent answers in one scope within the shared edit budget and finishes all of them", async () => {
    const sinks = Array.from(
      { length: 8 },
      () => new RecordingSink({ scope: "ws1", scopeEdits: 5, windowMs: 300 }),
    );
    // The budget's own ledger: the store decides each grant at the time its clock reads, so the
    // window is checked on those times, not on when a busy machine got round to the edit call.
    // The clock holds still within one synchronous step (a grant reads it several times: expiry
    // checks, the decision, the new expiry), so the time recorded is the one the grant used.
    let clockRead = 0;
    let holding = false;
    const store = createMemoryStore({
      log,
      keyspace: new MemoryKeyspace({
        now: () => {
          if (!holding) {
            clockRead = Date.now();
            holding = true;
            queueMicrotask(() => {
              holding = false;
            });
          }
          return clockRead;
        },
      }),
    });
    const granted: number[] = [];
    const ledger: RateBudgetStore = {
      ...store.budgets,
      grant: async (req) => {
        const answer = await store.budgets.grant(req);
        for (let i = 0; i < answer.finals + answer.frames; i++) granted.push(clockRead);
        return answer;
      },
    };
    const budgets = new EditBudgets(ledger);
    const words = Array.from({ length: 40 }, (_, i) => `t${i} `);
    await Promise.all(sinks.map((sink) => streamWords(new AnswerStream(sink, budgets, log), words, 5)));
    granted.sort((a, b) => a - b);
    // No sliding 300 ms window holds more than 5 grants, and every edit used one.
    for (let i = 5; i < granted.length; i++)
      expect(granted[i]! - granted[i - 5]!).toBeGreaterThanOrEqual(300);
    const edits = sinks.flatMap((s) => s.calls).filter((c) => c.op === "edit").length;
    expect(edits).toBeLessThanOrEqual(granted.length);
    for (const sink of sinks) expect(sink.visible).toEqual([{ text: words.join(""), state: "done" }]);
  });

  it("waits out a platform 429 and still delivers the final text", async () => {
    const sink = new RecordingSink();
    let limited = 0;
    sink.rateLimit = (call) => (call.op === "edit" && limited++ < 2 ? 50 : undefined);
    const stream = new AnswerStream(sink, localBudgets(), log);
    stream.append("Hello");
    await tick(5);
    stream.append(" world");
    const stats = await stream.finish("done");
    expect(stats.rateLimited).toBe(2);
    expect(sink.visible).toEqual([{ text: "Hello world", state: "done" }]);
  });

  it("continues a long answer in further messages and finalizes each one", async () => {
    const sink = new RecordingSink({ maxChars: 200 });
    const stream = new AnswerStream(sink, localBudgets(), log);
    const paragraphs = Array.from(
      { length: 10 },
      (_, i) => `Paragraph ${i}: ${"lorem ipsum ".repeat(5)}\n\n`,
    );
    await streamWords(stream, paragraphs, 1);
    expect(sink.visible.length).toBeGreaterThan(2);
    expect(sink.visible.every((m) => m.state === "done" && m.text.length <= 200)).toBe(true);
    const joined = sink.visible.map((m) => m.text).join("\n\n");
    for (let i = 0; i < 10; i++) expect(joined).toContain(`Paragraph ${i}:`);
  });

  it("reports an answer it could not show instead of throwing", async () => {
    const sink = new RecordingSink();
    sink.failPosts = true;
    const stream = new AnswerStream(sink, localBudgets(), log);
    stream.append("partial");
    const stats = await stream.finish("done", "partial answer");
    expect(stats.delivered).toBe(false);
    expect(sink.visible).toEqual([]);
  });

  it("sends the final text instead of a stale frame that was still waiting for the budget", async () => {
    const sink = new RecordingSink({ scope: "ws1", scopeEdits: 10, windowMs: 60_000 });
    const budgets = localBudgets();
    const stream = new AnswerStream(sink, budgets, log);
    stream.append("first");
    await tick(5);
    // Other answers in the scope used every slot frames may use (9 of 10; 1 is the reserve).
    const shared = budgets.get({ scope: "ws1", name: "edits", limit: 10, windowMs: 60_000 });
    await Promise.all(Array.from({ length: 9 }, () => shared.acquire(false)));
    stream.append(" second"); // this frame now waits a minute for the window
    await tick(20);
    await stream.finish("done", "first second third");
    const edits = sink.calls.filter((c) => c.op === "edit");
    expect(edits.map((e) => e.text)).toEqual(["first second third"]);
    expect(sink.visible).toEqual([{ text: "first second third", state: "done" }]);
  });

  it("sends the final text at once when a frame waits for a budget kept in this process", async () => {
    // The web chat's kind of budget (`local`): a frame that must wait holds a timer, and the end
    // of the answer cuts that wait short. The message's own interval here is a minute.
    const sink = new RecordingSink({
      scope: "page1",
      scopeEdits: 40,
      windowMs: 1000,
      minEditIntervalMs: 60_000,
      local: true,
    });
    const stream = new AnswerStream(sink, localBudgets(), log);
    stream.append("first");
    await vi.waitFor(() => expect(sink.calls.length).toBe(1)); // posted at once
    stream.append(" second"); // this frame now waits a minute for the message's interval
    await tick(20);
    const stats = await stream.finish("done", "first second third");
    expect(sink.calls.filter((c) => c.op === "edit").map((e) => e.text)).toEqual(["first second third"]);
    expect(sink.visible).toEqual([{ text: "first second third", state: "done" }]);
    expect(stats.edits).toBe(1);
  });

  it("keeps to a budget kept in this process across the answers that share it", async () => {
    // Three answers on one page, 4 edits a second between them, 10 ms apart per message: frames
    // wait for their turn on timers, and every answer still ends complete.
    const budgets = localBudgets();
    const sinks = Array.from(
      { length: 3 },
      () =>
        new RecordingSink({
          scope: "page2",
          scopeEdits: 4,
          windowMs: 1000,
          minEditIntervalMs: 10,
          local: true,
        }),
    );
    const words = Array.from({ length: 12 }, (_, i) => `w${i} `);
    const ends = sinks.map((sink) => streamWords(new AnswerStream(sink, budgets, log), words, 5));
    await Promise.all(ends);
    for (const sink of sinks) expect(sink.visible).toEqual([{ text: words.join(""), state: "done" }]);
    // The window: no more than 4 calls (edits; posts are free) in any 1,000 ms (final texts may
    // use the reserve only, and a budget of 4 has none).
    const edits = sinks.flatMap((s) => s.calls.filter((c) => c.op === "edit").map((c) => c.at));
    edits.sort((a, b) => a - b);
    expect(edits.length).toBeGreaterThanOrEqual(4);
    // A grant and its call are one synchronous step (a final: one microtask apart): within a ms.
    for (let i = 4; i < edits.length; i++) expect(edits[i]! - edits[i - 4]!).toBeGreaterThanOrEqual(999);
  });

  it("still delivers the final text when the first post fails while the answer finishes", async () => {
    const sink = new RecordingSink();
    const post = sink.post.bind(sink);
    const failing = new Gate();
    let posts = 0;
    sink.post = async (text, state) => {
      if (posts++ === 0) {
        await failing.opened;
        throw new PlatformError("test", "internal_error", "500 from the platform");
      }
      return post(text, state);
    };
    const stream = new AnswerStream(sink, localBudgets(), log);
    stream.append("Partial");
    await vi.waitFor(() => expect(posts).toBe(1)); // the first post is in flight...
    const finishing = stream.finish("done", "The whole answer."); // ...when the answer ends
    failing.open();
    const stats = await finishing;
    expect(sink.visible).toEqual([{ text: "The whole answer.", state: "done" }]);
    expect(stats.delivered).toBe(true);
  });
});

describe("AnswerStream final grant asked early", () => {
  it("asks for the final edit's budget in the same tick as the turn's save, and only once", async () => {
    const sink = new RecordingSink({ scope: "ws-early", scopeEdits: 100, windowMs: 60_000 });
    const store = createMemoryStore({ log });
    const asks: { finals: number; frames: number; tick: number }[] = [];
    let ticks = 0;
    const ledger: RateBudgetStore = {
      ...store.budgets,
      grant: (req) => {
        asks.push({ finals: req.finals, frames: req.frames, tick: ticks });
        return store.budgets.grant(req);
      },
    };
    const stream = new AnswerStream(sink, new EditBudgets(ledger), log);
    stream.append("Hello");
    await stream.posted();
    stream.append(" world");
    // What a turn does at its end: save, and in the same tick ask for the final edit's grant.
    const savedInTick = ticks;
    process.nextTick(() => ticks++);
    stream.grantFinalEarly();
    await tick(5);
    const finals = asks.filter((a) => a.finals > 0);
    expect(finals.map((a) => ({ finals: a.finals, tick: a.tick }))).toEqual([
      { finals: 1, tick: savedInTick },
    ]);
    await stream.finish("done");
    // The final edit used that grant: no second ask for a final.
    expect(asks.filter((a) => a.finals > 0)).toHaveLength(1);
    expect(sink.visible).toEqual([{ text: "Hello world", state: "done" }]);
  });
});
