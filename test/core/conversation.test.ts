import { describe, expect, it, vi } from "vitest";
import { LlmError, StoreError } from "../../src/core/errors.js";
import type { Store } from "../../src/core/ports.js";
import { threadKeyOf } from "../../src/core/types.js";
import { createTokenCounter } from "../../src/llm/tokens.js";
import { silentLogger } from "../../src/log.js";
import { MemoryKeyspace } from "../../src/store/memory/keyspace.js";
import { createMemoryStore } from "../../src/store/memory/store.js";
import { makeConversation, message } from "../support/conversation.js";
import { RecordingSink } from "../support/recording-sink.js";
import { Gate, reply, ScriptedModel, toolCalls } from "../support/scripted-model.js";
import { FactTools } from "../support/test-tools.js";

const lastUser = (req: { messages: { role: string; content?: unknown }[] }) =>
  [...req.messages].reverse().find((m) => m.role === "user")?.content as string;

describe("Conversation.handle", () => {
  it("streams an answer into one message that ends in its final state", async () => {
    const model = new ScriptedModel(() => reply("Hello there, how can I help you today?", { gapMs: 2 }));
    const { conversation } = makeConversation({ model });
    const sink = new RecordingSink();
    const result = await conversation.handle(message({ text: "hi" }), sink);
    expect(result.outcome).toBe("answered");
    expect(sink.calls.filter((c) => c.op === "post")).toHaveLength(1);
    expect(sink.visible).toEqual([{ text: "Hello there, how can I help you today?", state: "done" }]);
  });

  it("tells the model today's date and platform, and the new date once the day has changed", async () => {
    let clock = Date.parse("2026-03-01T23:59:00Z");
    const model = new ScriptedModel(() => reply("ok"));
    const { conversation } = makeConversation({ model, now: () => clock });
    const systemOf = (i: number) => String(model.requests[i]?.messages[0]?.content);
    await conversation.handle(message({ text: "one", threadId: "t1" }), new RecordingSink());
    await conversation.handle(message({ text: "two", threadId: "t2" }), new RecordingSink());
    clock += 2 * 60_000;
    await conversation.handle(message({ text: "three", threadId: "t3" }), new RecordingSink());
    await conversation.handle(
      message({ text: "four", threadId: "t4", platform: "discord" }),
      new RecordingSink(),
    );
    expect(systemOf(0)).toMatch(/Today is 2026-03-01\. You are chatting on web\.$/);
    expect(systemOf(1)).toBe(systemOf(0));
    expect(systemOf(2)).toMatch(/Today is 2026-03-02\. You are chatting on web\.$/);
    expect(systemOf(3)).toMatch(/Today is 2026-03-02\. You are chatting on discord\.$/);
  });

  it("remembers the thread: a follow-up sends the earlier exchange to the model", async () => {
    const model = new ScriptedModel((req) => reply(`You said: ${lastUser(req)}`));
    const { conversation } = makeConversation({ model });
    await conversation.handle(message({ text: "my name is Ana" }), new RecordingSink());
    await conversation.handle(message({ text: "what is my name?" }), new RecordingSink());
    const second = model.requests[1]!;
    expect(second.messages.map((m) => m.role)).toEqual(["system", "user", "assistant", "user"]);
    expect(second.messages[2]).toMatchObject({ role: "assistant", content: "You said: my name is Ana" });
  });

  it("saves an answer's tokens as the model server counted them, and counts them itself without", async () => {
    const answer = "A reply whose tokens the server counts differently from our tokenizer.";
    const withCount = new ScriptedModel(() =>
      reply(answer).map((step) => (step.type === "done" ? { ...step, textTokens: 500 } : step)),
    );
    const counted = makeConversation({ model: withCount });
    await counted.conversation.handle(message({ text: "hi", threadId: "t-counted" }), new RecordingSink());
    const withoutCount = makeConversation({ model: new ScriptedModel(() => reply(answer)) });
    await withoutCount.conversation.handle(message({ text: "hi", threadId: "t-own" }), new RecordingSink());

    const [saved] = await counted.store.threads.load(threadKeyOf(message({ threadId: "t-counted" })));
    const [own] = await withoutCount.store.threads.load(threadKeyOf(message({ threadId: "t-own" })));
    // The same turn: only the answer's count differs, by what the server said it was.
    expect(own?.tokens).toBeLessThan(100);
    expect(saved?.tokens).toBe((own?.tokens ?? 0) - createTokenCounter("gpt-4o-mini").count(answer) + 500);
  });

  it("keeps other threads separate", async () => {
    const model = new ScriptedModel(() => reply("ok"));
    const { conversation } = makeConversation({ model });
    await conversation.handle(message({ threadId: "a", text: "secret A" }), new RecordingSink());
    await conversation.handle(message({ threadId: "b", text: "question B" }), new RecordingSink());
    expect(JSON.stringify(model.requests[1]!.messages)).not.toContain("secret A");
  });

  it("answers a message delivered twice only once", async () => {
    const model = new ScriptedModel(() => reply("once", { gapMs: 5 }));
    const { conversation } = makeConversation({ model });
    const msg = message();
    const sinks = [new RecordingSink(), new RecordingSink(), new RecordingSink(), new RecordingSink()];
    const results = await Promise.all(sinks.map((s) => conversation.handle(msg, s)));
    expect(results.filter((r) => r.outcome === "answered")).toHaveLength(1);
    expect(results.filter((r) => r.outcome === "duplicate")).toHaveLength(3);
    expect(model.requests).toHaveLength(1);
    expect(sinks.flatMap((s) => s.calls).filter((c) => c.op === "post")).toHaveLength(1);
  });

  it("throttles a user over the rate limit with one notice and no model call", async () => {
    const model = new ScriptedModel(() => reply("ok"));
    const { conversation } = makeConversation({
      model,
      settings: { throttle: { requests: 2, windowMs: 60_000, dailyTokens: 1_000_000 } },
    });
    const sinks = [new RecordingSink(), new RecordingSink(), new RecordingSink()];
    for (const s of sinks) await conversation.handle(message(), s);
    expect(model.requests).toHaveLength(2);
    expect(sinks[2]!.notices).toHaveLength(1);
    expect(sinks[2]!.notices[0]).toMatch(/try again in \d+ (seconds|minutes)/);
    expect(sinks[2]!.visible).toEqual([]);
  });

  it("stops answering a user whose daily token budget is spent", async () => {
    const model = new ScriptedModel(() => reply("ok")); // 70 tokens per answer
    const { conversation } = makeConversation({
      model,
      settings: { throttle: { requests: 100, windowMs: 60_000, dailyTokens: 100 } },
    });
    await conversation.handle(message(), new RecordingSink());
    await conversation.handle(message(), new RecordingSink());
    const sink = new RecordingSink();
    const result = await conversation.handle(message(), sink);
    expect(result.outcome).toBe("throttled");
    expect(sink.notices[0]).toMatch(/today's answer budget/);
    expect(model.requests).toHaveLength(2);
  });

  it("answers messages of one thread one at a time, in order", async () => {
    const model = new ScriptedModel((req) => reply(`answer to ${lastUser(req)}`, { gapMs: 3 }));
    const { conversation } = makeConversation({ model });
    const texts = ["first", "second", "third"];
    await Promise.all(texts.map((text) => conversation.handle(message({ text }), new RecordingSink())));
    expect(model.requests.map(lastUser)).toEqual(texts);
    // The third request saw both earlier exchanges.
    expect(JSON.stringify(model.requests[2]!.messages)).toContain("answer to second");
  });

  it("gives up waiting for a busy thread with a notice instead of queueing forever", async () => {
    // The first answer holds the thread until the second has given up.
    const busy = new Gate();
    const model = new ScriptedModel(() => reply("slow answer", { holdAfter: 1, hold: busy }));
    const { conversation } = makeConversation({ model, settings: { lockWaitMs: 50 } });
    const first = conversation.handle(message({ text: "one" }), new RecordingSink());
    await vi.waitFor(() => expect(model.requests).toHaveLength(1));
    const sink = new RecordingSink();
    const second = await conversation.handle(message({ text: "two" }), sink);
    expect(second.outcome).toBe("busy");
    expect(sink.notices[0]).toMatch(/still working on an earlier message/);
    busy.open();
    expect((await first).outcome).toBe("answered");
  });

  it("a duplicate waiting behind its own running answer gives its place back at once, never taking the thread", async () => {
    const busy = new Gate();
    const model = new ScriptedModel(() => reply("slow answer", { holdAfter: 1, hold: busy }));
    const store = createMemoryStore({ log: silentLogger() });
    const owners: string[] = [];
    const acquire = store.threads.acquire.bind(store.threads);
    store.threads.acquire = (threadKey, owner, ttlMs, marker) => {
      owners.push(owner);
      return acquire(threadKey, owner, ttlMs, marker);
    };
    const { conversation } = makeConversation({ model, store });
    const original = message({ text: "one" });
    const first = conversation.handle(original, new RecordingSink());
    await vi.waitFor(() => expect(model.requests).toHaveLength(1));
    // The platform delivers it again while it is being answered: it queues behind the answer
    // before the dedup says it is a repeat.
    expect((await conversation.handle({ ...original }, new RecordingSink())).outcome).toBe("duplicate");
    const next = conversation.handle(message({ text: "two" }), new RecordingSink());
    busy.open();
    expect((await first).outcome).toBe("answered");
    expect((await next).outcome).toBe("answered");
    // The original's and the next message's, not the repeat's as well.
    expect(owners).toHaveLength(2);
  });

  it("runs the tools the model asks for and keeps call and result together in history", async () => {
    const model = new ScriptedModel((req, i) =>
      i === 0
        ? toolCalls(
            { id: "c1", name: "lookup_fact", args: { topic: "capital" } },
            { id: "c2", name: "lookup_fact", args: { topic: "river" } },
          )
        : i === 1
          ? reply("The capital is Paris on the Seine.")
          : reply(`follow-up ${req.messages.length}`),
    );
    const tools = new FactTools();
    const { conversation } = makeConversation({ model, tools });
    const sink = new RecordingSink();
    const msg = message({ userId: "asker" });
    await conversation.handle(msg, sink);
    expect(tools.calls.map((c) => c.ctx.userId)).toEqual(["asker", "asker"]);
    const toolMessages = model.requests[1]!.messages.filter((m) => m.role === "tool");
    expect(toolMessages.map((m) => (m as { content: string }).content)).toEqual([
      JSON.stringify({ topic: "capital", fact: "Paris" }),
      JSON.stringify({ topic: "river", fact: "Seine" }),
    ]);
    expect(sink.calls.some((c) => c.op === "status" && c.text === "looking it up...")).toBe(true);
    expect(sink.visible.at(-1)).toEqual({ text: "The capital is Paris on the Seine.", state: "done" });
    await conversation.handle(message({ userId: "asker", text: "and?" }), new RecordingSink());
    expect(model.requests[2]!.messages.map((m) => m.role)).toEqual([
      "system",
      "user",
      "assistant",
      "tool",
      "tool",
      "assistant",
      "user",
    ]);
  });

  it("stops after the allowed tool rounds and says so", async () => {
    const model = new ScriptedModel((req) =>
      req.tools.length > 0
        ? toolCalls({ id: `c${Math.random()}`, name: "lookup_fact", args: { topic: "capital" } })
        : reply("Best I can do."),
    );
    const { conversation } = makeConversation({ model, settings: { maxToolRounds: 2 } });
    const sink = new RecordingSink();
    await conversation.handle(message(), sink);
    expect(model.requests).toHaveLength(3);
    expect(model.requests[2]!.tools).toEqual([]);
    expect(sink.visible.at(-1)?.text).toContain("Best I can do.");
  });

  it("stops a streaming answer on cancel and marks the message as stopped", async () => {
    // The answer holds after three words until cancelled, so Stop always lands mid-answer.
    const model = new ScriptedModel(() =>
      reply("one two three four five six seven eight nine ten", { holdAfter: 3, hold: new Gate() }),
    );
    const { conversation } = makeConversation({ model });
    const sink = new RecordingSink();
    const msg = message();
    const pending = conversation.handle(msg, sink);
    await vi.waitFor(() => expect(sink.visible.at(-1)?.text).toContain("three"));
    expect(conversation.cancel(`web:${msg.messageId}`)).toBe(true);
    const result = await pending;
    expect(result.outcome).toBe("stopped");
    const shown = sink.visible.at(-1)!;
    expect(shown.state).toBe("stopped");
    expect(shown.text).toMatch(/^one .*\n\n_\(stopped\)_$/s);
    expect(shown.text).not.toContain("ten");
  });

  it("keeps the partial answer and adds a notice when the model stream breaks", async () => {
    const model = new ScriptedModel(() => [
      { type: "text", delta: "The first half" },
      { type: "fail", error: new LlmError("interrupted", "socket closed") },
    ]);
    const { conversation } = makeConversation({ model });
    const sink = new RecordingSink();
    const result = await conversation.handle(message(), sink);
    expect(result.outcome).toBe("error");
    expect(sink.visible.at(-1)?.text).toMatch(
      /^The first half\n\n_\(The connection to the AI service broke off/,
    );
    expect(sink.visible.at(-1)?.state).toBe("error");
  });

  it.each([
    ["rate_limited", /AI service is busy/],
    ["unavailable", /unavailable right now/],
    ["timeout", /took too long/],
    ["auth", /configuration problem/],
  ] as const)("turns a model %s error before any text into a friendly message", async (code, pattern) => {
    const model = new ScriptedModel(() => [{ type: "fail", error: new LlmError(code, code) }]);
    const { conversation } = makeConversation({ model });
    const sink = new RecordingSink();
    await conversation.handle(message(), sink);
    expect(sink.visible).toEqual([{ text: expect.stringMatching(pattern), state: "error" }]);
  });

  it("shows an answer cut by the length limit as cut short", async () => {
    const model = new ScriptedModel(() => reply("A long story that", { finish: "length" }));
    const { conversation } = makeConversation({ model });
    const sink = new RecordingSink();
    await conversation.handle(message(), sink);
    expect(sink.visible.at(-1)?.text).toMatch(/A long story that\n\n_\(This answer was cut short/);
  });

  it("trims the history harder and retries once when the model says the context is too long", async () => {
    const model = new ScriptedModel((req, i) =>
      i < 3
        ? reply(`answer ${i} ${"filler ".repeat(300)}`)
        : req.messages.length > 4
          ? [{ type: "fail", error: new LlmError("context_length", "too long") }]
          : reply("fits now"),
    );
    const { conversation } = makeConversation({ model });
    for (let i = 0; i < 3; i++) await conversation.handle(message({ text: `q${i}` }), new RecordingSink());
    const sink = new RecordingSink();
    await conversation.handle(message({ text: "last" }), sink);
    expect(sink.visible.at(-1)?.text).toBe("fits now");
    expect(model.requests).toHaveLength(5);
    expect(model.requests[4]!.messages.length).toBeLessThanOrEqual(4);
  });

  it("refuses an empty message and a 100 KB message with a notice and no model call", async () => {
    const model = new ScriptedModel(() => reply("ok"));
    const { conversation } = makeConversation({ model });
    const empty = new RecordingSink();
    const huge = new RecordingSink();
    expect((await conversation.handle(message({ text: "   " }), empty)).outcome).toBe("rejected");
    expect((await conversation.handle(message({ text: "x".repeat(100 * 1024) }), huge)).outcome).toBe(
      "rejected",
    );
    expect(empty.notices[0]).toMatch(/didn't get any text/);
    expect(huge.notices[0]).toMatch(/too long for me \(102,400 characters; the limit is 8,000\)/);
    expect(model.requests).toHaveLength(0);
    // A platform's second delivery of the same empty message gets no second notice.
    const again = new RecordingSink();
    const first = message({ text: "" });
    await conversation.handle(first, new RecordingSink());
    expect((await conversation.handle(first, again)).outcome).toBe("duplicate");
    expect(again.notices).toEqual([]);
  });

  it("tells the user when the store is down and serves again when it is back", async () => {
    const real = createMemoryStore({ log: silentLogger() });
    let down = true;
    const flaky: Store = {
      ...real,
      gate: {
        admit: (req) => (down ? Promise.reject(new StoreError("connection refused")) : real.gate.admit(req)),
        recordTokens: (u, t) => real.gate.recordTokens(u, t),
        reserveTokens: (u, t, d) => real.gate.reserveTokens(u, t, d),
        settleTokens: (r, s) => real.gate.settleTokens(r, s),
      },
    };
    const model = new ScriptedModel(() => reply("back online"));
    const { conversation } = makeConversation({ model, store: flaky });
    const sink = new RecordingSink();
    expect((await conversation.handle(message(), sink)).outcome).toBe("unavailable");
    expect(sink.notices[0]).toMatch(/can't reach my conversation store/);
    down = false;
    const after = new RecordingSink();
    expect((await conversation.handle(message(), after)).outcome).toBe("answered");
    expect(after.visible[0]?.text).toBe("back online");
  });

  it("finishes running answers at shutdown with a restart notice after the deadline", async () => {
    // The answer holds after two words and is still running when the 40 ms drain deadline passes.
    const model = new ScriptedModel(() =>
      reply("a b c d e f g h i j k l m n o p", { holdAfter: 2, hold: new Gate() }),
    );
    const { conversation } = makeConversation({ model });
    const sink = new RecordingSink();
    const pending = conversation.handle(message(), sink);
    await vi.waitFor(() => expect(sink.visible.at(-1)?.text).toContain("b"));
    await conversation.drain(40);
    expect((await pending).outcome).toBe("stopped");
    expect(sink.visible.at(-1)?.text).toMatch(/assistant is restarting/);
    const late = new RecordingSink();
    expect((await conversation.handle(message(), late)).outcome).toBe("unavailable");
    expect(late.notices[0]).toBe("I'm restarting right now. Please send that again in a moment.");
  });

  it("finalizes the message of a turn whose process died, found by the next message or by the sweep", async () => {
    const model = new ScriptedModel(() => reply("fresh answer"));
    const { conversation, store } = makeConversation({ model });
    const finalized: string[] = [];
    conversation.orphans.register("web", async (orphan) => {
      finalized.push(orphan.turnId);
    });
    const marker = (turnId: string, threadId: string) =>
      JSON.stringify({
        turnId,
        platform: "web",
        workspaceId: "local",
        channelId: "c1",
        threadId,
        messageId: "x",
        startedAt: 1,
      });
    // Two turns "die" holding their threads: their locks expire, nobody commits.
    await store.threads.acquire("web:local:c1:dead1", "gone", 20, marker("web:dead-1", "dead1"));
    await store.threads.acquire("web:local:c1:dead2", "gone", 20, marker("web:dead-2", "dead2"));
    await new Promise((r) => setTimeout(r, 60));
    // The next message in the first thread finds its dead predecessor...
    await conversation.handle(message({ threadId: "dead1" }), new RecordingSink());
    await vi.waitFor(() => expect(finalized).toEqual(["web:dead-1"]));
    // ...and the sweep finds the other one; nothing is finalized twice.
    expect(await conversation.orphans.sweepOnce(store.threads)).toBe(1);
    expect(await conversation.orphans.sweepOnce(store.threads)).toBe(0);
    expect(finalized).toEqual(["web:dead-1", "web:dead-2"]);
  });

  it("asks for the thread in the same round trip as the admission, and gives it back when the message is refused", async () => {
    const model = new ScriptedModel(() => reply("ok"));
    // The store's clock is the test's: a dead turn's lock lapses when the test says so.
    let clock = Date.now();
    const store = createMemoryStore({
      log: silentLogger(),
      keyspace: new MemoryKeyspace({ now: () => clock }),
    });
    const events: string[] = [];
    const admit = store.gate.admit.bind(store.gate);
    store.gate.admit = async (req) => {
      events.push("admit sent");
      const decision = await admit(req);
      events.push("admit answered");
      return decision;
    };
    const acquire = store.threads.acquire.bind(store.threads);
    store.threads.acquire = async (...args) => {
      events.push("thread asked for");
      return acquire(...args);
    };
    const { conversation } = makeConversation({
      model,
      store,
      settings: { throttle: { requests: 1, windowMs: 60_000, dailyTokens: 1_000_000 } },
    });
    const finalized: string[] = [];
    conversation.orphans.register("web", async (orphan) => {
      finalized.push(orphan.turnId);
    });

    const first = await conversation.handle(message({ threadId: "first" }), new RecordingSink());
    expect(first.outcome).toBe("answered");
    // Both requests went out before either answer was awaited.
    expect(events.indexOf("thread asked for")).toBeLessThan(events.indexOf("admit answered"));
    expect(events.indexOf("admit sent")).toBeLessThan(events.indexOf("admit answered"));

    // A thread whose last turn died mid-answer: its lock lapses, its marker is left.
    const dead = threadKeyOf(message({ threadId: "dead" }));
    const marker = JSON.stringify({
      turnId: "web:dead-1",
      platform: "web",
      workspaceId: "local",
      channelId: "c1",
      threadId: "dead",
      messageId: "x",
      startedAt: 1,
    });
    expect((await acquire(dead, "gone", 1000, marker)).acquired).toBe(true);
    clock += 2000;

    // The user is over the limit: refused; the thread is given back and the dead turn finalized.
    const refused = await conversation.handle(message({ threadId: "dead" }), new RecordingSink());
    expect(refused.outcome).toBe("throttled");
    await vi.waitFor(() => expect(finalized).toEqual(["web:dead-1"]));
    await vi.waitFor(async () => expect((await acquire(dead, "probe", 60_000)).acquired).toBe(true));
  });

  it("counts the tokens of a stopped answer against the daily budget", async () => {
    const model = new ScriptedModel(() =>
      reply("one two three four five six seven eight nine ten", { holdAfter: 3, hold: new Gate() }),
    );
    const { conversation } = makeConversation({
      model,
      settings: { throttle: { requests: 100, windowMs: 60_000, dailyTokens: 100 } },
    });
    const msg = message();
    const sink = new RecordingSink();
    const pending = conversation.handle(msg, sink);
    await vi.waitFor(() => expect(sink.visible.at(-1)?.text).toContain("three"));
    conversation.cancel(`web:${msg.messageId}`);
    const stopped = await pending;
    expect(stopped.outcome).toBe("stopped");
    // The prompt alone is over 100 tokens: pressing Stop does not dodge the budget.
    expect(stopped.usage.inputTokens).toBeGreaterThan(100);
    expect((await conversation.handle(message(), new RecordingSink())).outcome).toBe("throttled");
  });
});
