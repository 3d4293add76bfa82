import { afterEach, describe, expect, it } from "vitest";
import { eventEnvelope, messageEvent } from "../../fakes/slack-events.js";
import { reply, ScriptedModel } from "../../support/scripted-model.js";
import { type Harness, startHarness } from "./harness.js";

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** A correctly signed event (channel chatter the bot ignores) padded to about `bytes`. */
function paddedEvent(bytes: number) {
  const envelope = eventEnvelope(messageEvent({ channel: "C1", user: "U1", text: "hello", ts: "1700.1" }));
  const size = JSON.stringify(envelope).length;
  return { ...envelope, padding: "x".repeat(Math.max(0, bytes - size - 20)) };
}

describe("POST /slack/events body limit", () => {
  it("refuses a signed body over 1 MB with 413 and still takes normal events", async () => {
    h = await startHarness({ model: new ScriptedModel(() => reply("unused")) });
    const tooBig = await h.delivery.event(paddedEvent(1.5 * 1024 * 1024));
    expect(tooBig.status).toBe(413);
    const fits = await h.delivery.event(paddedEvent(900 * 1024));
    expect(fits.status).toBe(200);
  });
});
