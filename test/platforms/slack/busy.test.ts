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
});
