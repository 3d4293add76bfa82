import { describe, expect, it } from "vitest";
import { LlmError } from "../../src/core/errors.js";
import type { Store } from "../../src/core/ports.js";
import type { TranscriptLine } from "../../src/core/types.js";
import { createTokenCounter } from "../../src/llm/tokens.js";
import { silentLogger } from "../../src/log.js";
import { createMemoryStore } from "../../src/store/memory/store.js";
import { makeConversation } from "../support/conversation.js";
import { RecordingSink } from "../support/recording-sink.js";
import { reply, ScriptedModel, type Step } from "../support/scripted-model.js";

function transcript(n: number): TranscriptLine[] {
  const people = ["ana", "bo", "chen", "dee"];
  return Array.from({ length: n }, (_, i) => ({
    author: people[i % people.length]!,
    text: `message number ${i} about the release plan and the open bugs we still have`,
    at: Date.UTC(2026, 10, 27, 9, 0, i),
  }));
}

const request = (lines: TranscriptLine[], sink: RecordingSink, id = `r${Math.random()}`) => ({
  platform: "slack" as const,
  workspaceId: "T1",
  channelId: "C1",
  userId: "U1",
  requestId: id,
  lines,
  sink,
  subject: "#general",
});

/** Small requests (so a long channel takes several calls) and a daily budget of `dailyTokens`. */
const budgeted = (model: ScriptedModel, dailyTokens: number) =>
  makeConversation({
    model,
    settings: {
      contextTokenBudget: 2500,
      maxOutputTokens: 200,
      throttle: { requests: 100, windowMs: 60_000, dailyTokens },
    },
  });

