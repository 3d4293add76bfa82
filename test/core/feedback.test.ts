/**
 * Feedback in the core: which answers are rateable (and remembered for rating), and the rules of
 * a rating (only the asker, a second click changes it, counted once per rating given).
 */
import { describe, expect, it, vi } from "vitest";
import type { DeliveryExtras, MessageState } from "../../src/core/ports.js";
import { userKeyOf } from "../../src/core/types.js";
import { metricSum } from "../platforms/discord/harness.js";
import { makeConversation, message } from "../support/conversation.js";
import { RecordingSink } from "../support/recording-sink.js";
import { Gate, reply, ScriptedModel } from "../support/scripted-model.js";

/** Records which calls were made rateable. */
class RateableSink extends RecordingSink {
  readonly rateable: string[] = [];

  override async post(text: string, state: MessageState, extras?: DeliveryExtras): Promise<string> {
    const ref = await super.post(text, state);
    if (extras?.rateable) this.rateable.push(ref);
    return ref;
  }

  override async edit(
    ref: string,
    text: string,
    state: MessageState,
    extras?: DeliveryExtras,
  ): Promise<void> {
    await super.edit(ref, text, state);
    if (extras?.rateable) this.rateable.push(ref);
  }
}

const LONG = Array.from({ length: 60 }, (_, i) => `word${i}`).join(" ");

describe("rateable answers", () => {
  it("puts the thumbs on the last message of a long answer only, with its final text", async () => {
    const { conversation, feedback } = makeConversation({
      model: new ScriptedModel(() => reply(LONG)),
      feedback: true,
    });
    const sink = new RateableSink({ maxChars: 120 });
    const msg = message({ text: "tell me a lot" });
    const result = await conversation.handle(msg, sink);
    expect(result.outcome).toBe("answered");
    const refs = [...sink.messages.keys()];
    expect(refs.length).toBeGreaterThan(2);
    expect(sink.rateable).toEqual([refs[refs.length - 1]]);
    // The answer was remembered for its asker to rate.
    const rated = await feedback!.rate({
      platform: "web",
      turnId: result.turnId,
      askerKey: userKeyOf(msg),
      clickerKey: userKeyOf(msg),
      rating: "up",
    });
    expect(rated).toEqual({ kind: "rated", rating: "up", changed: true });
  });

  it("makes a stopped answer neither rateable nor rateable later", async () => {
    const hold = new Gate();
    const { conversation, feedback } = makeConversation({
      model: new ScriptedModel(() => reply("one two three four", { holdAfter: 2, hold })),
      feedback: true,
    });
    const sink = new RateableSink();
    const msg = message();
    const controller = new AbortController();
    const running = conversation.handle(msg, sink, { signal: controller.signal });
    // Stopped while it streams: the model holds after two words until the stop.
    await vi.waitFor(() => expect(sink.calls.some((c) => c.op === "post")).toBe(true));
    controller.abort();
    const result = await running;
    expect(result.outcome).toBe("stopped");
    expect(sink.rateable).toEqual([]);
    const key = userKeyOf(msg);
    expect(
      await feedback!.rate({
        platform: "web",
        turnId: result.turnId,
        askerKey: key,
        clickerKey: key,
        rating: "up",
      }),
    ).toEqual({ kind: "unknown" });
  });

  it("is off without a feedback service: no thumbs anywhere", async () => {
    const { conversation } = makeConversation({ model: new ScriptedModel(() => reply("Hi.")) });
    const sink = new RateableSink();
    await conversation.handle(message(), sink);
    expect(sink.rateable).toEqual([]);
  });
});

describe("rating an answer", () => {
  it("refuses anyone but the asker and counts a rating once, under its latest value", async () => {
    const { conversation, feedback, metrics } = makeConversation({
      model: new ScriptedModel(() => reply("Paris.")),
      feedback: true,
    });
    const msg = message();
    const { turnId } = await conversation.handle(msg, new RateableSink());
    const asker = userKeyOf(msg);
    const click = (clickerKey: string, rating: "up" | "down") =>
      feedback!.rate({ platform: "web", turnId, askerKey: asker, clickerKey, rating });
    expect(await click("web:someone-else", "up")).toEqual({ kind: "not_asker" });
    expect(await click(asker, "up")).toEqual({ kind: "rated", rating: "up", changed: true });
    expect(await click(asker, "up")).toEqual({ kind: "rated", rating: "up", changed: false });
    expect(await click(asker, "down")).toEqual({ kind: "rated", rating: "down", changed: true });
    expect(await metricSum(metrics.feedback, { platform: "web", rating: "up" })).toBe(1);
    expect(await metricSum(metrics.feedback, { platform: "web", rating: "down" })).toBe(1);
  });
});
