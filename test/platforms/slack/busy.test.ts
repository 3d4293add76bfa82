import { request } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { BUSY_NOTICE } from "../../../src/platforms/slack/ack-first.js";
import { eventEnvelope, mentionEvents, messageEvent } from "../../fakes/slack-events.js";
import { reply, ScriptedModel } from "../../support/scripted-model.js";
import { eventually, type Harness, startHarness } from "./harness.js";

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

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
    const harness = await startHarness({ model, adapter: { maxWaitingStarts: 1 } });
    h = harness;
    // A slow upload still being acknowledged holds every start until it is done.
    const requestSeen = new Promise((resolve) => harness.http.server.once("request", resolve));
    const slow = request(harness.eventsUrl, {
      method: "POST",
      headers: { "content-type": "application/json", "content-length": "1000" },
    });
    slow.on("error", () => {});
    slow.write("{");
    await requestSeen;
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
});