describe("Conversation.summarize", () => {
  it("streams a summary of a short channel in one model call", async () => {
    const model = new ScriptedModel(() => reply("- The team discussed the release plan.", { gapMs: 1 }));
    const { conversation } = makeConversation({ model });
    const sink = new RecordingSink();
    const result = await conversation.summarize(request(transcript(20), sink));
    expect(result.outcome).toBe("answered");
    expect(model.requests).toHaveLength(1);
    expect(model.requests[0]!.messages[1]).toMatchObject({
      role: "user",
      content: expect.stringContaining("ana: message number 0"),
    });
    expect(sink.visible.at(-1)).toEqual({
      text: "**Summary of #general** (20 messages)\n\n- The team discussed the release plan.",
      state: "done",
    });
  });

  it("summarizes 300 messages over the budget in parts and then combines them", async () => {
    const model = new ScriptedModel((req) =>
      String(req.messages[0]?.content).includes("partial summaries")
        ? reply("Combined overview.")
        : reply("Part summary."),
    );
    const { conversation } = makeConversation({
      model,
      settings: { contextTokenBudget: 2500, maxOutputTokens: 200 },
    });
    const sink = new RecordingSink();
    await conversation.summarize(request(transcript(300), sink));
    const partCalls = model.requests.filter(
      (r) => !String(r.messages[0]?.content).includes("partial summaries"),
    );
    expect(partCalls.length).toBeGreaterThan(2);
    // Every message went into exactly one part, in order.
    const seen = partCalls.flatMap((r) => String(r.messages[1]?.content).match(/message number \d+/g) ?? []);
    expect(seen).toEqual(Array.from({ length: 300 }, (_, i) => `message number ${i}`));
    expect(sink.visible.at(-1)?.text).toContain("Combined overview.");
  });

  it("stops ten concurrent summaries of one user at the daily token budget", async () => {
    // Each call reports what a real model would bill: the prompt it read and 150 tokens written.
    const counter = createTokenCounter("gpt-4o-mini");
    const model = new ScriptedModel((req): Step[] => [
      { type: "text", delta: "Part summary." },
      {
        type: "done",
        finishReason: "stop",
        usage: { inputTokens: counter.countMessages(req.messages), outputTokens: 150 },
      },
    ]);
    const dailyTokens = 12_000;
    const { conversation, store } = budgeted(model, dailyTokens);
    const sinks = Array.from({ length: 10 }, () => new RecordingSink());
    const results = await Promise.all(
      sinks.map((sink) => conversation.summarize(request(transcript(300), sink))),
    );

    const spent = results.reduce((sum, r) => sum + r.usage.inputTokens + r.usage.outputTokens, 0);
    expect(spent).toBeLessThanOrEqual(dailyTokens);
    const refused = results.filter((r) => r.outcome === "throttled");
    expect(refused.length).toBeGreaterThan(0);
    for (const [i, r] of results.entries()) {
      expect(["answered", "throttled"]).toContain(r.outcome);
      if (r.outcome === "throttled") expect(sinks[i]!.visible.at(-1)?.text).toMatch(/today's answer budget/);
    }
    // What was spent is what the budget holds: nothing reserved is left behind.
    expect(await store.gate.reserveTokens("slack:U1", dailyTokens - spent, dailyTokens)).not.toBeNull();
  });

  it("charges nothing for summaries the model refused before answering, so an outage does not use up the day", async () => {
    let calls = 0;
    const model = new ScriptedModel((): Step[] =>
      ++calls <= 5
        ? [{ type: "fail", error: new LlmError("unavailable", "model is overloaded (503)") }]
        : reply("Back to normal."),
    );
    const dailyTokens = 4000;
    const { conversation, store } = budgeted(model, dailyTokens);
    for (let i = 0; i < 5; i++) {
      expect((await conversation.summarize(request(transcript(40), new RecordingSink()))).outcome).toBe(
        "error",
      );
    }
    const sink = new RecordingSink();
    expect((await conversation.summarize(request(transcript(40), sink))).outcome).toBe("answered");
    expect(sink.visible.at(-1)?.text).toContain("Back to normal.");
    // Only the summary that was answered is on today's bill.
    expect(await store.gate.reserveTokens("slack:U1", dailyTokens - 1000, dailyTokens)).not.toBeNull();
  });

  it("settles a summary's tokens on a later try when the store fails the first, so they are not held until midnight", async () => {
    const model = new ScriptedModel((): Step[] => [
      { type: "text", delta: "Short summary." },
      { type: "done", finishReason: "stop", usage: { inputTokens: 300, outputTokens: 50 } },
    ]);
    const real = createMemoryStore({ log: silentLogger() });
    let failing = true;
    let settled!: () => void;
    const retried = new Promise<void>((resolve) => (settled = resolve));
    const store: Store = {
      ...real,
      gate: {
        ...real.gate,
        settleTokens: async (reservation, spent) => {
          if (failing) {
            failing = false;
            throw new Error("store timeout");
          }
          await real.gate.settleTokens(reservation, spent);
          settled();
        },
      },
    };
    const dailyTokens = 4000;
    const { conversation } = makeConversation({
      model,
      store,
      settings: { maxOutputTokens: 200, throttle: { requests: 100, windowMs: 60_000, dailyTokens } },
    });
    const sink = new RecordingSink();
    expect((await conversation.summarize(request(transcript(20), sink))).outcome).toBe("answered");
    await retried;
    // 350 spent: the rest of the day's budget is free again.
    expect(await store.gate.reserveTokens("slack:U1", dailyTokens - 350, dailyTokens)).not.toBeNull();
    expect(await store.gate.reserveTokens("slack:U1", 1, dailyTokens)).toBeNull();
  });

  it("says there is nothing to summarize in an empty channel", async () => {
    const model = new ScriptedModel(() => reply("never"));
    const { conversation } = makeConversation({ model });
    const sink = new RecordingSink();
    await conversation.summarize(request([], sink));
    expect(sink.notices[0]).toBe("There are no messages to summarize in #general.");
    expect(model.requests).toHaveLength(0);
  });
});
