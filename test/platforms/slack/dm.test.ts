import { afterEach, describe, expect, it } from "vitest";
import { assistantThreadStarted, eventEnvelope, messageEvent } from "../../fakes/slack-events.js";
import { reply, ScriptedModel, toolCalls } from "../../support/scripted-model.js";
import { eventually, type Harness, startHarness } from "./harness.js";

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const dm = (text: string, ts: string, threadTs?: string) =>
  eventEnvelope(
    messageEvent({
      channel: "D1",
      channelType: "im",
      user: "U1",
      text,
      ts,
      ...(threadTs ? { threadTs } : {}),
    }),
  );

describe("Slack direct messages", () => {
  it("answers plain DMs at the top level and remembers the DM conversation", async () => {
    const model = new ScriptedModel((_r, i) =>
      reply(i === 0 ? "Hi Ana, how can I help?" : "Sure, order A-1001."),
    );
    h = await startHarness({ model, setup: (f) => f.addChannel({ id: "D1", name: "dm", type: "im" }) });
    await h.delivery.event(dm("hello", h.fake.nextTs()));
    await eventually(() => h?.fake.botMessages("D1")[0]);
    await h.adapter.idle();
    await h.delivery.event(dm("my order please", h.fake.nextTs()));
    await eventually(() => (h?.fake.botMessages("D1").length ?? 0) >= 2);
    await h.adapter.idle();
    const msgs = h.fake.botMessages("D1");
    expect(msgs.map((m) => m.threadTs)).toEqual([undefined, undefined]);
    expect(msgs.map((m) => h?.fake.visibleText(m))).toEqual([
      "Hi Ana, how can I help?",
      "Sure, order A-1001.",
    ]);
    expect(model.requests[1]?.messages.map((m) => m.role)).toEqual(["system", "user", "assistant", "user"]);
  });

  it("greets an assistant thread with suggested prompts, shows a status while working, keeps history per thread", async () => {
    const model = new ScriptedModel((req, i) => {
      if (i === 0) return toolCalls({ id: "c1", name: "lookup_fact", args: { topic: "capital" } });
      if (i === 1) return reply("The capital is Paris.", { gapMs: 10 });
      return reply(`You asked ${req.messages.filter((m) => m.role === "user").length} questions here.`);
    });
    h = await startHarness({ model, setup: (f) => f.addChannel({ id: "D1", name: "dm", type: "im" }) });
    const thread = h.fake.nextTs();
    await h.delivery.event(
      eventEnvelope(assistantThreadStarted({ channel: "D1", user: "U1", threadTs: thread })),
    );
    await eventually(() =>
      h?.fake.assistantCalls.find((c) => c.method === "assistant.threads.setSuggestedPrompts"),
    );
    await eventually(() => h?.fake.botMessages("D1", thread)[0]);
    const prompts = h.fake.assistantCalls.find((c) => c.method === "assistant.threads.setSuggestedPrompts");
    expect((prompts?.args.prompts as unknown[] | undefined)?.length).toBeGreaterThan(0);

    await h.delivery.event(dm("what is the capital?", h.fake.nextTs(), thread));
    await eventually(() => h?.fake.botMessages("D1", thread)[1]);
    await h.adapter.idle();
    const statuses = () =>
      h?.fake.assistantCalls
        .filter((c) => c.method === "assistant.threads.setStatus")
        .map((c) => c.args.status) ?? [];
    // Cleared once the answer is there.
    await eventually(() => statuses().at(-1) === "");
    expect(statuses()).toContain("thinking...");
    expect(statuses()).toContain("looking it up...");
    expect(h.fake.assistantCalls.find((c) => c.method === "assistant.threads.setTitle")?.args.title).toBe(
      "what is the capital?",
    );
    const answer = h.fake.botMessages("D1", thread)[1];
    expect(answer && h.fake.visibleText(answer)).toBe("The capital is Paris.");

    // A second assistant thread is a separate conversation.
    const other = h.fake.nextTs();
    await h.delivery.event(
      eventEnvelope(assistantThreadStarted({ channel: "D1", user: "U1", threadTs: other })),
    );
    await h.delivery.event(dm("how many questions?", h.fake.nextTs(), other));
    await eventually(() => h?.fake.botMessages("D1", other)[1]);
    await h.adapter.idle();
    // The greeting and the answer race in this test (Slack sends the thread start long before a
    // person can type); find the answer by what it is, not by its position.
    const last = h.fake.botMessages("D1", other).find((m) => !h?.fake.visibleText(m).startsWith("Hi!"));
    expect(last && h.fake.visibleText(last)).toBe("You asked 1 questions here.");
  });

  it("works the same over Socket Mode", async () => {
    const model = new ScriptedModel(() => reply("Hello over the socket."));
    h = await startHarness({
      model,
      mode: "socket",
      setup: (f) => f.addChannel({ id: "D1", name: "dm", type: "im" }),
    });
    expect(h.adapter.isReady()).toBe(true);
    const ack = await h.delivery.event(dm("hi", h.fake.nextTs()));
    expect(ack.status).toBe(200);
    const msg = await eventually(() => h?.fake.botMessages("D1")[0]);
    await h.adapter.idle();
    expect(h.fake.visibleText(msg)).toBe("Hello over the socket.");
    expect(h.fake.callsOf("apps.connections.open")).toHaveLength(1);
  });
});
