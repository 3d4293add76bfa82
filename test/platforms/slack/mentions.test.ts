import { afterEach, describe, expect, it } from "vitest";
import { STOP_ACTION_ID } from "../../../src/platforms/slack/render.js";
import { FAKE_BOT_USER_ID } from "../../fakes/slack-api.js";
import { buttonClick, eventEnvelope, mentionEvents, messageEvent } from "../../fakes/slack-events.js";
import { Gate, reply, ScriptedModel } from "../../support/scripted-model.js";
import { eventually, type Harness, startHarness } from "./harness.js";

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const ANSWER = "Your order **A-1001** shipped yesterday and arrives on Friday.";

function mention(text: string, ts: string, threadTs?: string) {
  return mentionEvents({
    channel: "C1",
    user: "U1",
    text: `<@${FAKE_BOT_USER_ID}> ${text}`,
    ts,
    ...(threadTs ? { threadTs } : {}),
  });
}

describe("Slack mentions over HTTP", () => {
  it("answers a mention in a thread under it, streamed by edits, with a Stop button until done", async () => {
    const model = new ScriptedModel(() => reply(ANSWER, { gapMs: 30 }));
    h = await startHarness({ model, env: { SLACK_NATIVE_STREAMING: "false" } });
    const ts = h.fake.nextTs();
    const res = await h.delivery.event(eventEnvelope(mention("where is my order?", ts).appMention));
    expect(res.status).toBe(200);

    const msg = await eventually(() => h?.fake.botMessages("C1", ts)[0]);
    await h.adapter.idle();
    expect(h.fake.visibleText(msg)).toBe(ANSWER); // Slack renders the markdown block itself
    expect(msg.timeline.length).toBeGreaterThan(1); // it grew in place
    expect(msg.timeline.map((t) => t.method)).toEqual([
      "chat.postMessage",
      ...Array(msg.timeline.length - 1).fill("chat.update"),
    ]);
    expect(h.fake.buttons(msg)).toEqual([]); // the final state has no Stop button
    expect(h.fake.callsOf("chat.postMessage")[0]?.args.blocks).toEqual(
      expect.arrayContaining([expect.objectContaining({ type: "actions" })]),
    );
    expect(h.fake.callsOf("chat.postMessage")[0]?.args.thread_ts).toBe(ts);
    expect(model.requests[0]?.messages.at(-1)).toMatchObject({ role: "user", content: "where is my order?" });
  });

  it("streams natively with chat.startStream/appendStream/stopStream when Slack offers it", async () => {
    const model = new ScriptedModel(() => reply(ANSWER, { gapMs: 30 }));
    h = await startHarness({ model });
    const ts = h.fake.nextTs();
    await h.delivery.event(eventEnvelope(mention("where is my order?", ts).appMention));
    const msg = await eventually(() => h?.fake.botMessages("C1", ts)[0]);
    await h.adapter.idle();
    expect(h.fake.visibleText(msg)).toBe(ANSWER); // Slack renders the markdown itself
    expect(msg.stream?.state).toBe("stopped");
    const methods = msg.timeline.map((t) => t.method);
    expect(methods[0]).toBe("chat.startStream");
    expect(methods.at(-1)).toBe("chat.stopStream");
    expect(h.fake.callsOf("chat.startStream")[0]?.args).toMatchObject({
      channel: "C1",
      thread_ts: ts,
      recipient_user_id: "U1",
      recipient_team_id: "T0FAKE",
    });
  });

  it("falls back to message edits when the workspace has no native streaming", async () => {
    const model = new ScriptedModel(() => reply(ANSWER));
    h = await startHarness({ model, fake: { nativeStreaming: false } });
    const ts = h.fake.nextTs();
    await h.delivery.event(eventEnvelope(mention("hi", ts).appMention));
    await eventually(() => h?.fake.botMessages("C1", ts)[0]);
    await h.adapter.idle();
    const [msg] = h.fake.botMessages("C1", ts);
    expect(msg && h.fake.visibleText(msg)).toBe(ANSWER);
    expect(h.fake.callsOf("chat.startStream").map((c) => c.error)).toEqual(["unknown_method"]);
  });

  it("replies once when Slack sends app_mention and message for one post and retries it 4 times", async () => {
    const model = new ScriptedModel(() => reply("Hello!", { gapMs: 20 }));
    h = await startHarness({ model });
    const ts = h.fake.nextTs();
    const { appMention, message } = mention("hello", ts);
    const first = eventEnvelope(appMention, "Ev1");
    const deliveries = [
      h.delivery.event(first),
      h.delivery.event(eventEnvelope(message, "Ev2")),
      h.delivery.event(first, { retryNum: 1 }),
      h.delivery.event(first, { retryNum: 2 }),
      h.delivery.event(first, { retryNum: 3 }),
    ];
    expect((await Promise.all(deliveries)).map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    await eventually(() => h?.fake.botMessages("C1", ts)[0]);
    await h.adapter.idle();
    expect(h.fake.botMessages("C1", ts)).toHaveLength(1);
    expect(model.requests).toHaveLength(1);
  });

  it("continues the thread's conversation with its history, without a new mention", async () => {
    const model = new ScriptedModel((_req, i) => reply(i === 0 ? "It is order A-1001." : "It ships Friday."));
    h = await startHarness({ model });
    const root = h.fake.nextTs();
    await h.delivery.event(eventEnvelope(mention("which order is mine?", root).appMention));
    await eventually(() => h?.fake.botMessages("C1", root)[0]);
    await h.adapter.idle();

    const followTs = h.fake.nextTs();
    await h.delivery.event(
      eventEnvelope(
        messageEvent({ channel: "C1", user: "U1", text: "when does it ship?", ts: followTs, threadTs: root }),
      ),
    );
    await eventually(() => (h?.fake.botMessages("C1", root).length ?? 0) >= 2);
    await h.adapter.idle();
    const second = model.requests[1]?.messages ?? [];
    expect(second.map((m) => m.role)).toEqual(["system", "user", "assistant", "user"]);
    expect(second[2]).toMatchObject({ content: "It is order A-1001." });

    // Top-level chatter and threads the bot is not part of are not answered.
    await h.delivery.event(
      eventEnvelope(messageEvent({ channel: "C1", user: "U2", text: "lunch?", ts: h.fake.nextTs() })),
    );
    const otherRoot = h.fake.nextTs();
    await h.delivery.event(
      eventEnvelope(
        messageEvent({ channel: "C1", user: "U2", text: "hm", ts: h.fake.nextTs(), threadTs: otherRoot }),
      ),
    );
    await h.adapter.idle();
    expect(model.requests).toHaveLength(2);
  });

  it("needs a new mention for thread follow-ups when SLACK_THREAD_FOLLOWUPS=mention", async () => {
    const model = new ScriptedModel(() => reply("ok"));
    h = await startHarness({ model, env: { SLACK_THREAD_FOLLOWUPS: "mention" } });
    const root = h.fake.nextTs();
    await h.delivery.event(eventEnvelope(mention("first", root).appMention));
    await eventually(() => h?.fake.botMessages("C1", root)[0]);
    await h.adapter.idle();
    await h.delivery.event(
      eventEnvelope(
        messageEvent({ channel: "C1", user: "U1", text: "second", ts: h.fake.nextTs(), threadTs: root }),
      ),
    );
    await h.adapter.idle();
    expect(model.requests).toHaveLength(1);
    await h.delivery.event(eventEnvelope(mention("third", h.fake.nextTs(), root).appMention));
    await eventually(() => model.requests.length === 2);
  });

  it("rejects requests with a wrong signature or an old timestamp", async () => {
    const model = new ScriptedModel(() => reply("never"));
    h = await startHarness({ model });
    const envelope = eventEnvelope(mention("hi", h.fake.nextTs()).appMention);
    expect((await h.delivery.event(envelope, { secret: "not-the-secret" })).status).toBe(401);
    expect((await h.delivery.event(envelope, { ageSec: 6 * 60 })).status).toBe(401);
    expect((await h.delivery.event(envelope, { signature: "v0=deadbeef" })).status).toBe(401);
    await h.adapter.idle();
    expect(model.requests).toHaveLength(0);
    expect(h.fake.botMessages()).toHaveLength(0);
  });

  it("stops a streaming answer when its asker presses Stop, and ignores others' clicks", async () => {
    // The answer holds after five words until stopped: the clicks always land while it streams.
    const model = new ScriptedModel(() =>
      reply(`${"word ".repeat(200)}end`, { gapMs: 5, holdAfter: 5, hold: new Gate() }),
    );
    h = await startHarness({ model, env: { SLACK_NATIVE_STREAMING: "false" } });
    const ts = h.fake.nextTs();
    await h.delivery.event(eventEnvelope(mention("tell me a lot", ts).appMention));
    const msg = await eventually(() => h?.fake.botMessages("C1", ts)[0]);
    const stop = h.fake.buttons(msg).find((b) => b.actionId === STOP_ACTION_ID);
    expect(stop).toBeDefined();
    const click = (user: string) =>
      h!.delivery.action(
        buttonClick({
          fake: h!.fake,
          channel: "C1",
          user,
          messageTs: msg.ts,
          actionId: STOP_ACTION_ID,
          value: stop!.value,
        }),
      );
    expect((await click("U2")).status).toBe(200);
    await eventually(() => h?.fake.ephemerals.find((e) => e.user === "U2"));
    expect((await click("U1")).status).toBe(200);
    await h.adapter.idle();
    const text = h.fake.visibleText(msg);
    expect(text).toMatch(/_\(stopped\)_$/);
    expect(text).not.toContain("end");
    expect(h.fake.buttons(msg)).toEqual([]);
  });

  it("stops an answer that another replica is streaming", async () => {
    // The answer holds after five words until stopped: the click always lands while it streams.
    const model = new ScriptedModel(() =>
      reply(`${"word ".repeat(300)}end`, { gapMs: 5, holdAfter: 5, hold: new Gate() }),
    );
    h = await startHarness({ model, env: { SLACK_NATIVE_STREAMING: "false" } });
    const replica = await h.startReplica(model);
    try {
      const ts = h.fake.nextTs();
      await h.delivery.event(eventEnvelope(mention("tell me a lot", ts).appMention));
      const msg = await eventually(() => h?.fake.botMessages("C1", ts)[0]);
      const stop = h.fake.buttons(msg).find((b) => b.actionId === STOP_ACTION_ID);
      // The click lands on the replica that is not running the answer.
      await replica.delivery.action(
        buttonClick({
          fake: h.fake,
          channel: "C1",
          user: "U1",
          messageTs: msg.ts,
          actionId: STOP_ACTION_ID,
          value: stop?.value ?? "",
        }),
      );
      await h.adapter.idle();
      expect(h.fake.visibleText(msg)).toMatch(/_\(stopped\)_$/);
      expect(h.fake.visibleText(msg)).not.toContain("end");
    } finally {
      await replica.close();
    }
  });
});
