/**
 * A help-center answer in Slack, in both renderings: mrkdwn edits (links become <url|title>) and
 * native streaming (Slack renders the Markdown). The user sees the article as a link, listed once
 * under "Sources:".
 */
import { afterEach, describe, it } from "vitest";
import { FAKE_BOT_USER_ID } from "../../fakes/slack-api.js";
import { eventEnvelope, mentionEvents } from "../../fakes/slack-events.js";
import { citingModel, expectCitedOnce, helpCenterTools, RETURNS_URL } from "../../support/help-center.js";
import { eventually, type Harness, startHarness } from "./harness.js";

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe("Slack citations", () => {
  it.each([
    ["mrkdwn edits", "false"],
    ["native streaming", "true"],
  ])("shows the returns article as a link, listed once under Sources (%s)", async (_mode, native) => {
    h = await startHarness({
      model: citingModel(),
      tools: await helpCenterTools(),
      env: { SLACK_NATIVE_STREAMING: native },
    });
    const ts = h.fake.nextTs();
    const events = mentionEvents({
      channel: "C1",
      user: "U1",
      text: `<@${FAKE_BOT_USER_ID}> how do I return an item?`,
      ts,
    });
    await h.delivery.event(eventEnvelope(events.appMention));
    const msg = await eventually(() => h?.fake.botMessages("C1", ts)[0]);
    await h.adapter.idle();

    const text = h.fake.visibleText(msg);
    expectCitedOnce(text, RETURNS_URL);
  });
});
