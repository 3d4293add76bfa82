import { type ClientRequest, request } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { BUSY_NOTICE } from "../../../src/platforms/slack/ack-first.js";
import { botThreadKey } from "../../../src/platforms/slack/events.js";
import { STOP_ACTION_ID } from "../../../src/platforms/slack/render.js";
import { FAKE_TEAM_ID } from "../../fakes/slack-api.js";
import {
  buttonClick,
  eventEnvelope,
  mentionEvents,
  messageEvent,
  slashCommand,
} from "../../fakes/slack-events.js";
import { Gate, reply, ScriptedModel } from "../../support/scripted-model.js";
import { eventually, type Harness, startHarness } from "./harness.js";

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** A slow upload to /slack/events: while it is being acknowledged, every start waits. */
async function holdAcks(harness: Harness): Promise<ClientRequest> {
  const requestSeen = new Promise((resolve) => harness.http.server.once("request", resolve));
  const slow = request(harness.eventsUrl, {
    method: "POST",
    headers: { "content-type": "application/json", "content-length": "1000" },
  });
  slow.on("error", () => {});
  slow.write("{");
  await requestSeen;
  return slow;
}

describe("a replica with no room left for new work", () => {
  it("acknowledges a mention and tells its author privately to ask again, without answering", async () => {
    const model = new ScriptedModel(() => reply("never"));
    h = await startHarness({ model, adapter: { maxWaitingStarts: 0 } });
    const ts = h.fake.nextTs();
    const chatter = await h.delivery.event(
      eventEnvelope(messageEvent({ channel: "C1", user: "U2", text: "lunch?", ts: h.fake.nextTs() })),
    );
    const ack = await h.delivery.event(
      eventEnvelope(
        mentionEvents({ channel: "C1", user: "U1", text: "<@U0BOT> where is my order?", ts }).appMention,
      ),
    );
    expect([chatter.status, ack.status]).toEqual([200, 200]);
    const notice = await eventually(() => h?.fake.ephemerals[0]);
    await h.adapter.idle();
    expect(notice).toMatchObject({ channel: "C1", user: "U1", text: BUSY_NOTICE });
    expect(h.fake.ephemerals).toHaveLength(1); // nothing for the ignored message
    expect(model.requests).toHaveLength(0);
    expect(h.fake.botMessages("C1")).toHaveLength(0);
  });

  it("does not give channel chatter the bot ignores a start slot that a question then misses", async () => {
    const model = new ScriptedModel(() => reply("It shipped yesterday."));
    const harness = await startHarness({ model, adapter: { maxWaitingStarts: 1, maxStartDelayMs: 600_000 } });
    h = harness;
    const slow = await holdAcks(harness);
    const ts = harness.fake.nextTs();
    for (let i = 0; i < 3; i++) {
      const chatter = messageEvent({
        channel: "C1",
        user: "U2",
        text: `lunch ${i}?`,
        ts: harness.fake.nextTs(),
      });
      expect((await harness.delivery.event(eventEnvelope(chatter))).status).toBe(200);
    }
    const question = mentionEvents({ channel: "C1", user: "U1", text: "<@U0BOT> where is my order?", ts });
    expect((await harness.delivery.event(eventEnvelope(question.appMention))).status).toBe(200);
    slow.destroy();
    const answer = await eventually(() =>
      harness.fake.botMessages("C1").find((m) => /shipped yesterday/.test(harness.fake.visibleText(m))),
    );
    expect(answer).toBeDefined();
    expect(harness.fake.ephemerals).toHaveLength(0);
  });

  it("still stops an answer when its asker presses Stop while every start slot is taken", async () => {
    const model = new ScriptedModel((_req, index) =>
      // The first answer holds after a few words until it is stopped: the click always finds it running.
      index === 0 ? reply(`${"word ".repeat(300)}end`, { holdAfter: 5, hold: new Gate() }) : reply("Later."),
    );
    const harness = await startHarness({
      model,
      env: { SLACK_NATIVE_STREAMING: "false" },
      // Starts wait only for the acks, however long: the slow upload below decides.
      adapter: { maxWaitingStarts: 1, maxStartDelayMs: 600_000 },
    });
    h = harness;
    const ts = harness.fake.nextTs();
    await harness.delivery.event(
      eventEnvelope(
        mentionEvents({ channel: "C1", user: "U1", text: "<@U0BOT> tell me a lot", ts }).appMention,
      ),
    );
    const msg = await eventually(() => harness.fake.botMessages("C1", ts)[0]);
    const stop = harness.fake.buttons(msg).find((b) => b.actionId === STOP_ACTION_ID);
    expect(stop).toBeDefined();
    const slow = await holdAcks(harness);
    // Another question takes the one start slot and waits for the acks.
    const otherTs = harness.fake.nextTs();
    const other = mentionEvents({ channel: "C1", user: "U3", text: "<@U0BOT> hi", ts: otherTs });
    expect((await harness.delivery.event(eventEnvelope(other.appMention))).status).toBe(200);
    const click = buttonClick({
      fake: harness.fake,
      channel: "C1",
      user: "U1",
      messageTs: msg.ts,
      actionId: STOP_ACTION_ID,
      value: stop!.value,
    });
    expect((await harness.delivery.action(click)).status).toBe(200);
    await eventually(() => /_\(stopped\)_$/.test(harness.fake.visibleText(msg)));
    expect(harness.fake.visibleText(msg)).not.toContain("end");
    slow.destroy();
    await eventually(() => harness.fake.botMessages("C1", otherTs)[0]);
  });

  it("tells the asker of a /summarize it could not take, also where the bot may not post", async () => {
    const model = new ScriptedModel(() => reply("never"));
    h = await startHarness({
      model,
      adapter: { maxWaitingStarts: 0 },
      setup: (fake) => fake.addChannel({ id: "C2", name: "design", botMember: false }),
    });
    const form = slashCommand({ fake: h.fake, channel: "C2", user: "U1", text: "20" });
    expect((await h.delivery.command(form)).status).toBe(200);
    const id = form.response_url?.split("/").pop();
    const post = await eventually(() => h?.fake.responsePosts.find((p) => p.id === id));
    expect(JSON.stringify(post.body)).toContain(BUSY_NOTICE.slice(0, 40));
    await h.adapter.idle();
    expect(model.requests).toHaveLength(0);
  });
});

describe("a thread follow-up arriving when no start slot is left", () => {
  it("tells its author privately in the thread to ask again, but says nothing in threads the bot is not in", async () => {
    const model = new ScriptedModel(() => reply("never"));
    const harness = await startHarness({ model, adapter: { maxWaitingStarts: 0 } });
    h = harness;
    // A thread the bot answered in earlier (its mark, as the adapter leaves it after answering).
    const ts = harness.fake.nextTs();
    await harness.store.kv.set(botThreadKey(FAKE_TEAM_ID, "C1", ts), "1", 60_000);
    const strangerThread = harness.fake.nextTs();
    const elsewhere = messageEvent({
      channel: "C1",
      user: "U2",
      text: "anyone for lunch?",
      ts: harness.fake.nextTs(),
      threadTs: strangerThread,
    });
    expect((await harness.delivery.event(eventEnvelope(elsewhere))).status).toBe(200);
    const followup = messageEvent({
      channel: "C1",
      user: "U1",
      text: "and when does it arrive?",
      ts: harness.fake.nextTs(),
      threadTs: ts,
    });
    expect((await harness.delivery.event(eventEnvelope(followup))).status).toBe(200);
    const notice = await eventually(() => harness.fake.ephemerals[0]);
    expect(notice).toMatchObject({ channel: "C1", user: "U1", threadTs: ts, text: BUSY_NOTICE });
    await harness.adapter.idle();
    expect(harness.fake.ephemerals).toHaveLength(1);
    expect(model.requests).toHaveLength(0);
  });
});
